// The Pulumi program: one stack per environment (Pulumi.staging.yaml, Pulumi.prod.yaml).
// Config is read and validated here, once; everything below takes typed arguments.
import { buildWorker } from "../scripts/lib/build.ts";
import { platformBindings } from "../scripts/lib/miniflare-options.ts";
import { migrations } from "../worker/manifest.ts";
import { readStackConfig } from "./config.ts";
import { DurableWorker } from "./durable-worker.ts";
import { readLiveMigrationTag } from "./live-tag.ts";
import { planMigrations } from "./migrations.ts";

export default async function main() {
  const config = readStackConfig();
  const build = await buildWorker();
  const liveTag = await readLiveMigrationTag(config.accountId, config.workerName);
  const migrationPlan = planMigrations(migrations, liveTag);

  const worker = new DurableWorker(config.workerName, {
    accountId: config.accountId,
    scriptName: config.workerName,
    content: build.content,
    mainModule: build.mainModule,
    buildId: build.buildId,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags,
    migrationPlan,
    // The same bindings `npm run dev` and the tests give Miniflare (scripts/lib/miniflare-options.ts).
    vars: platformBindings({
      environment: config.environment,
      buildId: build.buildId,
      locationHint: config.locationHint,
      jurisdiction: config.jurisdiction,
    }),
    workersDevSubdomain: config.workersDevSubdomain,
  });

  return {
    url: worker.url,
    buildId: worker.buildId,
    scriptName: worker.scriptName,
    migrationTag: migrationPlan.kind === "apply" ? migrationPlan.newTag : migrationPlan.tag,
    locationHint: config.locationHint ?? null,
  };
}
