import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { DEFAULT_OUT_DIR } from "../../scripts/lib/build.ts";
import { ACCOUNT, deploy, resourcesOf, scriptOf, TYPES, ZONE } from "./deploy-fixtures.ts";

describe.each([
  ["staging", "wnam", false],
  ["prod", "enam", true],
])("stack %s under Pulumi mocks", (stack, hint, protect) => {
  it("uploads the bundle with the manifest's bindings, the stack's variables and its secret", async () => {
    const run = await deploy(stack);
    const script = scriptOf(run);
    const bundle = await readFile(`${DEFAULT_OUT_DIR}/index.js`, "utf8");
    expect(script.inputs.content).toBe(bundle);
    expect(run.outputs.buildId).toBe(createHash("sha256").update(bundle).digest("hex"));
    expect(script.inputs).toMatchObject({
      accountId: ACCOUNT,
      scriptName: `do-platform-${stack}`,
      mainModule: "index.js",
    });
    expect(script.inputs.bindings).toEqual([
      { type: "durable_object_namespace", name: "COUNTER", className: "Counter" },
      { type: "durable_object_namespace", name: "CHAT_ROOM", className: "ChatRoom" },
      { type: "durable_object_namespace", name: "SCHEDULER", className: "Scheduler" },
      { type: "ratelimit", name: "PUBLIC_WRITES", namespaceId: "1001", simple: { limit: 120, period: 60 } },
      { type: "ratelimit", name: "PUBLIC_READS", namespaceId: "1002", simple: { limit: 600, period: 60 } },
      { type: "ratelimit", name: "ADMIN_ATTEMPTS", namespaceId: "1003", simple: { limit: 30, period: 60 } },
      { type: "plain_text", name: "ENVIRONMENT", text: stack },
      { type: "plain_text", name: "BUILD_ID", text: run.outputs.buildId },
      { type: "plain_text", name: "MIGRATION_TAG", text: "v3" },
      { type: "plain_text", name: "RATE_LIMIT_PERIOD", text: "60" },
      { type: "plain_text", name: "DO_LOCATION_HINT", text: hint },
      { type: "secret_text", name: "ADMIN_TOKEN", text: expect.any(String) },
    ]);
    expect(script.secretInputs).toEqual(["bindings"]);
  });

  it("applies the stack's runtime settings: compatibility, Workers Logs, no Smart Placement", async () => {
    const script = scriptOf(await deploy(stack)).inputs;
    expect(script.compatibilityDate).toBe("2026-08-22");
    expect(script.compatibilityFlags).toEqual([]);
    expect(script.observability).toEqual({ enabled: true });
    expect(script).not.toHaveProperty("placement");
  });

  it("sends every migration to a script that has none, and exports the workers.dev URL", async () => {
    const run = await deploy(stack);
    expect(scriptOf(run).inputs.migrations).toEqual({
      newTag: "v3",
      steps: [
        { newSqliteClasses: ["Counter"] },
        { newSqliteClasses: ["ChatRoom"] },
        { newSqliteClasses: ["Scheduler"] },
      ],
    });
    expect(run.outputs).toEqual({
      url: `https://do-platform-${stack}.acme.workers.dev`,
      buildId: expect.stringMatching(/^[0-9a-f]{64}$/),
      scriptName: `do-platform-${stack}`,
      migrationTag: "v3",
      locationHint: hint,
    });
    const [workersDev] = resourcesOf(run, TYPES.workersDev);
    expect(workersDev?.inputs).toMatchObject({
      accountId: ACCOUNT,
      scriptName: `do-platform-${stack}`,
      enabled: true,
    });
    expect(resourcesOf(run, TYPES.customDomain)).toEqual([]);
  });

  it(`${protect ? "protects" : "does not protect"} every resource of the stack`, async () => {
    const run = await deploy(stack);
    // The stack itself and StackReferences (reads of another stack) are not resources the stack owns.
    const owned = run.resources.filter((r) => r.type !== TYPES.stack && r.type !== TYPES.stackReference);
    expect(owned.map((r) => r.type).sort()).toEqual([TYPES.workersDev, TYPES.script, TYPES.worker].sort());
    for (const resource of owned)
      expect({ [resource.name]: resource.protect }).toEqual({ [resource.name]: protect });
  });

  it("serves a custom domain instead of workers.dev when one is configured", async () => {
    const run = await deploy(stack, {
      config: { customDomain: `${stack}.example.com`, customDomainZoneId: ZONE, workersDevSubdomain: "" },
    });
    const [domain] = resourcesOf(run, TYPES.customDomain);
    expect(domain?.inputs).toEqual({
      accountId: ACCOUNT,
      hostname: `${stack}.example.com`,
      zoneId: ZONE,
      service: `do-platform-${stack}`,
    });
    expect(domain?.protect).toBe(protect);
    expect(resourcesOf(run, TYPES.workersDev)[0]?.inputs).toMatchObject({ enabled: false });
    expect(run.outputs.url).toBe(`https://${stack}.example.com`);
  });

  it("maps Smart Placement, observability, jurisdiction and compatibility flags to the script", async () => {
    const run = await deploy(stack, {
      config: {
        smartPlacement: true,
        observability: false,
        jurisdiction: "eu",
        compatibilityFlags: ["nodejs_compat"],
        compatibilityDate: "2026-03-01",
      },
    });
    const script = scriptOf(run).inputs;
    expect(script.placement).toEqual({ mode: "smart" });
    expect(script.observability).toEqual({ enabled: false });
    expect(script.compatibilityFlags).toEqual(["nodejs_compat"]);
    expect(script.compatibilityDate).toBe("2026-03-01");
    expect(script.bindings).toContainEqual({ type: "plain_text", name: "DO_JURISDICTION", text: "eu" });
  });

  it("sends only the steps after the live tag, conditioned on it", async () => {
    const run = await deploy(stack, { liveTag: "v1" });
    expect(scriptOf(run).inputs.migrations).toEqual({
      oldTag: "v1",
      newTag: "v3",
      steps: [{ newSqliteClasses: ["ChatRoom"] }, { newSqliteClasses: ["Scheduler"] }],
    });
  });

  it("stops the deploy when the live tag is unknown to the history", async () => {
    await expect(deploy(stack, { liveTag: "v9" })).rejects.toThrow(
      /reports migration tag "v9", which worker\/manifest.ts does not contain/,
    );
  });
});

describe("prod deploys only the build staging runs", () => {
  it("deploys when staging's buildId output is this build", async () => {
    const run = await deploy("prod");
    const [reference] = resourcesOf(run, TYPES.stackReference);
    expect(reference?.inputs).toMatchObject({ name: "organization/do-platform/staging" });
  });

  it("refuses another build, saying how to promote or override", async () => {
    const referencedStacks = { "organization/do-platform/staging": { buildId: "e".repeat(64) } };
    await expect(deploy("prod", { referencedStacks })).rejects.toThrow(
      /Stack prod deploys only the build organization\/do-platform\/staging runs \(e{64}\), and this tree builds [0-9a-f]{64}\..*npm run promote.*allowBuildMismatch true -s prod/,
    );
  });

  it("deploys another build with allowBuildMismatch, and without reading staging at all", async () => {
    const referencedStacks = { "organization/do-platform/staging": { buildId: "e".repeat(64) } };
    const run = await deploy("prod", { referencedStacks, config: { allowBuildMismatch: true } });
    expect(resourcesOf(run, TYPES.stackReference)).toEqual([]);
    expect(resourcesOf(run, TYPES.script)).toHaveLength(1);
  });

  it("refuses a build other than the one the promotion tested (PLATFORM_EXPECTED_BUILD_ID)", async () => {
    process.env.PLATFORM_EXPECTED_BUILD_ID = "d".repeat(64);
    try {
      await expect(deploy("staging")).rejects.toThrow(
        /but the promotion tested d{64}: deploy the commit that was tested/,
      );
    } finally {
      delete process.env.PLATFORM_EXPECTED_BUILD_ID;
    }
  });

  it("staging has no promotion source", async () => {
    expect(resourcesOf(await deploy("staging"), TYPES.stackReference)).toEqual([]);
  });
});

describe("security settings reach the worker", () => {
  it("sets the stack's rate limit, CORS origins and webhook hosts, and never allows http webhooks", async () => {
    const run = await deploy("staging", {
      config: {
        publicWritesLimit: 30,
        publicWritesPeriod: 10,
        corsAllowedOrigins: ["https://app.example.com"],
        webhookAllowedHosts: ["hooks.example.com", "ci.example.com"],
      },
    });
    const bindings = scriptOf(run).inputs.bindings as { type: string; name: string }[];
    expect(bindings).toContainEqual({
      type: "ratelimit",
      name: "PUBLIC_WRITES",
      namespaceId: "1001",
      simple: { limit: 30, period: 10 },
    });
    expect(bindings).toContainEqual({ type: "plain_text", name: "RATE_LIMIT_PERIOD", text: "10" });
    expect(bindings).toContainEqual({
      type: "plain_text",
      name: "CORS_ALLOWED_ORIGINS",
      text: "https://app.example.com",
    });
    expect(bindings).toContainEqual({
      type: "plain_text",
      name: "WEBHOOK_ALLOWED_HOSTS",
      text: "hooks.example.com,ci.example.com",
    });
    expect(bindings.map((b) => b.name)).not.toContain("WEBHOOK_ALLOW_HTTP");
  });
});
