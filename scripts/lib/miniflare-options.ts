import type { LegacyWorkerOptions } from "miniflare";
import { durableObjects, latestMigrationTag, rateLimits, runtimeDefaults } from "../../worker/manifest.ts";
import { SECRET_NAMES, VAR_NAMES } from "../../worker/platform.ts";

/** The per-environment values a local worker runs with (the same ones a stack passes as bindings). */
export interface LocalEnvironment {
  readonly environment: string;
  readonly buildId: string;
  readonly locationHint?: string | undefined;
  readonly jurisdiction?: string | undefined;
  readonly compatibilityDate?: string | undefined;
  readonly compatibilityFlags?: readonly string[] | undefined;
  /** The public-write rate limit; default: the manifest's for deployed stacks, LOCAL_PUBLIC_WRITES locally. */
  readonly publicWrites?: RateLimitSetting | undefined;
  /** Other limiters of the manifest by binding name (tests set small ones); default LOCAL_RATE_LIMIT. */
  readonly rateLimits?: Partial<Record<RateLimitName, RateLimitSetting>> | undefined;
  /** Origins CORS allows besides the page's own; empty = same-origin only. */
  readonly corsAllowedOrigins?: readonly string[] | undefined;
  /** Hosts webhooks may call; empty = any public host. */
  readonly webhookAllowedHosts?: readonly string[] | undefined;
  /** Local runs only: webhooks may use http and loopback receivers. A stack's settings never set it. */
  readonly webhookAllowHttp?: boolean | undefined;
  /** Secret: the admin bearer token. Unset = admin routes disabled. */
  readonly adminToken?: string | undefined;
}

export interface RateLimitSetting {
  readonly limit: number;
  readonly period: 10 | 60;
}

export type RateLimitName = keyof typeof rateLimits;

/** Local dev and tests: generous enough for `npm run bench`'s load, still a real rate-limiting binding. */
export const LOCAL_RATE_LIMIT: RateLimitSetting = { limit: 1_000_000, period: 60 };
export const LOCAL_PUBLIC_WRITES: RateLimitSetting = LOCAL_RATE_LIMIT;

/** Every rate limiter of the manifest for Miniflare: the given setting, else the generous local one. */
export function miniflareRateLimits(
  env: LocalEnvironment,
): Record<string, { namespace_id: string; simple: RateLimitSetting }> {
  const given: Partial<Record<RateLimitName, RateLimitSetting>> = {
    ...(env.publicWrites ? { PUBLIC_WRITES: env.publicWrites } : {}),
    ...env.rateLimits,
  };
  return Object.fromEntries(
    (Object.keys(rateLimits) as RateLimitName[]).map((name) => {
      const { limit, period } = given[name] ?? LOCAL_RATE_LIMIT;
      // Miniflare 5 requires the namespace id: the deployed binding's, from the manifest.
      return [name, { namespace_id: rateLimits[name].namespaceId, simple: { limit, period } }];
    }),
  );
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
    [VAR_NAMES.rateLimitPeriod]: String((env.publicWrites ?? rateLimits.PUBLIC_WRITES).period),
    ...(env.locationHint ? { [VAR_NAMES.locationHint]: env.locationHint } : {}),
    ...(env.jurisdiction ? { [VAR_NAMES.jurisdiction]: env.jurisdiction } : {}),
    ...(env.corsAllowedOrigins?.length
      ? { [VAR_NAMES.corsAllowedOrigins]: env.corsAllowedOrigins.join(",") }
      : {}),
    ...(env.webhookAllowedHosts?.length
      ? { [VAR_NAMES.webhookAllowedHosts]: env.webhookAllowedHosts.join(",") }
      : {}),
    ...(env.webhookAllowHttp ? { [VAR_NAMES.webhookAllowHttp]: "true" } : {}),
  };
}

/** Secret bindings (locally plain bindings too; deployed they are `secret_text`). */
export function platformSecrets(env: LocalEnvironment): Record<string, string> {
  return env.adminToken ? { [SECRET_NAMES.adminToken]: env.adminToken } : {};
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
    bindings: { ...platformBindings(env), ...platformSecrets(env) },
    ratelimits: miniflareRateLimits(env),
  } satisfies Partial<LegacyWorkerOptions>;
}
