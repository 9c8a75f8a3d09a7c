import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { SECRET_NAMES } from "../../worker/platform.ts";

/**
 * The policies the prod workflow runs before `pulumi up -s prod` (CrossGuard, @pulumi/policy). They judge the
 * resources the program registers; what they need to know about the stack comes from the policy config (written
 * by the workflow: which Worker is prod's, whether a class deletion was consented to, the build staging runs).
 */
export interface PlatformPolicyConfig {
  /** Worker names that must be protected (prod's). */
  readonly protectedWorkers?: readonly string[];
  /** The stack's `allowClassDeletion` consent for this deploy. */
  readonly allowClassDeletion?: boolean;
  /** The build id staging runs (its `buildId` output): the only build prod may deploy. */
  readonly stagingBuildId?: string;
}

const WORKER = "cloudflare:index/worker:Worker";
const VERSION = "cloudflare:index/workerVersion:WorkerVersion";
const config = (args: ResourceValidationArgs) => args.getConfig<PlatformPolicyConfig>();

export const prodWorkerProtected: ResourceValidationPolicy = {
  name: "prod-worker-protected",
  description: "The prod Worker is protected: no pulumi destroy, no replacement.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { protectedWorkers: { type: "array", items: { type: "string" } } } },
  validateResource: (args, report) => {
    if (args.type !== WORKER) return;
    const name = String(args.props.name);
    if ((config(args).protectedWorkers ?? []).includes(name) && !args.opts.protect) {
      report(`Worker ${name} must be protected: pulumi config set protect true on its stack.`);
    }
  },
};

export const secretsAsSecrets: ResourceValidationPolicy = {
  name: "secrets-as-secret-bindings",
  description:
    "A secret (ADMIN_TOKEN, ...) reaches the Worker as a secret_text binding, never as plain text.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== VERSION) return;
    const secretNames = new Set<string>(Object.values(SECRET_NAMES));
    for (const binding of (args.props.bindings ?? []) as { type: string; name: string }[]) {
      if (secretNames.has(binding.name) && binding.type !== "secret_text") {
        report(`binding ${binding.name} is a secret but is sent as ${binding.type}: send it as secret_text.`);
      }
    }
  },
};

export const classDeletionConsented: ResourceValidationPolicy = {
  name: "class-deletion-consented",
  description: "A Durable Object class is deleted only with the stack's allowClassDeletion consent.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { allowClassDeletion: { type: "boolean" } } },
  validateResource: (args, report) => {
    if (args.type !== VERSION || config(args).allowClassDeletion) return;
    for (const [className, entry] of Object.entries(
      (args.props.exports ?? {}) as Record<string, { state?: string }>,
    )) {
      if (entry.state === "deleted") {
        report(`exports deletes the Durable Object class ${className} without allowClassDeletion consent.`);
      }
    }
  },
};

export const onlyStagingBuilds: ResourceValidationPolicy = {
  name: "only-builds-staging-ran",
  description:
    "A prod version carries the build staging runs (its tag, the build id over its bundle and static assets, is staging's buildId).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { stagingBuildId: { type: "string" } } },
  validateResource: (args, report) => {
    const staging = config(args).stagingBuildId;
    if (args.type !== VERSION || !staging) return;
    // The module's sha256 alone would miss a changed static asset (the OpenAPI document): the build id covers both.
    const tag = (args.props.annotations as { workersTag?: string } | undefined)?.workersTag;
    if (tag !== staging) {
      report(
        `version ${args.name} is build ${String(tag)}, which staging never ran (staging runs ${staging}): promote it through staging (npm run promote).`,
      );
    }
  },
};

export const platformPolicies = [
  prodWorkerProtected,
  secretsAsSecrets,
  classDeletionConsented,
  onlyStagingBuilds,
];
