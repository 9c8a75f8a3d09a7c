import type { durableObjects, rateLimits, staticAssets } from "./manifest.ts";
import type * as Objects from "./objects/index.ts";

type Manifest = typeof durableObjects;
type Exported = typeof Objects;

/**
 * Durable Object bindings, typed from the manifest: `env.COUNTER` is a namespace of the class the manifest names.
 * A class that worker/objects/index.ts does not export is reported once, by name, by `EveryBoundClassIsExported`.
 */
export type DurableObjectBindings = {
  readonly [B in keyof Manifest]: Manifest[B]["className"] extends keyof Exported
    ? DurableObjectNamespace<Exported[Manifest[B]["className"]]["prototype"]>
    : DurableObjectNamespace;
};

/** `true` when every class `M` binds is exported in `E`, otherwise a sentence naming the missing ones. */
export type ExportCheck<M extends Record<string, { readonly className: string }>, E> = [
  Exclude<M[keyof M]["className"], keyof E>,
] extends [never]
  ? true
  : `export ${Exclude<M[keyof M]["className"], keyof E>} from worker/objects/index.ts: worker/manifest.ts binds it`;
type Assert<T extends true> = T;
/**
 * A compile error that names the class when the manifest binds a class the worker does not export, e.g.
 * `Type '"export Leaderboard from worker/objects/index.ts: worker/manifest.ts binds it"' does not satisfy the
 * constraint 'true'`. The build says the same at run time (infra/build.ts `assertBoundClassesExported`).
 */
export type EveryBoundClassIsExported = Assert<ExportCheck<Manifest, Exported>>;

/** Rate-limiting bindings, one per manifest entry. */
export type RateLimitBindings = { readonly [B in keyof typeof rateLimits]: RateLimit };

/**
 * The static-assets binding (worker/manifest.ts `staticAssets`). Optional: sources run without a build (the
 * in-runtime test pool) have no assets directory, hence no binding.
 */
export type AssetBindings = { readonly [B in (typeof staticAssets)["binding"]]?: Fetcher };

/** Plain-text bindings set per environment (names in worker/platform.ts VAR_NAMES). */
export interface PlatformVars {
  readonly ENVIRONMENT: string;
  readonly BUILD_ID: string;
  readonly MIGRATION_TAG: string;
  /** Optional: one of LOCATION_HINTS; used for every stub the worker creates. */
  readonly DO_LOCATION_HINT?: string;
  /** Optional: one of JURISDICTIONS; scopes every namespace the worker uses. */
  readonly DO_JURISDICTION?: string;
  /** Seconds a rate-limited client should wait (the PUBLIC_WRITES period); sent as Retry-After. */
  readonly RATE_LIMIT_PERIOD?: string;
  /** Comma-separated origins allowed by CORS; empty or unset = same-origin only. */
  readonly CORS_ALLOWED_ORIGINS?: string;
  /** Comma-separated hosts webhooks may call; empty or unset = any public host. */
  readonly WEBHOOK_ALLOWED_HOSTS?: string;
  /** "true" only in local runs: webhooks may use http and loopback receivers. Deployed stacks never set it. */
  readonly WEBHOOK_ALLOW_HTTP?: string;
}

/** Runtime bindings Cloudflare (and Miniflare locally) fill in; name in worker/platform.ts. */
export interface RuntimeBindings {
  /** The answering Worker version: its id, tag and creation time. */
  readonly CF_VERSION_METADATA?: WorkerVersionMetadata;
}

/** Secret bindings. */
export interface PlatformSecrets {
  /** Bearer token for admin routes. Unset = admin routes are disabled, never open. */
  readonly ADMIN_TOKEN?: string;
}

export type Env = DurableObjectBindings &
  RateLimitBindings &
  AssetBindings &
  PlatformVars &
  RuntimeBindings &
  PlatformSecrets;
