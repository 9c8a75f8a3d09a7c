import type * as cloudflare from "@pulumi/cloudflare";
import type * as pulumi from "@pulumi/pulumi";
import type { RateLimitSetting } from "../scripts/lib/miniflare-options.ts";
import { durableObjects, type MigrationSteps, rateLimits } from "../worker/manifest.ts";
import type { MigrationPlan } from "./migrations.ts";

type ScriptBinding = cloudflare.types.input.WorkersScriptBinding;

/** The manifest's Durable Objects as script bindings (same names and classes Miniflare gets). */
export function durableObjectBindings(): ScriptBinding[] {
  return Object.entries(durableObjects).map(([name, declaration]) => ({
    type: "durable_object_namespace",
    name,
    className: declaration.className,
  }));
}

/**
 * Every rate limiter of the manifest (Workers rate-limiting bindings). PUBLIC_WRITES takes the stack's limit and
 * period; the others take the manifest's.
 */
export function rateLimitBindings(
  publicWrites: RateLimitSetting = rateLimits.PUBLIC_WRITES,
): ScriptBinding[] {
  return Object.entries(rateLimits).map(([name, declaration]) => {
    const { limit, period } = name === "PUBLIC_WRITES" ? publicWrites : declaration;
    return { type: "ratelimit", name, namespaceId: declaration.namespaceId, simple: { limit, period } };
  });
}

export function plainTextBindings(vars: Readonly<Record<string, string>>): ScriptBinding[] {
  return Object.entries(vars).map(([name, text]) => ({ type: "plain_text", name, text }));
}

export function secretBindings(secrets: Readonly<Record<string, pulumi.Input<string>>>): ScriptBinding[] {
  return Object.entries(secrets).map(([name, text]) => ({ type: "secret_text", name, text }));
}

function toProviderSteps(steps: MigrationSteps): cloudflare.types.input.WorkersScriptMigrationsStep {
  return {
    ...(steps.newSqliteClasses ? { newSqliteClasses: [...steps.newSqliteClasses] } : {}),
    ...(steps.newClasses ? { newClasses: [...steps.newClasses] } : {}),
    ...(steps.renamedClasses
      ? { renamedClasses: steps.renamedClasses.map((r) => ({ from: r.from, to: r.to })) }
      : {}),
    ...(steps.deletedClasses ? { deletedClasses: [...steps.deletedClasses] } : {}),
  };
}

/** The `migrations` input for the script: the planned steps, or undefined (send nothing) when up to date. */
export function migrationsInput(
  plan: MigrationPlan,
): cloudflare.types.input.WorkersScriptMigrations | undefined {
  if (plan.kind === "up-to-date") return undefined;
  return {
    ...(plan.oldTag ? { oldTag: plan.oldTag } : {}),
    newTag: plan.newTag,
    steps: plan.steps.map(toProviderSteps),
  };
}
