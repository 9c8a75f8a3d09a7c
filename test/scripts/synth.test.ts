import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, readBuildRecord } from "../../infra/build.ts";
import { REDACTED, SynthUsageError, synthesize } from "../../scripts/lib/synth.ts";
import { durableObjects, lastLegacyTag, tombstones } from "../../worker/manifest.ts";
import { probeScripts, runScript, type ScriptRun } from "../support/script-process.ts";

const WORKER_VERSION = "cloudflare:index/workerVersion:WorkerVersion";
const NON_VERSIONED_DEPLOY = "pulumi-nodejs:dynamic/platform:NonVersionedDeploy";
const classes = Object.values(durableObjects)
  .map((d) => d.className)
  .sort();
const NO_COLOR = { ...process.env, NO_COLOR: "1" };
/** Runs `npm run synth -- ...args` as a user would (the script behind it), collecting both streams. */
const synth = (...args: string[]) => runScript("scripts/synth.ts", args, NO_COLOR);
/**
 * The same runs' real entry module in ONE process (test/support/cli-probe.ts): each separate process loads Pulumi
 * and the Cloudflare provider SDK again (~2 CPU s).
 */
const synthProbe = (...argvs: string[][]) =>
  probeScripts(
    argvs.map((a) => ["synth", a] as const),
    NO_COLOR,
  );

// Start them together, once: one run as its own process, as a user runs it; the other two in the probe.
const runs: Record<string, ScriptRun> = {};
beforeAll(async () => {
  const [staging, [prod, unknownTag]] = await Promise.all([
    synth("staging"),
    synthProbe(["prod"], ["staging", "--live-tag", "v99"]),
  ]);
  Object.assign(runs, { staging, prod, unknownTag });
}, 60_000);

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe.each([
  ["staging", "wnam", false],
  ["prod", "enam", true],
])("npm run synth -- %s", (stack, hint, protect) => {
  it("prints what the stack deploys as JSON on stdout, progress and placeholders on stderr", async () => {
    const { code, stdout, stderr } = runs[stack]!;
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(stderr).toContain(`synth: stack ${stack}`);
    expect(stderr).toContain("placeholder for accountId");

    expect(result).toMatchObject({ project: "do-platform", stack });
    expect(result.placeholders.map((p: { key: string }) => p.key).sort()).toEqual([
      "accountId",
      "adminToken",
      "workersDevSubdomain",
    ]);
    expect(result.outputs).toEqual({
      url: `https://do-platform-${stack}.synth-placeholder.workers.dev`,
      buildId: expect.stringMatching(/^[0-9a-f]{64}$/),
      scriptName: `do-platform-${stack}`,
      versionId: `do-platform-${stack}-deploy-version-id`,
      previousVersionId: null,
      previousBuildId: null,
      classes: expect.stringContaining(":sqlite"),
      migrationTag: lastLegacyTag(),
      classLifecycle: expect.objectContaining({ starting: "new-script", created: classes }),
      // A new stack creates its classes: one non-versioned wrangler deploy, no WorkerVersion.
      deployPath: "non-versioned",
      exportsReconciliation: null,
      locationHint: hint,
    });
    expect(result.classes.live).toBeNull();
    expect(Object.keys(result.classes.exports).sort()).toEqual(
      [...classes, ...Object.keys(tombstones)].sort(),
    );
    expect(result.classes.plan).toEqual(result.outputs.classLifecycle);

    expect(result.resources.find((r: { type: string }) => r.type === WORKER_VERSION)).toBeUndefined();
    const upload = result.resources.find((r: { type: string }) => r.type === NON_VERSIONED_DEPLOY);
    expect(upload).toMatchObject({
      name: `do-platform-${stack}-deploy`,
      protect: false,
      retainOnDelete: true,
    });
    expect(upload.secretInputs).toEqual(expect.arrayContaining(["secrets", "secretsDigest"]));
    expect(upload.inputs.config).not.toHaveProperty("migrations");
    const worker = result.resources.find(
      (r: { type: string }) => r.type === "cloudflare:index/worker:Worker",
    );
    expect(worker.protect).toBe(protect);
    expect(upload.inputs.config.vars).toMatchObject({ DO_LOCATION_HINT: hint });
    expect(upload.inputs.secrets).toEqual({ ADMIN_TOKEN: REDACTED });
    // wrangler uploads the bytes the build wrote (no_bundle); the build id (the version's tag) covers them and the
    // static assets.
    const record = await readBuildRecord();
    expect(upload.inputs.bundleSha256).toBe(record?.bundleSha256);
    expect(upload.inputs.tag).toBe(result.outputs.buildId);
    expect(result.outputs.buildId).toBe(record?.buildId);
    expect(upload.inputs.config).toMatchObject({
      main: "dist/index.js",
      no_bundle: true,
      assets: { directory: "dist/assets" },
    });
    for (const resource of result.resources) {
      expect(Object.keys(resource).sort()).toEqual([
        "inputs",
        "name",
        "protect",
        "retainOnDelete",
        "secretInputs",
        "type",
      ]);
    }
  });
});

describe("npm run synth, refusals", () => {
  it("stops on a live tag the legacy history does not contain: the message on stderr, nothing on stdout", () => {
    const { code, stdout, stderr } = runs.unknownTag!;
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/synth: The deployed script do-platform-staging reports migration tag "v99"/);
  });

  it("stops on a misconfigured stack, naming what to set", async () => {
    await expect(synthesize({ stack: "prod", config: { locationHint: "mars" } })).rejects.toThrow(
      'locationHint "mars" is not a location hint; use one of: wnam enam',
    );
  });

  it("refuses a secret on the command line", async () => {
    const attempt = synthesize({ stack: "staging", config: { adminToken: "hunter2" } });
    await expect(attempt).rejects.toBeInstanceOf(SynthUsageError);
    await expect(attempt).rejects.toThrow("adminToken is a secret: never pass it on a command line");
  });

  it("refuses an unknown stack", async () => {
    await expect(synthesize({ stack: "nope" })).rejects.toThrow("No stack file Pulumi.nope.yaml");
  });
});

describe("synth with --live-tag and --config", () => {
  it("converts a script at the last legacy tag with exports alone, and uses the team's account", async () => {
    const result = await synthesize({
      stack: "staging",
      live: { migrationTag: lastLegacyTag() },
      config: { accountId: "0123456789abcdef0123456789abcdef" },
    });
    expect(result.classes.live).toEqual({ migrationTag: lastLegacyTag() });
    expect(result.classes.plan).toMatchObject({ starting: "convert-from-tags", deleted: [] });
    // Converting replaces the tagged history with exports, a class-lifecycle change: one non-versioned deploy.
    const upload = result.resources.find((r) => r.type === NON_VERSIONED_DEPLOY);
    expect(upload?.inputs.config).not.toHaveProperty("migrations");
    expect(upload?.inputs.accountId).toBe("0123456789abcdef0123456789abcdef");
    expect(result.placeholders.map((p) => p.key)).not.toContain("accountId");
  });
});

describe("synth with a team's real stack file", () => {
  const teamRoot = async (stack: string, lines: string[]) => {
    const root = await mkdtemp(path.join(tmpdir(), "synth-"));
    dirs.push(root);
    await copyFile(path.join(ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    await writeFile(path.join(root, `Pulumi.${stack}.yaml`), `${lines.join("\n")}\n`);
    return root;
  };

  it("uses the team's settings, and a placeholder for an encrypted secret it cannot decrypt", async () => {
    const root = await teamRoot("team", [
      "encryptionsalt: v1:abc",
      "config:",
      "  do-platform:accountId: 0123456789abcdef0123456789abcdef",
      "  do-platform:workersDevSubdomain: acme",
      "  do-platform:adminToken:",
      "    secure: v1:Zm9vYmFyYmF6",
      "  cloudflare:apiToken:",
      "    secure: v1:cXV4cXV1eA==",
    ]);
    const result = await synthesize({ stack: "team", root });
    expect(result.placeholders).toEqual([
      {
        key: "adminToken",
        value: REDACTED,
        reason: expect.stringContaining("encrypted in Pulumi.team.yaml"),
      },
    ]);
    expect(result.outputs.url).toBe("https://do-platform-team.acme.workers.dev");
    expect(JSON.stringify(result)).not.toContain("v1:Zm9vYmFyYmF6");
  });

  it("refuses to run when the stack file holds the admin token in clear text, without echoing it", async () => {
    const root = await teamRoot("leaky", ["config:", "  do-platform:adminToken: hunter2"]);
    const attempt = synthesize({ stack: "leaky", root });
    await expect(attempt).rejects.toThrow(/adminToken was set without --secret/);
    await expect(attempt).rejects.not.toThrow("hunter2");
  });
});
