import type { LegacyWorkerOptions } from "miniflare";
import {
  type LocalEnvironment,
  platformBindings,
  platformSecrets,
  type RateLimitSetting,
} from "../../infra/runtime-environment.ts";
import { durableObjects, rateLimits, runtimeDefaults, staticAssets } from "../../worker/manifest.ts";
import { VERSION_METADATA_BINDING } from "../../worker/platform.ts";
import { localRateLimitBindings } from "./local-rate-limit.ts";

export type { LocalEnvironment, RateLimitSetting };

export type RateLimitName = keyof typeof rateLimits;

/** Local dev and tests: generous enough for `npm run bench`'s load, still a real rate-limiting binding. */
export const LOCAL_RATE_LIMIT: RateLimitSetting = { limit: 1_000_000, period: 60 };
export const LOCAL_PUBLIC_WRITES: RateLimitSetting = LOCAL_RATE_LIMIT;

/** Every rate limiter of the manifest with its local setting: the given one, else the generous local one. */
export function localRateLimits(env: LocalEnvironment): Record<RateLimitName, RateLimitSetting> {
  const given: Partial<Record<RateLimitName, RateLimitSetting>> = {
    ...(env.publicWrites ? { PUBLIC_WRITES: env.publicWrites } : {}),
    ...env.rateLimits,
  };
  return Object.fromEntries(
    (Object.keys(rateLimits) as RateLimitName[]).map((name) => {
      const { limit, period } = given[name] ?? LOCAL_RATE_LIMIT;
      return [name, { limit, period }];
    }),
  ) as Record<RateLimitName, RateLimitSetting>;
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

/**
 * The static assets of a build for Miniflare: the manifest's binding, serving the build's assets directory.
 *
 * A deployed version has the same files behind the same binding, routed as infra/bindings.ts `assetsRouting` says
 * (the worker first for every request, no HTML rewriting, no fallback page), so every request reaches the worker
 * as here. Locally the binding is workerd's read-only disk service rather than Miniflare's `assets` option: that
 * option puts Miniflare's asset router in front of every request as one more worker hop, which doubled the CPU of
 * a plain `GET /health` (1.3 ms instead of 0.6 ms of workerd CPU on Miniflare 5.20260815, `npm run bench -- --only
 * http`) to serve one file that only `GET /openapi.json` reads. Only for a built bundle: sources run without a
 * build (the in-runtime test pool) have no assets directory, and the route answers 404 there.
 */
export function miniflareAssetBindings(directory: string) {
  return {
    [staticAssets.binding]: { disk: { path: directory, writable: false } },
  } satisfies LegacyWorkerOptions["serviceBindings"];
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
    // Each limiter is bound to its in-memory stand-in (scripts/lib/local-rate-limit.ts).
    unsafeBindings: localRateLimitBindings(localRateLimits(env)),
  } satisfies Partial<LegacyWorkerOptions>;
}
