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
  /**
   * The Durable Object classes the stack has provisioned (its `classes` output: `Counter:sqlite,...`, or the class
   * names). A `deleted` tombstone of a class not in it was applied earlier (a stale tombstone): it deletes nothing
   * and needs no consent, as the program's class plan says (infra/class-lifecycle.ts planClasses). Unset: every
   * `deleted` tombstone needs consent.
   */
  readonly provisionedClasses?: string;
  /** The build id staging runs (its `buildId` output): the only build prod may deploy... */
  readonly stagingBuildId?: string;
  /** ...besides the build prod serves now (its `buildId` output): redeploying it changes no code. */
  readonly servingBuildId?: string;
}

const WORKER = "cloudflare:index/worker:Worker";
const VERSION = "cloudflare:index/workerVersion:WorkerVersion";
/** The program's non-versioned deploy (infra/non-versioned-deploy.ts): a wrangler configuration and its secrets. */
const NON_VERSIONED = "pulumi-nodejs:dynamic/platform:NonVersionedDeploy";

/** The `exports` a resource sends: the version's, or the one in the non-versioned deploy's wrangler configuration. */
function exportsOf(args: ResourceValidationArgs): Record<string, { state?: string }> | undefined {
  if (args.type === VERSION) return args.props.exports ?? {};
  if (args.type === NON_VERSIONED) return args.props.config?.exports ?? {};
  return undefined;
}

/** The build a resource ships: the version's tag, or the non-versioned deploy's. */
function buildOf(args: ResourceValidationArgs): string | undefined {
  if (args.type === VERSION)
    return (args.props.annotations as { workersTag?: string } | undefined)?.workersTag;
  if (args.type === NON_VERSIONED) return args.props.tag;
  return undefined;
}
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
    const secretNames = new Set<string>(Object.values(SECRET_NAMES));
    if (args.type === NON_VERSIONED) {
      // wrangler sends `vars` as plain_text; secrets travel only in its secrets file.
      for (const name of Object.keys((args.props.config?.vars ?? {}) as object)) {
        if (secretNames.has(name))
          report(`${name} is a secret but is in the wrangler vars: send it as a secret.`);
      }
      return;
    }
    if (args.type !== VERSION) return;
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
  configSchema: {
    properties: { allowClassDeletion: { type: "boolean" }, provisionedClasses: { type: "string" } },
  },
  validateResource: (args, report) => {
    const exports = exportsOf(args);
    if (!exports || config(args).allowClassDeletion) return;
    const listed = config(args).provisionedClasses;
    const provisioned =
      listed === undefined ? undefined : new Set(listed.split(",").map((c) => c.split(":")[0]!.trim()));
    for (const [className, entry] of Object.entries(exports)) {
      if (entry.state === "deleted" && (!provisioned || provisioned.has(className))) {
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
  configSchema: { properties: { stagingBuildId: { type: "string" }, servingBuildId: { type: "string" } } },
  validateResource: (args, report) => {
    const { stagingBuildId: staging, servingBuildId: serving } = config(args);
    const tag = buildOf(args);
    if (tag === undefined || !staging) return;
    // The module's sha256 alone would miss a changed static asset (the OpenAPI document): the build id covers both.
    if (tag !== staging && tag !== serving) {
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
