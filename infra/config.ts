import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config.js";
import { projectConfigDefaults, unqualify } from "./project-file.ts";
import { formatConfigProblems, type StackSettings, validateStackConfig } from "./stack-settings.ts";

/** A stack's validated settings plus its secrets, as the Pulumi program uses them. */
export interface StackConfig extends StackSettings {
  /** The ADMIN_TOKEN secret binding: a secret Output, so it stays encrypted in state and hidden in outputs. */
  readonly adminToken: pulumi.Output<string>;
}

/** Pulumi prints a RunError's message without a stack trace: the right shape for "fix your config". */
export class StackConfigError extends pulumi.RunError {
  override readonly name = "StackConfigError";
}

// Pulumi's public Config API cannot tell whether a value was set with --secret. The runtime's own check reads the
// secret-key list the CLI hands the program (PULUMI_CONFIG_SECRET_KEYS; `setAllConfig(..., secretKeys)` under
// mocks). It is exported from the module but left out of the .d.ts, hence the narrow cast.
const { isConfigSecret } = runtimeConfig as unknown as { isConfigSecret?: (fullKey: string) => boolean };

/**
 * Reads the stack's config (namespace = the project name in Pulumi.yaml), validates it with the same pure
 * function the synth and the dev server use, and throws one StackConfigError naming every problem and the
 * command that fixes it.
 */
export function readStackConfig(): StackConfig {
  const stack = pulumi.getStack();
  const project = pulumi.getProject();
  if (!isConfigSecret) {
    throw new StackConfigError(
      "This @pulumi/pulumi no longer exports runtime/config isConfigSecret; infra/config.ts needs another way " +
        "to check that adminToken was set with --secret.",
    );
  }
  const values: Record<string, string> = { ...projectConfigDefaults() };
  const secretKeys: string[] = [];
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    const key = unqualify(fullKey, project);
    if (key === undefined || fullKey === key) continue;
    values[key] = value;
    if (isConfigSecret(fullKey)) secretKeys.push(key);
  }
  const result = validateStackConfig({ stack, values, secretKeys, purpose: "deploy" });
  if (!result.ok) throw new StackConfigError(formatConfigProblems(stack, result.problems));
  return { ...result.settings, adminToken: new pulumi.Config().requireSecret("adminToken") };
}
