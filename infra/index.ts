// The Pulumi program: one stack per environment (Pulumi.staging.yaml, Pulumi.prod.yaml).
// Config is read and validated here, once; everything below takes typed arguments.
// Order matters: every check that needs no network (config, the class declaration) runs before the build and
// before the one data-source read, and nothing is registered until all checks have passed.
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as manifest from "../worker/manifest.ts";
import { SECRET_NAMES } from "../worker/platform.ts";
import { adoptionRefusal } from "./adoption.ts";
import { BuildError, buildWorker } from "./build.ts";
import { buildGuardRefusal, HOLD_VERSION_ENV } from "./build-guard.ts";
import {
  ClassLifecycleError,
  type ClassPlan,
  changesClasses,
  classSignature,
  exportsFromManifest,
  planClasses,
  refuseUnconsentedDeletion,
} from "./class-lifecycle.ts";
import { readStackConfig } from "./config.ts";
import { DurableWorker } from "./durable-worker.ts";
import { startingPoint } from "./legacy-tags.ts";
import {
  type LiveDeployment,
  type LiveVersion,
  mainVersionOf,
  previousVersionId,
  readDeployments,
  readLiveScript,
  readVersion,
} from "./live-script.ts";
import { platformBindings } from "./runtime-environment.ts";
import { environmentForStack } from "./stack-environment.ts";
import { wranglerDeployConfig } from "./wrangler-config.ts";

/** Stops the deploy with a message and no stack trace (Pulumi prints a RunError's message only). */
class DeployRefusedError extends pulumi.RunError {
  override readonly name = "DeployRefusedError";
}

export default async function main() {
  const config = readStackConfig();
  const exports = refuseOn(() => exportsFromManifest(manifest));
  // A build refusal (a lifecycle mistake in the manifest, an unexported class) is one sentence, not a stack trace.
  const build = await buildWorker().catch((error: unknown) => {
    throw error instanceof BuildError ? new DeployRefusedError(error.message) : error;
  });
  const live = await readLiveScript(config.accountId, config.workerName);
  if (live) {
    // A stack the first resource model deployed must be adopted before this program touches it (infra/adoption.ts).
    const refusal = adoptionRefusal(config.stack, await ownPreviousOutputs(), true);
    if (refusal) throw new DeployRefusedError(refusal);
  }
  const starting = refuseOn(() => startingPoint(live, manifest.legacyMigrations));
  const deployments: readonly LiveDeployment[] = live
    ? await readDeployments(config.accountId, config.workerName)
    : [];
  // What serves now: the deployed version (never merely the latest upload: a held or rejected version is uploaded
  // but serves nothing), with its build and its classes.
  const deployed = mainVersionOf(deployments[0]);
  const serving: LiveVersion | undefined = deployed
    ? await readVersion(config.accountId, config.workerName, deployed.versionId)
    : undefined;
  const provisioned =
    starting.kind === "new-script"
      ? undefined
      : serving && serving.durableObjectClasses.size > 0
        ? serving.durableObjectClasses
        : starting.provisioned;
  const classPlan = refuseOn(() => planClasses(manifest, provisioned));
  const refusal = refuseUnconsentedDeletion(classPlan, config);
  if (refusal) throw new DeployRefusedError(refusal);
  const holdTrafficOn = process.env[HOLD_VERSION_ENV] || undefined;
  const wrongBuild = await buildGuardRefusal(config, build.buildId, {
    servingBuildId: serving?.buildId,
    deploymentMessages: deployments.map((d) => d.message),
    holdsTraffic: holdTrafficOn !== undefined,
  });
  if (wrongBuild) throw new DeployRefusedError(wrongBuild);
  // A class-lifecycle change (every first deploy creates the classes) can only be applied by a non-versioned
  // deploy at 100 % (infra/non-versioned-deploy.ts); everything else goes through versions and deployments.
  const deployPath = starting.kind !== "exports" || changesClasses(classPlan) ? "non-versioned" : "versioned";
  if (holdTrafficOn && deployPath === "non-versioned") {
    throw new DeployRefusedError(
      `This deploy changes Durable Object classes (${describePlan(classPlan, starting.kind)}), which Cloudflare ` +
        "applies only at 100 % in one step: it cannot be uploaded while another version keeps the traffic. " +
        "npm run promote takes such a build in one step; run it without a hold.",
    );
  }
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
  if (deployPath === "non-versioned") {
    pulumi.log.info(
      `${describePlan(classPlan, starting.kind)}: deploying with wrangler in one non-versioned step at 100 % ` +
        "(Cloudflare refuses a class change in a version upload, error 10211).",
    );
  }

  const vars = platformBindings(environmentForStack(config, build.buildId));
  const worker = new DurableWorker(
    config.workerName,
    {
      accountId: config.accountId,
      scriptName: config.workerName,
      content: build.content,
      mainModule: build.mainModule,
      bundleSha256: build.bundleSha256,
      // The provider reads the directory relative to its working directory, which is the program's: infra/ with
      // `main: infra/` in Pulumi.yaml. So the path is taken from there, not from the project root.
      assetsDirectory: path.relative(process.cwd(), build.assetsDirectory).split(path.sep).join("/"),
      buildId: build.buildId,
      compatibilityDate: config.compatibilityDate,
      compatibilityFlags: config.compatibilityFlags,
      exports,
      classes: classSignature(exports),
      // The same bindings `npm run dev -- --env <stack>` gives Miniflare (infra/stack-environment.ts).
      vars,
      secrets: { [SECRET_NAMES.adminToken]: config.adminToken },
      publicWrites: config.publicWrites,
      smartPlacement: config.smartPlacement,
      observability: config.observability,
      customDomain: config.customDomain,
      workersDevSubdomain: config.workersDevSubdomain,
      holdTrafficOn,
      deployPath,
      wranglerConfig: wranglerDeployConfig(config, build.buildId),
      apiToken: new pulumi.Config("cloudflare").getSecret("apiToken"),
    },
    // Children inherit `protect`: on prod, the Worker and its domain cannot be deleted or replaced.
    { protect: config.protect },
  );

  // The version that served before this one, and its build (a rollback's default target).
  const previous = worker.versionId.apply(async (current) => {
    const id = previousVersionId(deployments, current);
    if (!id) return { id: null, buildId: null };
    const version = id === serving?.id ? serving : await readVersion(config.accountId, config.workerName, id);
    return { id, buildId: version.buildId ?? null };
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
    // What this deploy was planned to change (offline), and how it reached Cloudflare.
    classLifecycle: { starting: starting.kind, ...classPlan },
    deployPath,
    exportsReconciliation: worker.version
      ? worker.version.exportsReconciliation.apply((r) => r ?? null)
      : null,
    locationHint: config.locationHint ?? null,
  };
}

/** This stack's outputs from its last deployment ({} when it has none), read through a StackReference to itself. */
async function ownPreviousOutputs(): Promise<Record<string, unknown>> {
  const self = new pulumi.StackReference(`${pulumi.getStack()}-previous`, {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  return new Promise((resolve) => self.outputs.apply((o) => resolve({ ...(o ?? {}) })));
}

/** The plan in words, for the log line that says why a deploy takes the non-versioned path. */
function describePlan(plan: ClassPlan, starting: string): string {
  if (starting === "new-script") return `a new Worker creates its classes ${plan.created.join(", ")}`;
  if (starting === "convert-from-tags") return "converting from tagged migrations to exports";
  const parts = [
    plan.created.length ? `creates ${plan.created.join(", ")}` : "",
    plan.deleted.length ? `deletes ${plan.deleted.join(", ")}` : "",
    plan.renamed.length ? `renames ${plan.renamed.map((r) => `${r.from} to ${r.to}`).join(", ")}` : "",
    plan.transferred.length ? `transfers ${plan.transferred.map((t) => t.className).join(", ")}` : "",
  ].filter(Boolean);
  return `this deploy ${parts.join("; ")}`;
}

function refuseOn<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ClassLifecycleError) throw new DeployRefusedError(error.message);
    throw error;
  }
}
