import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { type MockRun, type MockRunOptions, runProgramUnderMocks } from "../../scripts/lib/pulumi-mocks.ts";

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
} as const;

/** Runs `pulumi up -s <stack>` under mocks with the team's settings (adminToken set with --secret). */
export function deploy(
  stack: string,
  options: Omit<MockRunOptions, "stack" | "secretKeys"> = {},
): Promise<MockRun> {
  return runProgramUnderMocks({
    ...options,
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
