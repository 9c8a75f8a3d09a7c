import type { WorkerOptions } from "miniflare";
import { durableObjects, latestMigrationTag, runtimeDefaults } from "../../worker/manifest.ts";
import { VAR_NAMES } from "../../worker/platform.ts";

/** The per-environment values a local worker runs with (the same ones a stack passes as bindings). */
export interface LocalEnvironment {
  readonly environment: string;
  readonly buildId: string;
  readonly locationHint?: string | undefined;
  readonly jurisdiction?: string | undefined;
  readonly compatibilityDate?: string | undefined;
  readonly compatibilityFlags?: readonly string[] | undefined;
  /** Extra plain-text or secret bindings (e.g. ADMIN_TOKEN). */
  readonly extraBindings?: Readonly<Record<string, string>> | undefined;
}

/** Durable Object bindings for Miniflare, from the manifest. */
export function miniflareDurableObjects(): Record<string, { className: string; useSQLite: boolean }> {
  return Object.fromEntries(
    Object.entries(durableObjects).map(([binding, declaration]) => [
      binding,
      { className: declaration.className, useSQLite: declaration.storage === "sqlite" },
    ]),
  );
}

/** Plain-text bindings every environment sets (names from worker/platform.ts). */
export function platformBindings(env: LocalEnvironment): Record<string, string> {
  return {
    [VAR_NAMES.environment]: env.environment,
    [VAR_NAMES.buildId]: env.buildId,
    [VAR_NAMES.migrationTag]: latestMigrationTag(),
    ...(env.locationHint ? { [VAR_NAMES.locationHint]: env.locationHint } : {}),
    ...(env.jurisdiction ? { [VAR_NAMES.jurisdiction]: env.jurisdiction } : {}),
    ...env.extraBindings,
  };
}

/**
 * Miniflare worker options (without the script) for one environment: the same bindings and Durable Objects a
 * deployed stack gets. Used by `npm run dev`, the artifact tests and the in-runtime test pool.
 */
export function miniflareWorkerOptions(env: LocalEnvironment) {
  return {
    compatibilityDate: env.compatibilityDate ?? runtimeDefaults.compatibilityDate,
    compatibilityFlags: [...(env.compatibilityFlags ?? runtimeDefaults.compatibilityFlags)],
    durableObjects: miniflareDurableObjects(),
    bindings: platformBindings(env),
  } satisfies Partial<WorkerOptions>;
}
