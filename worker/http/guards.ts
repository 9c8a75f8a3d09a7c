import { requireAdmin } from "./admin-auth.ts";
import { rateLimit } from "./rate-limit.ts";

/** Public writes (counter changes, chat posts, WebSocket upgrades): rate limited per client. */
export const publicWrite = rateLimit({
  binding: "PUBLIC_WRITES",
  retryAfterSeconds: (env) => Number(env.RATE_LIMIT_PERIOD) || 60,
  what: "writes",
});

/** Operator-only routes (counter reset, every scheduler write): `Authorization: Bearer <ADMIN_TOKEN>`. */
export const adminOnly = requireAdmin();
