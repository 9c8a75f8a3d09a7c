import type { LegacyWorkerOptions } from "miniflare";
import type { ClassManifest } from "../../infra/class-lifecycle.ts";
import {
  type LocalEnvironment,
  platformBindings,
  platformSecrets,
  type RateLimitSetting,
} from "../../infra/runtime-environment.ts";
import * as manifest from "../../worker/manifest.ts";
import { rateLimits, runtimeDefaults, staticAssets } from "../../worker/manifest.ts";
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

/**
 * Durable Object bindings for Miniflare, from the manifest (default worker/manifest.ts). `namespaceKeys` gives a
 * class the storage namespace of another (class name -> Miniflare `unsafeUniqueKey`): that is how a renamed class
 * keeps its local objects (scripts/lib/local-classes.ts).
 */
export function miniflareDurableObjects(
  { durableObjects }: Pick<ClassManifest, "durableObjects"> = manifest,
  namespaceKeys: Readonly<Record<string, string>> = {},
): Record<string, { className: string; useSQLite: boolean; unsafeUniqueKey?: string }> {
  return Object.fromEntries(
    Object.entries(durableObjects).map(([binding, declaration]) => {
      const key = namespaceKeys[declaration.className];
      return [
        binding,
        {
          className: declaration.className,
          useSQLite: declaration.storage === "sqlite",
          ...(key ? { unsafeUniqueKey: key } : {}),
        },
      ];
    }),
  );
}

/**
 * The static assets of a build for Miniflare: the manifest's binding, serving the build's assets directory.
 *
 * A deployed version has the same files behind the same binding, routed as infra/bindings.ts `assetsRouting` says
 * (the worker first for every request, no HTML rewriting, no fallback page), so every request reaches the worker
 * as here. Locally the binding is workerd's read-only disk service rather than Miniflare's `assets` option: that
 * option puts Miniflare's asset router in front of every request as one more worker hop, which about doubled the
 * workerd CPU of a plain `GET /health` (`npm run bench -- --only http`) to serve one file that only
 * `GET /openapi.json` reads. Only for a built bundle: sources run without a
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
export function miniflareWorkerOptions(
  given: LocalEnvironment,
  classes: {
    readonly manifest?: Pick<ClassManifest, "durableObjects">;
    readonly namespaceKeys?: Readonly<Record<string, string>>;
  } = {},
) {
  const env = { ...given, publicWrites: given.publicWrites ?? LOCAL_PUBLIC_WRITES };
  return {
    compatibilityDate: env.compatibilityDate ?? runtimeDefaults.compatibilityDate,
    compatibilityFlags: [...(env.compatibilityFlags ?? runtimeDefaults.compatibilityFlags)],
    durableObjects: miniflareDurableObjects(classes.manifest, classes.namespaceKeys),
    // Miniflare fills the binding with a version id of its own, like Cloudflare does for each version.
    versionMetadata: VERSION_METADATA_BINDING,
    bindings: { ...platformBindings(env), ...platformSecrets(env) },
    // Each limiter is bound to its in-memory stand-in (scripts/lib/local-rate-limit.ts).
    unsafeBindings: localRateLimitBindings(localRateLimits(env)),
    // The worker never uses the Cache API (test/infra/synth-vs-dev.test.ts fails if worker/ starts to): without
    // it Miniflare leaves out its cache service, a Durable Object worker that every workerd start compiled, about
    // 25 ms of each restart in `npm run dev` and of each platform a test starts (docs/performance.md).
    cacheAPI: false,
  } satisfies Partial<LegacyWorkerOptions>;
}
