import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { ROOT } from "../../infra/build.ts";
import { EXPECTED_BUILD_ID_ENV, HOLD_VERSION_ENV } from "../../infra/build-guard.ts";
import type { StackOps } from "./promotion.ts";
import { explainPulumiError, noUrlOutput } from "./pulumi-errors.ts";

/**
 * The Pulumi side of the scripts, through Pulumi's Automation API (it drives the `pulumi` CLI on PATH against
 * this project's Pulumi.yaml). Promotion, smoke checks, status, logs and token rotation use it only through these
 * functions, so tests can swap in a recording fake (scripts/lib/promotion.ts `StackOps`). Every failure of the
 * CLI leaves here as a PulumiProblem: one sentence and the command that fixes it (scripts/lib/pulumi-errors.ts).
 */
async function withCli<T>(stack: string | undefined, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw explainPulumiError(error, stack);
  }
}

export function selectStack(stackName: string, envVars?: Record<string, string>): Promise<Stack> {
  return withCli(stackName, () =>
    LocalWorkspace.selectStack({ stackName, workDir: ROOT }, envVars ? { envVars } : undefined),
  );
}

/** A stack's outputs as plain values (secrets stay out: they are never printed by these scripts). */
export async function stackOutputs(stackName: string): Promise<Record<string, unknown>> {
  const stack = await selectStack(stackName);
  const outputs = await withCli(stackName, () => stack.outputs());
  return Object.fromEntries(
    Object.entries(outputs)
      .filter(([, o]) => !o.secret)
      .map(([k, o]) => [k, o.value]),
  );
}

/** One config value of a stack, decrypted when it is a secret (`pulumi config get <key> -s <stack>`). */
export async function stackConfigValue(stackName: string, key: string): Promise<string | undefined> {
  const stack = await selectStack(stackName);
  const all = await withCli(stackName, () => stack.getAllConfig());
  // Project keys are namespaced by the project name (`do-platform:adminToken`); provider keys keep theirs.
  const entry = Object.entries(all).find(([k]) => k === key || k.endsWith(`:${key}`));
  const value = entry?.[1].value;
  return value === undefined || value === "" ? undefined : value;
}

/** Sets a secret config value of a stack (`pulumi config set --secret <key> <value> -s <stack>`). */
export async function setStackSecret(stackName: string, key: string, value: string): Promise<void> {
  const stack = await selectStack(stackName);
  await withCli(stackName, () => stack.setConfig(key, { value, secret: true }));
}

/** `pulumi up -s <stack>`, streaming the CLI's output. */
export async function upStack(stackName: string, onOutput: (text: string) => void): Promise<void> {
  const stack = await selectStack(stackName);
  await withCli(stackName, () => stack.up({ onOutput, color: "never" }));
}

/** Every stack of this project the current backend knows. */
export async function listStacks(): Promise<string[]> {
  return withCli(undefined, async () => {
    const workspace = await LocalWorkspace.create({ workDir: ROOT });
    return (await workspace.listStacks()).map((s) => s.name);
  });
}

/** A stack's `url` output, or a PulumiProblem saying it has not been deployed. */
export async function stackUrl(stackName: string): Promise<URL> {
  const outputs = await stackOutputs(stackName);
  if (typeof outputs.url !== "string") throw noUrlOutput(stackName);
  return new URL(outputs.url);
}

/** Resolves a smoke target: a URL as is, a stack name to its `url` output. */
export async function resolveTarget(target: string): Promise<{ url: URL; stack?: string }> {
  if (/^https?:\/\//i.test(target)) return { url: new URL(target) };
  return { url: await stackUrl(target), stack: target };
}

/** The real StackOps: `pulumi up` / `preview` through the Automation API, streaming the CLI's output. */
export const automationStackOps: StackOps = {
  outputs: stackOutputs,
  async up(stackName, { expectedBuildId, holdTrafficOn, onOutput }) {
    const stack = await selectStack(stackName, {
      [EXPECTED_BUILD_ID_ENV]: expectedBuildId,
      // Always set, so a hold from an earlier call on this workspace never carries over.
      [HOLD_VERSION_ENV]: holdTrafficOn ?? "",
    });
    await withCli(stackName, () => stack.up({ onOutput, color: "never" }));
  },
  async preview(stackName, { expectedBuildId, onOutput }) {
    const stack = await selectStack(stackName, { [EXPECTED_BUILD_ID_ENV]: expectedBuildId });
    await withCli(stackName, () => stack.preview({ onOutput, color: "never" }));
  },
};
