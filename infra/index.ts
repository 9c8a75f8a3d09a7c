// The Pulumi program: one stack per environment (Pulumi.staging.yaml, Pulumi.prod.yaml).
// Config is read and validated here, once; everything below takes typed arguments.
// Order matters: every check that needs no network (config, the class declaration) runs before the build and
// before the one data-source read, and nothing is registered until all checks have passed.
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as manifest from "../worker/manifest.ts";
import { SECRET_NAMES } from "../worker/platform.ts";
import { buildWorker, ROOT } from "./build.ts";
import { buildGuardRefusal, HOLD_VERSION_ENV } from "./build-guard.ts";
import {
  ClassLifecycleError,
  classSignature,
  exportsFromManifest,
  planClasses,
  refuseUnconsentedDeletion,
} from "./class-lifecycle.ts";
import { readStackConfig } from "./config.ts";
import { DurableWorker } from "./durable-worker.ts";
import { startingPoint } from "./legacy-tags.ts";
import { previousVersionId, readDeployments, readLiveScript, readVersionBuildId } from "./live-script.ts";
import { platformBindings } from "./runtime-environment.ts";
import { environmentForStack } from "./stack-environment.ts";

/** Stops the deploy with a message and no stack trace (Pulumi prints a RunError's message only). */
class DeployRefusedError extends pulumi.RunError {
  override readonly name = "DeployRefusedError";
}

export default async function main() {
  const config = readStackConfig();
  const exports = refuseOn(() => exportsFromManifest(manifest));
  const build = await buildWorker();
  const live = await readLiveScript(config.accountId, config.workerName);
  const starting = refuseOn(() => startingPoint(live, manifest.legacyMigrations));
  const deployments = live ? await readDeployments(config.accountId, config.workerName) : [];
  const classPlan = refuseOn(() =>
    planClasses(manifest, starting.kind === "new-script" ? undefined : starting.provisioned),
  );
  const refusal = refuseUnconsentedDeletion(classPlan, config);
  if (refusal) throw new DeployRefusedError(refusal);
  const wrongBuild = await buildGuardRefusal(config, build.buildId);
  if (wrongBuild) throw new DeployRefusedError(wrongBuild);
  for (const className of classPlan.deleted) {
    pulumi.log.warn(`this deploy deletes the Durable Object class ${className} and all of its objects.`);
  }
  if (config.allowClassDeletion && classPlan.deleted.length === 0) {
    pulumi.log.warn(
      `allowClassDeletion is on but nothing is deleted: pulumi config rm allowClassDeletion -s ${config.stack}`,
    );
  }
  if (starting.kind === "convert-from-tags") {
    pulumi.log.info(
      `converting ${config.workerName} from tagged migrations (at ${starting.tag}) to declarative exports.`,
    );
  }

  const worker = new DurableWorker(
    config.workerName,
    {
      accountId: config.accountId,
      scriptName: config.workerName,
      content: build.content,
      mainModule: build.mainModule,
      bundleSha256: build.bundleSha256,
      assetsDirectory: path.relative(ROOT, build.assetsDirectory).split(path.sep).join("/"),
      buildId: build.buildId,
      compatibilityDate: config.compatibilityDate,
      compatibilityFlags: config.compatibilityFlags,
      exports,
      classes: classSignature(exports),
      // The same bindings `npm run dev -- --env <stack>` gives Miniflare (infra/stack-environment.ts).
      vars: platformBindings(environmentForStack(config, build.buildId)),
      secrets: { [SECRET_NAMES.adminToken]: config.adminToken },
      publicWrites: config.publicWrites,
      smartPlacement: config.smartPlacement,
      observability: config.observability,
      customDomain: config.customDomain,
      workersDevSubdomain: config.workersDevSubdomain,
      holdTrafficOn: process.env[HOLD_VERSION_ENV] || undefined,
    },
    // Children inherit `protect`: on prod, the Worker and its domain cannot be deleted or replaced.
    { protect: config.protect },
  );

  // The version that served before this one, and its build (a rollback's default target).
  const previous = worker.versionId.apply(async (current) => {
    const id = previousVersionId(deployments, current);
    if (!id) return { id: null, buildId: null };
    return { id, buildId: (await readVersionBuildId(config.accountId, config.workerName, id)) ?? null };
  });

  return {
    url: worker.url,
    buildId: worker.buildId,
    scriptName: worker.scriptName,
    versionId: worker.versionId,
    previousVersionId: previous.apply((p) => p.id),
    previousBuildId: previous.apply((p) => p.buildId),
    // The live classes this version declares, as its annotation records them (rollback compares them).
    classes: classSignature(exports),
    // Kept for compatibility: the legacy tag converted scripts keep reporting (/health shows the same).
    migrationTag: manifest.lastLegacyTag(),
    // What this deploy was planned to change (offline), and what Cloudflare reports it did (after `pulumi up`).
    classLifecycle: { starting: starting.kind, ...classPlan },
    exportsReconciliation: worker.version.exportsReconciliation.apply((r) => r ?? null),
    locationHint: config.locationHint ?? null,
  };
}

function refuseOn<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ClassLifecycleError) throw new DeployRefusedError(error.message);
    throw error;
  }
}
