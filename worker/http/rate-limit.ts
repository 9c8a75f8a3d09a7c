import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { ApiError } from "./errors.ts";

export interface RateLimitOptions {
  /** Seconds a client waits after being limited; sent as Retry-After (the binding's period). */
  readonly retryAfterSeconds: (env: AppEnv["Bindings"]) => number;
}

/**
 * Public writes are limited per client with Cloudflare's Workers rate-limiting binding, keyed by
 * `CF-Connecting-IP` (set by Cloudflare's edge; Miniflare sets it locally). Over the limit: 429 with Retry-After.
 */
export function rateLimitPublicWrites(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return async function publicWriteRateLimit(c, next) {
    const key = c.req.header("cf-connecting-ip") ?? "unknown-client";
    const { success } = await c.env.PUBLIC_WRITES.limit({ key });
    if (!success) {
      const retryAfter = String(options.retryAfterSeconds(c.env));
      throw new ApiError(
        429,
        "rate_limited",
        `Too many writes from this client; retry after ${retryAfter} s.`,
        {
          "Retry-After": retryAfter,
        },
      );
    }
    await next();
  };
}
