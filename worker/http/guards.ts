import { requireAdmin } from "./admin-auth.ts";
import { rateLimitPublicWrites } from "./rate-limit.ts";

/** Public writes (counter changes, chat posts, WebSocket upgrades): rate limited per client. */
export const publicWrite = rateLimitPublicWrites({
  retryAfterSeconds: (env) => Number(env.RATE_LIMIT_PERIOD) || 60,
});

/** Operator-only routes (counter reset, every scheduler write): `Authorization: Bearer <ADMIN_TOKEN>`. */
export const adminOnly = requireAdmin();
