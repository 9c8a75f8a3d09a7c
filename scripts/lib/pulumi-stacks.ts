import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { ROOT } from "../../infra/build.ts";
import { EXPECTED_BUILD_ID_ENV } from "../../infra/build-guard.ts";
import type { StackOps } from "./promotion.ts";

/**
 * The Pulumi side of the scripts, through Pulumi's Automation API (it drives the `pulumi` CLI on PATH against
 * this project's Pulumi.yaml). Promotion and smoke checks use it only through these functions, so tests can swap
 * in a recording fake (scripts/lib/promotion.ts `StackOps`).
 */
export class PulumiUnavailableError extends Error {
  override readonly name = "PulumiUnavailableError";
}

async function withCli<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const message = String((error as Error)?.message ?? error);
    if (/ENOENT|not found|Failed to find|could not find/i.test(message) && /pulumi/i.test(message)) {
      throw new PulumiUnavailableError(
        `${what} needs the Pulumi CLI (https://www.pulumi.com/docs/install/) and a login (\`pulumi login\`).`,
      );
    }
    throw error;
  }
}

export function selectStack(stackName: string): Promise<Stack> {
  return withCli(`Selecting stack ${stackName}`, () =>
    LocalWorkspace.selectStack({ stackName, workDir: ROOT }),
  );
}

/** A stack's outputs as plain values (secrets stay out: they are never printed by these scripts). */
export async function stackOutputs(stackName: string): Promise<Record<string, unknown>> {
  const stack = await selectStack(stackName);
  const outputs = await withCli(`Reading outputs of ${stackName}`, () => stack.outputs());
  return Object.fromEntries(
    Object.entries(outputs)
      .filter(([, o]) => !o.secret)
      .map(([k, o]) => [k, o.value]),
  );
}

/** Every stack of this project the current backend knows. */
export async function listStacks(): Promise<string[]> {
  return withCli("Listing stacks", async () => {
    const workspace = await LocalWorkspace.create({ workDir: ROOT });
    return (await workspace.listStacks()).map((s) => s.name);
  });
}

/** Resolves a smoke target: a URL as is, a stack name to its `url` output. */
export async function resolveTarget(target: string): Promise<{ url: URL; stack?: string }> {
  if (/^https?:\/\//i.test(target)) return { url: new URL(target) };
  const outputs = await stackOutputs(target);
  if (typeof outputs.url !== "string") {
    throw new Error(`Stack ${target} has no url output yet: run \`pulumi up -s ${target}\` first.`);
  }
  return { url: new URL(outputs.url), stack: target };
}

async function selectWithExpectedBuild(stackName: string, expectedBuildId: string): Promise<Stack> {
  return withCli(`Selecting stack ${stackName}`, () =>
    LocalWorkspace.selectStack(
      { stackName, workDir: ROOT },
      { envVars: { [EXPECTED_BUILD_ID_ENV]: expectedBuildId } },
    ),
  );
}

/** The real StackOps: `pulumi up` / `preview` through the Automation API, streaming the CLI's output. */
export const automationStackOps: StackOps = {
  outputs: stackOutputs,
  async up(stackName, { expectedBuildId, onOutput }) {
    const stack = await selectWithExpectedBuild(stackName, expectedBuildId);
    await stack.up({ onOutput, color: "never" });
  },
  async preview(stackName, { expectedBuildId, onOutput }) {
    const stack = await selectWithExpectedBuild(stackName, expectedBuildId);
    await stack.preview({ onOutput, color: "never" });
  },
};
