import type { LegacyWorkerOptions } from "miniflare";
import {
  type LocalEnvironment,
  platformBindings,
  platformSecrets,
  type RateLimitSetting,
} from "../../infra/runtime-environment.ts";
import { durableObjects, rateLimits, runtimeDefaults } from "../../worker/manifest.ts";
import { VERSION_METADATA_BINDING } from "../../worker/platform.ts";

export type { LocalEnvironment, RateLimitSetting };

/** Local dev and tests: generous enough for `npm run bench`'s load, still a real rate-limiting binding. */
export const LOCAL_PUBLIC_WRITES: RateLimitSetting = { limit: 1_000_000, period: 60 };

/** Durable Object bindings for Miniflare, from the manifest. */
export function miniflareDurableObjects(): Record<string, { className: string; useSQLite: boolean }> {
  return Object.fromEntries(
    Object.entries(durableObjects).map(([binding, declaration]) => [
      binding,
      { className: declaration.className, useSQLite: declaration.storage === "sqlite" },
    ]),
  );
}

/**
 * Miniflare worker options (without the script) for one environment: the same bindings and Durable Objects a
 * deployed stack gets. Used by `npm run dev`, the artifact tests and the in-runtime test pool.
 */
export function miniflareWorkerOptions(given: LocalEnvironment) {
  const env = { ...given, publicWrites: given.publicWrites ?? LOCAL_PUBLIC_WRITES };
  return {
    compatibilityDate: env.compatibilityDate ?? runtimeDefaults.compatibilityDate,
    compatibilityFlags: [...(env.compatibilityFlags ?? runtimeDefaults.compatibilityFlags)],
    durableObjects: miniflareDurableObjects(),
    // Miniflare fills the binding with a version id of its own, like Cloudflare does for each version.
    versionMetadata: VERSION_METADATA_BINDING,
    bindings: { ...platformBindings(env), ...platformSecrets(env) },
    ratelimits: {
      // Miniflare 5 requires the namespace id; the deployed binding's, from the manifest.
      PUBLIC_WRITES: {
        namespace_id: rateLimits.PUBLIC_WRITES.namespaceId,
        simple: { limit: env.publicWrites.limit, period: env.publicWrites.period },
      },
    },
  } satisfies Partial<LegacyWorkerOptions>;
}
