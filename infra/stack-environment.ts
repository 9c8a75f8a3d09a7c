import { stackConfigFromFiles } from "./project-file.ts";
import type { LocalEnvironment } from "./runtime-environment.ts";
import { type StackConfigResult, type StackSettings, validateStackConfig } from "./stack-settings.ts";

/**
 * A stack's settings for a local run, from Pulumi.yaml and Pulumi.<stack>.yaml alone, validated by the same pure
 * function as `pulumi up` (without the account and secrets a local run does not need).
 */
export function localStackSettings(stack: string): StackConfigResult {
  const { values } = stackConfigFromFiles(stack);
  return validateStackConfig({ stack, values, secretKeys: [], purpose: "local" });
}

/**
 * The runtime environment of a stack: the values its worker runs with. The Pulumi program turns it into script
 * bindings and settings; `npm run dev -- --env <stack>` gives it to Miniflare. One function, so the two cannot
 * drift (test/infra/synth-vs-dev.test.ts compares them).
 */
export function environmentForStack(
  settings: StackSettings,
  buildId: string,
  /** Secret bindings by name (e.g. ADMIN_TOKEN); locally from the environment or .dev.vars. */
  secrets: Readonly<Record<string, string>> = {},
): LocalEnvironment {
  return {
    environment: settings.environment,
    buildId,
    locationHint: settings.locationHint,
    jurisdiction: settings.jurisdiction,
    compatibilityDate: settings.compatibilityDate,
    compatibilityFlags: settings.compatibilityFlags,
    publicWrites: settings.publicWrites,
    corsAllowedOrigins: settings.corsAllowedOrigins,
    webhookAllowedHosts: settings.webhookAllowedHosts,
    adminToken: secrets.ADMIN_TOKEN,
  };
}
