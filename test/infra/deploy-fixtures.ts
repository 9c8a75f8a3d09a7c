import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { liveClasses } from "../../infra/class-lifecycle.ts";
import { type MockRun, type MockRunOptions, runProgramUnderMocks } from "../../scripts/lib/pulumi-mocks.ts";
import * as manifest from "../../worker/manifest.ts";

/** What a team sets once per stack with `pulumi config set` (never committed): stand-ins for the tests. */
export const ACCOUNT = "0123456789abcdef0123456789abcdef";
export const ZONE = "fedcba9876543210fedcba9876543210";
/** Unique per test run, so finding it anywhere it must not be is never a coincidence. */
export const ADMIN_TOKEN = `admin-${randomUUID()}`;
export const teamConfig = { accountId: ACCOUNT, workersDevSubdomain: "acme", adminToken: ADMIN_TOKEN };

export const TYPES = {
  stack: "pulumi:pulumi:Stack",
  component: "platform:cloudflare:DurableWorker",
  worker: "cloudflare:index/worker:Worker",
  version: "cloudflare:index/workerVersion:WorkerVersion",
  deployment: "cloudflare:index/workersDeployment:WorkersDeployment",
  customDomain: "cloudflare:index/workersCustomDomain:WorkersCustomDomain",
  stackReference: "pulumi:pulumi:StackReference",

  nonVersionedDeploy: "pulumi-nodejs:dynamic/platform:NonVersionedDeploy",
} as const;

/** The version an existing stack serves in these tests, and the build it was uploaded with. */
export const SERVING_VERSION = "v-serving";

/**
 * A stack that is already deployed with every live class of the manifest provisioned: the routine deploy, which
 * goes through a WorkerVersion and a WorkersDeployment. A first deploy (`live: undefined`) creates the classes and
 * takes the non-versioned path instead.
 */
export const deployedStack = {
  classes: [...liveClasses(manifest).keys()],
  deployments: [[{ versionId: SERVING_VERSION, percentage: 100 }]],
} as const;

/**
 * Runs `pulumi up -s <stack>` under mocks with the team's settings (adminToken set with --secret), against an
 * already deployed stack unless `live` says otherwise.
 */
export function deploy(
  stack: string,
  options: Omit<MockRunOptions, "stack" | "secretKeys"> = {},
): Promise<MockRun> {
  return runProgramUnderMocks({
    ...options,
    live: "live" in options ? options.live : deployedStack,
    stack,
    config: { ...teamConfig, ...options.config },
    secretKeys: ["adminToken"],
  });
}

export function resourcesOf(run: MockRun, type: string) {
  return run.resources.filter((r) => r.type === type);
}

/** The one resource of `type` a run registers, its inputs loosely typed for assertions. */
export function onlyOf(run: MockRun, type: string) {
  const found = resourcesOf(run, type);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The one WorkerVersion a run uploads: the bundle, bindings, compatibility, placement and `exports`. */
export const versionOf = (run: MockRun) => onlyOf(run, TYPES.version);

/** The non-versioned deploy a run registers (a first deploy, or one that changes the class lifecycle). */
export const nonVersionedOf = (run: MockRun) => onlyOf(run, TYPES.nonVersionedDeploy);

/**
 * What a run uploads for the class lifecycle, whichever path it takes: the version's inputs, or the wrangler
 * configuration of the non-versioned deploy. Either way `exports` is there and `migrations` is not.
 */
export function lifecycleUploadOf(run: MockRun): Record<string, unknown> {
  if (resourcesOf(run, TYPES.version).length > 0) return versionOf(run).inputs;
  return nonVersionedOf(run).inputs.config as Record<string, unknown>;
}

/** The StackReferences a run reads to check the promotion source (not the one to its own previous outputs). */
export const promotionReferencesOf = (run: MockRun) =>
  resourcesOf(run, TYPES.stackReference).filter((r) => r.name.endsWith("-promoted-from"));
