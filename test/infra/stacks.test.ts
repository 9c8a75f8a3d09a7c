import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { DEFAULT_OUT_DIR, readBuildRecord } from "../../infra/build.ts";
import { deployedRateLimits } from "../../infra/rate-limit-namespaces.ts";
import {
  durableObjects,
  lastLegacyTag,
  runtimeDefaults,
  staticAssets,
  tombstones,
} from "../../worker/manifest.ts";
import {
  ACCOUNT,
  deploy,
  onlyOf,
  promotionReferencesOf,
  resourcesOf,
  SERVING_VERSION,
  TYPES,
  versionOf,
  ZONE,
} from "./deploy-fixtures.ts";

/** The manifest's live classes as the `exports` map must declare them. */
const liveExports = Object.fromEntries(
  Object.values(durableObjects)
    .map((d) => [d.className, { type: "durable-object", storage: d.storage }] as const)
    .sort(([a], [b]) => a.localeCompare(b)),
);
/** ... and its tombstones, whatever they are today (none, or a class deleted or renamed). */
const tombstoneExports = Object.fromEntries(
  Object.entries(tombstones).map(([name, t]) => [
    name,
    expect.objectContaining({ type: "durable-object", state: t.state }),
  ]),
);

/** The live classes as the version's annotation and the `classes` output record them. */
const signature = Object.entries(liveExports)
  .map(([name, e]) => `${name}:${e.storage}`)
  .join(",");

describe.each([
  ["staging", "wnam", false],
  ["prod", "enam", true],
])("stack %s under Pulumi mocks", (stack, hint, protect) => {
  it("uploads the bundle as one module with its sha256, the static assets, the manifest's bindings, the stack's variables and its secret", async () => {
    const run = await deploy(stack);
    const version = versionOf(run);
    const bundle = await readFile(`${DEFAULT_OUT_DIR}/index.js`);
    // The build id covers the bundle and the assets (infra/build.ts buildIdOf).
    const buildId = (await readBuildRecord())?.buildId;
    expect(run.outputs.buildId).toBe(buildId);
    // The module's contentSha256 is output-only upstream (the provider computes it): never sent.
    expect(version.inputs.modules).toEqual([
      expect.not.objectContaining({ contentSha256: expect.anything() }),
    ]);
    expect(version.inputs).toMatchObject({
      accountId: ACCOUNT,
      workerId: `do-platform-${stack}-worker-id`,
      mainModule: "index.js",
      modules: [
        {
          name: "index.js",
          contentType: "application/javascript+module",
          contentBase64: bundle.toString("base64"),
        },
      ],
      // Relative to infra/, the directory the CLI runs the program and its providers in (`main: infra/`).
      assets: {
        directory: "../dist/assets",
        config: { runWorkerFirst: true, htmlHandling: "none", notFoundHandling: "none" },
      },
      annotations: { workersTag: buildId, workersMessage: `build ${buildId} classes ${signature}` },
    });
    expect(version.inputs.bindings).toEqual([
      ...Object.entries(durableObjects).map(([name, d]) => ({
        type: "durable_object_namespace",
        name,
        className: d.className,
      })),
      ...deployedRateLimits(`do-platform-${stack}`).map((limiter) => ({ type: "ratelimit", ...limiter })),
      { type: "version_metadata", name: "CF_VERSION_METADATA" },
      { type: "assets", name: staticAssets.binding },
      { type: "plain_text", name: "ENVIRONMENT", text: stack },
      { type: "plain_text", name: "BUILD_ID", text: run.outputs.buildId },
      { type: "plain_text", name: "MIGRATION_TAG", text: lastLegacyTag() },
      { type: "plain_text", name: "RATE_LIMIT_PERIOD", text: "60" },
      { type: "plain_text", name: "DO_LOCATION_HINT", text: hint },
      { type: "secret_text", name: "ADMIN_TOKEN", text: expect.any(String) },
    ]);
    expect(version.secretInputs).toEqual(["bindings"]);
  });

  it("declares the classes with `exports` from the manifest, never `migrations`", async () => {
    const version = versionOf(await deploy(stack)).inputs;
    expect(version.exports).toEqual({ ...liveExports, ...tombstoneExports });
    expect(version).not.toHaveProperty("migrations");
  });

  it("applies the stack's runtime settings: compatibility, Workers Logs, no Smart Placement", async () => {
    const run = await deploy(stack);
    const version = versionOf(run).inputs;
    expect(version.compatibilityDate).toBe(runtimeDefaults.compatibilityDate);
    expect(version.compatibilityFlags).toEqual([]);
    expect(version).not.toHaveProperty("placement");
    expect(onlyOf(run, TYPES.worker).inputs.observability).toEqual({ enabled: true });
  });

  it("deploys the version at 100 % and exports the workers.dev URL", async () => {
    const run = await deploy(stack);
    expect(onlyOf(run, TYPES.worker).inputs).toEqual({
      accountId: ACCOUNT,
      name: `do-platform-${stack}`,
      observability: { enabled: true },
      subdomain: { enabled: true, previewsEnabled: false },
    });
    expect(onlyOf(run, TYPES.deployment).inputs).toEqual({
      accountId: ACCOUNT,
      scriptName: `do-platform-${stack}`,
      strategy: "percentage",
      versions: [{ versionId: `do-platform-${stack}-version-id`, percentage: 100 }],
      annotations: { workersMessage: `build ${run.outputs.buildId} at 100 %` },
    });
    expect(run.outputs).toEqual({
      url: `https://do-platform-${stack}.acme.workers.dev`,
      buildId: expect.stringMatching(/^[0-9a-f]{64}$/),
      scriptName: `do-platform-${stack}`,
      versionId: `do-platform-${stack}-version-id`,
      // The version that served before this deploy (its build unknown to these mocks).
      previousVersionId: SERVING_VERSION,
      previousBuildId: null,
      classes: signature,
      migrationTag: lastLegacyTag(),
      classLifecycle: {
        starting: "exports",
        created: [],
        deleted: [],
        renamed: [],
        transferred: [],
        // None of the tombstoned classes is provisioned: every tombstone is already applied.
        appliedTombstones: Object.keys(tombstones),
      },
      deployPath: "versioned",
      // Cloudflare reports the reconciliation after a real upload; the mocks upload nothing.
      exportsReconciliation: null,
      locationHint: hint,
    });
    expect(resourcesOf(run, TYPES.customDomain)).toEqual([]);
  });

  it(`${protect ? "protects" : "does not protect"} the Worker; versions and deployments are replaced, and retained`, async () => {
    const run = await deploy(stack);
    // The stack itself and StackReferences (reads of another stack) are not resources the stack owns.
    const owned = run.resources.filter((r) => r.type !== TYPES.stack && r.type !== TYPES.stackReference);
    expect(owned.map((r) => r.type).sort()).toEqual(
      [TYPES.component, TYPES.worker, TYPES.version, TYPES.deployment].sort(),
    );
    const options = Object.fromEntries(
      owned.map((r) => [r.type, { protect: r.protect, retainOnDelete: r.retainOnDelete }]),
    );
    expect(options).toEqual({
      [TYPES.component]: { protect, retainOnDelete: false },
      [TYPES.worker]: { protect, retainOnDelete: false },
      [TYPES.version]: { protect: false, retainOnDelete: true },
      [TYPES.deployment]: { protect: false, retainOnDelete: true },
    });
  });

  it("serves a custom domain instead of workers.dev when one is configured", async () => {
    const run = await deploy(stack, {
      config: { customDomain: `${stack}.example.com`, customDomainZoneId: ZONE, workersDevSubdomain: "" },
    });
    const domain = onlyOf(run, TYPES.customDomain);
    expect(domain.inputs).toEqual({
      accountId: ACCOUNT,
      hostname: `${stack}.example.com`,
      zoneId: ZONE,
      service: `do-platform-${stack}`,
    });
    expect(domain.protect).toBe(protect);
    expect(onlyOf(run, TYPES.worker).inputs.subdomain).toEqual({ enabled: false, previewsEnabled: false });
    expect(run.outputs.url).toBe(`https://${stack}.example.com`);
  });

  it("maps Smart Placement, observability, jurisdiction and compatibility flags", async () => {
    const run = await deploy(stack, {
      config: {
        smartPlacement: true,
        observability: false,
        jurisdiction: "eu",
        compatibilityFlags: ["nodejs_compat"],
        compatibilityDate: "2026-03-01",
      },
    });
    const version = versionOf(run).inputs;
    expect(version.placement).toEqual({ mode: "smart" });
    expect(onlyOf(run, TYPES.worker).inputs.observability).toEqual({ enabled: false });
    expect(version.compatibilityFlags).toEqual(["nodejs_compat"]);
    expect(version.compatibilityDate).toBe("2026-03-01");
    expect(version.bindings).toContainEqual({ type: "plain_text", name: "DO_JURISDICTION", text: "eu" });
  });
});

describe("versions: the current one and the one before it", () => {
  const classes = Object.keys(liveExports);
  it("names the version that served before this deploy, and its build", async () => {
    const run = await deploy("staging", {
      live: {
        classes,
        // Newest first: a 100 % deployment of v-old, after a split of v-older and v-old.
        deployments: [
          [{ versionId: "v-old", percentage: 100 }],
          [
            { versionId: "v-older", percentage: 90 },
            { versionId: "v-old", percentage: 10 },
          ],
        ],
        versionBuilds: { "v-old": "b".repeat(64) },
      },
    });
    expect(run.outputs).toMatchObject({
      versionId: "do-platform-staging-version-id",
      previousVersionId: "v-old",
      previousBuildId: "b".repeat(64),
    });
  });

  it("skips deployments of the current version itself (a deploy that changed nothing)", async () => {
    const run = await deploy("staging", {
      live: {
        classes,
        deployments: [
          [{ versionId: "do-platform-staging-version-id", percentage: 100 }],
          [{ versionId: "v-old", percentage: 100 }],
        ],
      },
    });
    expect(run.outputs).toMatchObject({ previousVersionId: "v-old", previousBuildId: null });
  });
});

describe("prod deploys only the build staging runs", () => {
  it("deploys when staging's buildId output is this build", async () => {
    const run = await deploy("prod");
    const [reference] = promotionReferencesOf(run);
    expect(reference?.inputs).toMatchObject({ name: "organization/do-platform/staging" });
  });

  it("refuses another build, saying how to promote or override", async () => {
    const referencedStacks = { "organization/do-platform/staging": { buildId: "e".repeat(64) } };
    await expect(deploy("prod", { referencedStacks })).rejects.toThrow(
      /Stack prod deploys only the build organization\/do-platform\/staging runs \(e{64}\), or the build it serves now \(none\), and this tree builds [0-9a-f]{64}\..*npm run promote.*allowBuildMismatch true -s prod/,
    );
  });

  it("deploys another build with allowBuildMismatch, and without reading staging at all", async () => {
    const referencedStacks = { "organization/do-platform/staging": { buildId: "e".repeat(64) } };
    const run = await deploy("prod", { referencedStacks, config: { allowBuildMismatch: true } });
    expect(promotionReferencesOf(run)).toEqual([]);
    expect(resourcesOf(run, TYPES.version)).toHaveLength(1);
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

  it("uploads the new version but keeps 100 % on the held one (PLATFORM_HOLD_VERSION_ID, npm run promote)", async () => {
    process.env.PLATFORM_HOLD_VERSION_ID = "v-live";
    try {
      const run = await deploy("staging");
      expect(resourcesOf(run, TYPES.version)).toHaveLength(1);
      expect(onlyOf(run, TYPES.deployment).inputs).toMatchObject({
        versions: [{ versionId: "v-live", percentage: 100 }],
        annotations: { workersMessage: `build ${run.outputs.buildId} uploaded; v-live keeps 100 %` },
      });
      // The stack's version output names the uploaded version: promote moves traffic to it by id.
      expect(run.outputs.versionId).toBe("do-platform-staging-version-id");
    } finally {
      delete process.env.PLATFORM_HOLD_VERSION_ID;
    }
  });

  it("staging has no promotion source", async () => {
    expect(promotionReferencesOf(await deploy("staging"))).toEqual([]);
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
    const bindings = versionOf(run).inputs.bindings as { type: string; name: string }[];
    expect(bindings).toContainEqual({
      type: "ratelimit",
      name: "PUBLIC_WRITES",
      namespaceId: deployedRateLimits("do-platform-staging")[0]?.namespaceId,
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
