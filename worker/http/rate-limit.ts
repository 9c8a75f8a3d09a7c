import type { Context, MiddlewareHandler } from "hono";
import { rateLimits } from "../manifest.ts";
import type { AppEnv } from "./app-env.ts";
import { clientKey } from "./client-key.ts";
import { ApiError } from "./errors.ts";

type LimiterName = keyof typeof rateLimits;

export interface RateLimitOptions {
  /** The manifest's rate-limiting binding to spend one request from. */
  readonly binding: LimiterName;
  /** Seconds a client waits after being limited; sent as Retry-After (the binding's period). */
  readonly retryAfterSeconds: (env: AppEnv["Bindings"]) => number;
  /** What the 429's message calls the limited requests ("writes", "reads", ...). */
  readonly what: string;
}

/**
 * Spends one request of `binding` for this client (Cloudflare's Workers rate-limiting binding, keyed by
 * clientKey: the client's IP, an IPv6 client's /64). Over the limit it throws 429 `rate_limited` with Retry-After.
 */
export async function spendRateLimit(c: Context<AppEnv>, options: RateLimitOptions): Promise<void> {
  const { success } = await c.env[options.binding].limit({ key: clientKey(c) });
  if (success) return;
  const retryAfter = String(options.retryAfterSeconds(c.env));
  throw new ApiError(
    429,
    "rate_limited",
    `Too many ${options.what} from this client; retry after ${retryAfter} s.`,
    { "Retry-After": retryAfter },
  );
}

/** Middleware form of spendRateLimit, for routes whose every request is limited. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return async function rateLimited(c, next) {
    await spendRateLimit(c, options);
    await next();
  };
}

/** The manifest's period of a limiter whose period no stack overrides. */
export const manifestPeriod = (binding: LimiterName) => () => rateLimits[binding].period;

/**
 * The WebSocket upgrade route, which spends a write (`publicWrite`) for every request it gets, upgrade or not:
 * the read limit leaves it alone so that it is charged once. No other request is exempt, whatever its headers (an
 * `Upgrade: websocket` header on a read used to skip the read limit everywhere).
 */
const UPGRADE_ROUTE = /^\/api\/rooms\/[^/]+\/ws$/;

/**
 * Public reads (every GET/HEAD under /api/ but the WebSocket upgrade route, which spends a write instead) are
 * limited per client too, more generously than writes: a read is cheap, but unbounded reads are unbounded work.
 */
export function rateLimitPublicReads(): MiddlewareHandler<AppEnv> {
  const options: RateLimitOptions = {
    binding: "PUBLIC_READS",
    retryAfterSeconds: manifestPeriod("PUBLIC_READS"),
    what: "reads",
  };
  return async function publicReadRateLimit(c, next) {
    const isRead = c.req.method === "GET" || c.req.method === "HEAD";
    if (isRead && !UPGRADE_ROUTE.test(c.req.path)) await spendRateLimit(c, options);
    await next();
  };
}
