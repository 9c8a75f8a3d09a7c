import * as pulumi from "@pulumi/pulumi";
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

/**
 * Why this deploy must not ship `buildId`, or undefined when it may:
 * - a promotion passed the build it tested (EXPECTED_BUILD_ID_ENV) and this tree builds another;
 * - the stack is promoted from another (`promotedFrom`, e.g. prod from staging) and that stack's `buildId`
 *   output, read through a StackReference, is another build, so `pulumi up -s prod` by hand cannot skip
 *   promotion by accident. `allowBuildMismatch` is the explicit way past the second check.
 */
export async function buildGuardRefusal(
  settings: StackSettings,
  buildId: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const expected = env[EXPECTED_BUILD_ID_ENV];
  if (expected && expected !== buildId) {
    return `This tree builds ${buildId}, but the promotion tested ${expected}: deploy the commit that was tested.`;
  }
  if (!settings.promotedFrom || settings.allowBuildMismatch) return undefined;
  const source = new pulumi.StackReference(`${settings.stack}-promoted-from`, {
    name: settings.promotedFrom,
  });
  const sourceBuild: unknown = await source.getOutputValue("buildId");
  if (sourceBuild === buildId) return undefined;
  return (
    `Stack ${settings.stack} deploys only the build ${settings.promotedFrom} runs (${String(sourceBuild ?? "none yet")}), ` +
    `and this tree builds ${buildId}. Deploy it to ${settings.promotedFrom} first and promote it (npm run promote), ` +
    `or, for an emergency fix, pulumi config set allowBuildMismatch true -s ${settings.stack} for one deploy.`
  );
}
