import * as pulumi from "@pulumi/pulumi";
import { rejectedBuildOf } from "./release-record.ts";
import type { StackSettings } from "./stack-settings.ts";

/**
 * Environment variable through which `npm run promote` tells the program which build id it must deploy. An
 * environment variable, not stack config, so a promotion never rewrites Pulumi.<stack>.yaml.
 */
export const EXPECTED_BUILD_ID_ENV = "PLATFORM_EXPECTED_BUILD_ID";

/**
 * Environment variable through which `npm run promote` asks the program to upload the new version but keep 100 %
 * of traffic on the version it names (the live one), before moving traffic step by step. Unset: the new version
 * takes 100 %, as on every other deploy.
 */
export const HOLD_VERSION_ENV = "PLATFORM_HOLD_VERSION_ID";

/** What Cloudflare says about the stack, as far as the guard needs it (infra/index.ts reads it). */
export interface BuildGuardContext {
  /** The build of the version that serves now (undefined: nothing deployed, or uploaded outside this program). */
  readonly servingBuildId?: string | undefined;
  /**
   * The stack's deployment messages, newest first (infra/release-record.ts): a revert names the build a promotion
   * rejected, a promotion's final step names the build it sent to 100 %.
   */
  readonly deploymentMessages?: readonly string[];
  /** True when this deploy only uploads (a promotion's hold), so it sends no traffic to the build. */
  readonly holdsTraffic?: boolean;
}

/**
 * Whether the newest record of `buildId` in the deployment messages is a rejection: a promotion reverted it, and
 * no later promotion or deploy sent it to 100 %. Read from Cloudflare, so every machine and CI runner sees it.
 */
export function isRejected(buildId: string, messages: readonly string[]): boolean {
  for (const message of messages) {
    if (rejectedBuildOf(message) === buildId) return true;
    if (message.includes(buildId)) return false;
  }
  return false;
}

/**
 * Why this deploy must not ship `buildId`, or undefined when it may:
 * - a promotion passed the build it tested (EXPECTED_BUILD_ID_ENV) and this tree builds another;
 * - a promotion to this stack rejected the build and reverted it, and this deploy would send it traffic: a plain
 *   `pulumi up` after a failed promotion must not ship what the promotion just took back (`allowRejectedBuild` is
 *   the explicit way past it);
 * - the stack is promoted from another (`promotedFrom`, e.g. prod from staging) and that stack's `buildId`
 *   output, read through a StackReference, is another build, so `pulumi up -s prod` by hand cannot skip
 *   promotion by accident. Redeploying the build the stack already serves is allowed (a secret rotation, a
 *   setting): it changes no code. `allowBuildMismatch` is the explicit way past this check.
 */
export async function buildGuardRefusal(
  settings: StackSettings,
  buildId: string,
  context: BuildGuardContext = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const expected = env[EXPECTED_BUILD_ID_ENV];
  if (expected && expected !== buildId) {
    return `This tree builds ${buildId}, but the promotion tested ${expected}: deploy the commit that was tested.`;
  }
  if (
    !context.holdsTraffic &&
    !settings.allowRejectedBuild &&
    isRejected(buildId, context.deploymentMessages ?? [])
  ) {
    return (
      `A promotion to ${settings.stack} rejected build ${buildId} and reverted it (Cloudflare's deployment history ` +
      "records it). Fix the cause, deploy the fix to the stack it is promoted from and promote it (npm run promote); " +
      `to ship this build anyway, pulumi config set allowRejectedBuild true -s ${settings.stack} for one deploy.`
    );
  }
  if (!settings.promotedFrom || settings.allowBuildMismatch) return undefined;
  if (context.servingBuildId === buildId) return undefined;
  const source = new pulumi.StackReference(`${settings.stack}-promoted-from`, {
    name: settings.promotedFrom,
  });
  const sourceBuild: unknown = await source.getOutputValue("buildId");
  if (sourceBuild === buildId) return undefined;
  return (
    `Stack ${settings.stack} deploys only the build ${settings.promotedFrom} runs (${String(sourceBuild ?? "none yet")}), ` +
    `or the build it serves now (${context.servingBuildId ?? "none"}), and this tree builds ${buildId}. ` +
    `Deploy it to ${settings.promotedFrom} first and promote it (npm run promote), ` +
    `or, for an emergency fix, pulumi config set allowBuildMismatch true -s ${settings.stack} for one deploy.`
  );
}
