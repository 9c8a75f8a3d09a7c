// The Pulumi program: one stack per environment (Pulumi.staging.yaml, Pulumi.prod.yaml).
// Config is read and validated here, once; everything below takes typed arguments.
// Order matters: every check that needs no network (config, migration history) runs before the build and
// before the one data-source read, and nothing is registered until all checks have passed.
import * as pulumi from "@pulumi/pulumi";
import { buildWorker } from "../scripts/lib/build.ts";
import { platformBindings } from "../scripts/lib/miniflare-options.ts";
import { environmentForStack } from "../scripts/lib/stack-environment.ts";
import { durableObjects, migrations } from "../worker/manifest.ts";
import { SECRET_NAMES } from "../worker/platform.ts";
import { buildGuardRefusal } from "./build-guard.ts";
import { readStackConfig } from "./config.ts";
import { DurableWorker } from "./durable-worker.ts";
import { readLiveMigrationTag } from "./live-tag.ts";
import {
  MigrationHistoryError,
  plannedDeletions,
  refuseUnconsentedDeletion,
  validateMigrationHistory,
} from "./migration-history.ts";
import { MigrationPlanError, planMigrations } from "./migrations.ts";

/** Stops the deploy with a message and no stack trace (Pulumi prints a RunError's message only). */
class DeployRefusedError extends pulumi.RunError {
  override readonly name = "DeployRefusedError";
}

export default async function main() {
  const config = readStackConfig();
  refuseOn(() => validateMigrationHistory(migrations, durableObjects));
  const build = await buildWorker();
  const liveTag = await readLiveMigrationTag(config.accountId, config.workerName);
  const migrationPlan = refuseOn(() => planMigrations(migrations, liveTag));
  const refusal = refuseUnconsentedDeletion(migrationPlan, config);
  if (refusal) throw new DeployRefusedError(refusal);
  const wrongBuild = await buildGuardRefusal(config, build.buildId);
  if (wrongBuild) throw new DeployRefusedError(wrongBuild);
  for (const { className, tag } of plannedDeletions(migrationPlan)) {
    pulumi.log.warn(`migration ${tag} deletes the Durable Object class ${className} and all of its objects.`);
  }
  if (config.allowClassDeletion && plannedDeletions(migrationPlan).length === 0) {
    pulumi.log.warn(
      `allowClassDeletion is on but nothing is deleted: pulumi config rm allowClassDeletion -s ${config.stack}`,
    );
  }

  const worker = new DurableWorker(
    config.workerName,
    {
      accountId: config.accountId,
      scriptName: config.workerName,
      content: build.content,
      mainModule: build.mainModule,
      buildId: build.buildId,
      compatibilityDate: config.compatibilityDate,
      compatibilityFlags: config.compatibilityFlags,
      migrationPlan,
      // The same bindings `npm run dev -- --env <stack>` gives Miniflare (scripts/lib/stack-environment.ts).
      vars: platformBindings(environmentForStack(config, build.buildId)),
      secrets: { [SECRET_NAMES.adminToken]: config.adminToken },
      publicWrites: config.publicWrites,
      smartPlacement: config.smartPlacement,
      observability: config.observability,
      customDomain: config.customDomain,
      workersDevSubdomain: config.workersDevSubdomain,
    },
    // Children inherit `protect`: on prod, the script, its route and its domain cannot be deleted or replaced.
    { protect: config.protect },
  );

  return {
    url: worker.url,
    buildId: worker.buildId,
    scriptName: worker.scriptName,
    migrationTag: migrationPlan.kind === "apply" ? migrationPlan.newTag : migrationPlan.tag,
    locationHint: config.locationHint ?? null,
  };
}

function refuseOn<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof MigrationHistoryError || error instanceof MigrationPlanError) {
      throw new DeployRefusedError(error.message);
    }
    throw error;
  }
}
