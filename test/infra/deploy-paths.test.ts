import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ADOPTED_OUTPUT } from "../../infra/adoption.ts";
import { assetsDirectoryOf, DEFAULT_OUT_DIR, readBuildRecord } from "../../infra/build.ts";
import { liveClasses } from "../../infra/class-lifecycle.ts";
import { rejectionMessage } from "../../infra/release-record.ts";
import { programDirectory } from "../../scripts/lib/pulumi-mocks.ts";
import * as manifest from "../../worker/manifest.ts";
import {
  ACCOUNT,
  ADMIN_TOKEN,
  deploy,
  onlyOf,
  resourcesOf,
  SERVING_VERSION,
  TYPES,
  versionOf,
} from "./deploy-fixtures.ts";

const classes = [...liveClasses(manifest).keys()];
const buildId = async () => (await readBuildRecord())!.buildId;

describe("a deploy that changes the Durable Object class lifecycle takes the non-versioned path", () => {
  it("a first deploy creates the classes with one wrangler deploy at 100 %: no WorkerVersion, no WorkersDeployment", async () => {
    const run = await deploy("staging", { live: undefined });
    expect(resourcesOf(run, TYPES.version)).toEqual([]);
    expect(resourcesOf(run, TYPES.deployment)).toEqual([]);
    const upload = onlyOf(run, TYPES.nonVersionedDeploy);
    const build = (await readBuildRecord())!;
    expect(upload.inputs).toMatchObject({
      accountId: ACCOUNT,
      bundleSha256: build.bundleSha256,
      tag: build.buildId,
      message: `build ${build.buildId} classes ${run.outputs.classes}`,
      // The bytes the build wrote, not wrangler's own bundle of the source.
      config: { name: "do-platform-staging", main: "dist/index.js", no_bundle: true },
    });
    const config = upload.inputs.config as {
      exports: Record<string, unknown>;
      assets: { directory: string };
    };
    expect(Object.keys(config.exports).sort()).toEqual(
      [...classes, ...Object.keys(manifest.tombstones)].sort(),
    );
    expect(config.assets.directory).toBe("dist/assets");
    // The secret travels with the upload, encrypted in state; only its digest is kept as an output.
    expect(upload.inputs.secrets).toEqual({ ADMIN_TOKEN });
    expect(upload.secretInputs).toEqual(expect.arrayContaining(["secrets", "secretsDigest"]));
    expect(upload.retainOnDelete).toBe(true);
    expect(run.outputs).toMatchObject({ deployPath: "non-versioned", previousVersionId: null });
  });

  it("a class added to an existing stack is applied the same way", async () => {
    const run = await deploy("staging", {
      live: { classes: classes.slice(1), deployments: [[{ versionId: SERVING_VERSION, percentage: 100 }]] },
    });
    expect(resourcesOf(run, TYPES.version)).toEqual([]);
    expect(run.outputs).toMatchObject({
      deployPath: "non-versioned",
      classLifecycle: { starting: "exports", created: [classes[0]] },
    });
  });

  it("a promotion cannot hold traffic on the live version while a class change is uploaded", async () => {
    process.env.PLATFORM_HOLD_VERSION_ID = SERVING_VERSION;
    try {
      await expect(deploy("staging", { live: undefined })).rejects.toThrow(
        /changes Durable Object classes .* cannot be uploaded while another version keeps the traffic/,
      );
    } finally {
      delete process.env.PLATFORM_HOLD_VERSION_ID;
    }
  });

  it("a routine deploy (classes unchanged) goes through a version and a deployment", async () => {
    const run = await deploy("staging");
    expect(resourcesOf(run, TYPES.nonVersionedDeploy)).toEqual([]);
    expect(resourcesOf(run, TYPES.version)).toHaveLength(1);
    expect(run.outputs.deployPath).toBe("versioned");
  });
});

describe("the provider finds the static assets from the directory the CLI runs it in", () => {
  it("the version's assets.directory, resolved from infra/ (main: infra/), is the build's dist/assets", async () => {
    const directory = versionOf(await deploy("staging")).inputs.assets as { directory: string };
    const resolved = path.resolve(programDirectory(), directory.directory);
    expect(resolved).toBe(assetsDirectoryOf(path.join(DEFAULT_OUT_DIR, "index.js")));
    expect(existsSync(path.join(resolved, manifest.staticAssets.files.openapi))).toBe(true);
  });

  it("the program's working directory under the mocks is infra/, as Pulumi.yaml's main says", () => {
    expect(path.relative(path.dirname(DEFAULT_OUT_DIR), programDirectory())).toBe("infra");
  });
});

describe("a build a promotion rejected stays rejected", () => {
  const rejectedStack = async (message: string) => ({
    classes,
    deployments: [{ versions: [{ versionId: SERVING_VERSION, percentage: 100 }], message }],
  });

  it("a plain pulumi up refuses the build the last promotion reverted", async () => {
    const live = await rejectedStack(rejectionMessage(await buildId(), "10 % step failed"));
    await expect(deploy("staging", { live })).rejects.toThrow(
      /A promotion to staging rejected build [0-9a-f]{64} and reverted it.*allowRejectedBuild true -s staging/,
    );
  });

  it("a promotion may upload it again while the live version keeps the traffic", async () => {
    const live = await rejectedStack(rejectionMessage(await buildId(), "10 % step failed"));
    process.env.PLATFORM_HOLD_VERSION_ID = SERVING_VERSION;
    try {
      const run = await deploy("staging", { live });
      expect(onlyOf(run, TYPES.deployment).inputs.versions).toEqual([
        { versionId: SERVING_VERSION, percentage: 100 },
      ]);
    } finally {
      delete process.env.PLATFORM_HOLD_VERSION_ID;
    }
  });

  it("allowRejectedBuild is the explicit way past it; another build is not affected", async () => {
    const live = await rejectedStack(rejectionMessage(await buildId(), "10 % step failed"));
    await expect(deploy("staging", { live, config: { allowRejectedBuild: true } })).resolves.toBeDefined();
    const other = await rejectedStack(rejectionMessage("f".repeat(64), "50 % step failed"));
    await expect(deploy("staging", { live: other })).resolves.toBeDefined();
  });

  it("a later promotion that took the build to 100 % lifts it", async () => {
    const id = await buildId();
    const live = {
      classes,
      deployments: [
        {
          versions: [{ versionId: SERVING_VERSION, percentage: 100 }],
          message: `promote build ${id}: 100 %`,
        },
        {
          versions: [{ versionId: "v-old", percentage: 100 }],
          message: rejectionMessage(id, "10 % step failed"),
        },
      ],
    };
    await expect(deploy("staging", { live })).resolves.toBeDefined();
  });
});

describe("prod may redeploy the build it serves (a secret rotation changes no code)", () => {
  it("passes the promotion guard when prod already serves this build, though staging moved on", async () => {
    const referencedStacks = { "organization/do-platform/staging": { buildId: "e".repeat(64) } };
    const live = {
      classes,
      deployments: [[{ versionId: SERVING_VERSION, percentage: 100 }]],
      versionBuilds: { [SERVING_VERSION]: await buildId() },
    };
    const run = await deploy("prod", { live, referencedStacks });
    expect(resourcesOf(run, TYPES.version)).toHaveLength(1);
  });
});

describe("a stack the first resource model deployed (a WorkersScript) is adopted, never deleted", () => {
  const legacyLive = { migrationTag: manifest.lastLegacyTag() };

  it("pulumi up refuses it until it is adopted, naming the command (deleting the script would delete its objects)", async () => {
    const ownOutputs = {
      url: "https://do-platform-staging.acme.workers.dev",
      buildId: "a".repeat(64),
      scriptName: "do-platform-staging",
    };
    await expect(deploy("staging", { live: legacyLive, ownOutputs })).rejects.toThrow(
      /Stack staging was deployed as a WorkersScript .* delete that script, and with it every Durable Object .* npm run adopt -- staging/,
    );
  });

  it("after adoption, converts the script from its tags to exports in one non-versioned deploy", async () => {
    const ownOutputs = { url: "https://x", buildId: "a".repeat(64), [ADOPTED_OUTPUT]: true };
    const run = await deploy("staging", { live: legacyLive, ownOutputs });
    expect(run.outputs).toMatchObject({
      deployPath: "non-versioned",
      classLifecycle: { starting: "convert-from-tags" },
    });
    // The Worker keeps the name the adoption imported it under, below the same component.
    expect(onlyOf(run, TYPES.worker).name).toBe("do-platform-staging-worker");
  });
});
