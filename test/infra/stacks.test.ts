import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { DEFAULT_OUT_DIR } from "../../scripts/lib/build.ts";
import { miniflareWorkerOptions } from "../../scripts/lib/miniflare-options.ts";
import { type MockRun, runProgramUnderMocks } from "../../scripts/lib/pulumi-mocks.ts";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const account = { accountId: ACCOUNT, workersDevSubdomain: "acme" };

const scriptOf = (run: MockRun) => {
  const scripts = run.resources.filter((r) => r.type === "cloudflare:index/workersScript:WorkersScript");
  expect(scripts).toHaveLength(1);
  return scripts[0]!.inputs as Record<string, any>;
};

describe.each([
  ["staging", "wnam"],
  ["prod", "enam"],
])("stack %s under Pulumi mocks", (stack, hint) => {
  it("uploads the bundle with the manifest's bindings and the stack's variables", async () => {
    const run = await runProgramUnderMocks({ stack, config: account });
    const script = scriptOf(run);
    const bundle = await readFile(`${DEFAULT_OUT_DIR}/index.js`, "utf8");
    expect(script.content).toBe(bundle);
    expect(run.outputs.buildId).toBe(createHash("sha256").update(bundle).digest("hex"));
    expect(script).toMatchObject({
      accountId: ACCOUNT,
      scriptName: `do-platform-${stack}`,
      mainModule: "index.js",
      compatibilityDate: "2026-04-20",
    });
    expect(script.bindings).toEqual([
      { type: "durable_object_namespace", name: "COUNTER", className: "Counter" },
      { type: "durable_object_namespace", name: "SCHEDULER", className: "Scheduler" },
      { type: "plain_text", name: "ENVIRONMENT", text: stack },
      { type: "plain_text", name: "BUILD_ID", text: run.outputs.buildId },
      { type: "plain_text", name: "MIGRATION_TAG", text: "v2" },
      { type: "plain_text", name: "DO_LOCATION_HINT", text: hint },
    ]);
  });

  it("sends every migration to a script that has none, and exports the URL", async () => {
    const run = await runProgramUnderMocks({ stack, config: account });
    expect(scriptOf(run).migrations).toEqual({
      newTag: "v2",
      steps: [{ newSqliteClasses: ["Counter"] }, { newSqliteClasses: ["Scheduler"] }],
    });
    expect(run.outputs).toMatchObject({
      url: `https://do-platform-${stack}.acme.workers.dev`,
      scriptName: `do-platform-${stack}`,
      migrationTag: "v2",
      locationHint: hint,
    });
    const subdomain = run.resources.find(
      (r) => r.type === "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain",
    );
    expect(subdomain?.inputs).toMatchObject({
      accountId: ACCOUNT,
      scriptName: `do-platform-${stack}`,
      enabled: true,
    });
  });

  it("sends only the Scheduler migration to a script at v1, conditioned on v1", async () => {
    const run = await runProgramUnderMocks({ stack, config: account, liveTag: "v1" });
    expect(scriptOf(run).migrations).toEqual({
      oldTag: "v1",
      newTag: "v2",
      steps: [{ newSqliteClasses: ["Scheduler"] }],
    });
  });

  it("sends no migrations when the live tag is already the last one (pulumi up twice is safe)", async () => {
    const run = await runProgramUnderMocks({ stack, config: account, liveTag: "v2" });
    expect(scriptOf(run).migrations).toBeUndefined();
    expect(run.invokes).toEqual([
      { token: "cloudflare:index/getWorkersScripts:getWorkersScripts", args: { accountId: ACCOUNT } },
    ]);
  });

  it("stops the deploy when the live tag is unknown to the history", async () => {
    await expect(runProgramUnderMocks({ stack, config: account, liveTag: "v9" })).rejects.toThrow(
      /reports migration tag "v9", which worker\/manifest.ts does not contain/,
    );
  });
});

describe("no drift between the deployed and the local configuration", () => {
  it("gives Pulumi the same Durable Objects and variables as Miniflare", async () => {
    const run = await runProgramUnderMocks({ stack: "staging", config: account });
    const script = scriptOf(run);
    const local = miniflareWorkerOptions({
      environment: "staging",
      buildId: run.outputs.buildId as string,
      locationHint: "wnam",
    });
    const deployedObjects = Object.fromEntries(
      script.bindings
        .filter((b: any) => b.type === "durable_object_namespace")
        .map((b: any) => [b.name, { className: b.className, useSQLite: true }]),
    );
    expect(deployedObjects).toEqual(local.durableObjects);
    const deployedVars = Object.fromEntries(
      script.bindings.filter((b: any) => b.type === "plain_text").map((b: any) => [b.name, b.text]),
    );
    expect(deployedVars).toEqual(local.bindings);
    // Every class the migrations create as SQLite is bound with SQLite locally.
    const sqliteClasses = script.migrations.steps.flatMap((s: any) => s.newSqliteClasses ?? []);
    expect(sqliteClasses.sort()).toEqual(
      Object.values(local.durableObjects)
        .map((d) => d.className)
        .sort(),
    );
  });
});

describe("stack config validation", () => {
  it("names every missing or malformed setting and how to set it", async () => {
    const run = runProgramUnderMocks({
      stack: "staging",
      config: { locationHint: "mars", compatibilityDate: "2026-13-45", workerName: "Bad_Name" },
    });
    await expect(run).rejects.toThrow(/accountId is missing: pulumi config set accountId .* -s staging/);
    await expect(run).rejects.toThrow(/workersDevSubdomain is missing/);
    await expect(run).rejects.toThrow(
      /locationHint "mars" is not a location hint; use one of: wnam enam sam weur eeur apac apac-ne apac-se oc afr me/,
    );
    await expect(run).rejects.toThrow(/compatibilityDate "2026-13-45" must be a date/);
    await expect(run).rejects.toThrow(/workerName "Bad_Name"/);
  });

  it("rejects an account id that is not 32 hex digits", async () => {
    await expect(
      runProgramUnderMocks({ stack: "prod", config: { ...account, accountId: "my-account" } }),
    ).rejects.toThrow(/accountId "my-account" is not a Cloudflare account id/);
  });
});
