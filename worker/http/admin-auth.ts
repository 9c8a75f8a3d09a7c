import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { ApiError } from "./errors.ts";
import { manifestPeriod, spendRateLimit } from "./rate-limit.ts";

const encoder = new TextEncoder();

/**
 * Compares two secrets in constant time. Both are hashed first, so neither the contents nor the length of the
 * expected token leaks through timing (`timingSafeEqual` itself needs equal lengths).
 */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

const challenge = { "WWW-Authenticate": 'Bearer realm="admin"' };

/**
 * Guessing is bounded per client by the ADMIN_ATTEMPTS limiter. Every request that presents a credential spends
 * one attempt *before* the comparison: the binding cannot read a count without spending it, so counting only the
 * failures would still answer a limited guesser's right guess with a 200 and tell it apart from the 429s.
 */
const attempts = {
  binding: "ADMIN_ATTEMPTS",
  retryAfterSeconds: manifestPeriod("ADMIN_ATTEMPTS"),
  what: "admin attempts",
} as const;

/**
 * Admin routes (they change or destroy state on the operator's behalf) need `Authorization: Bearer <ADMIN_TOKEN>`.
 * An environment without the secret has no admin access at all: an absent token never means "open".
 */
export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireAdminToken(c, next) {
    const expected = c.env.ADMIN_TOKEN;
    if (!expected) {
      throw new ApiError(
        503,
        "admin_not_configured",
        "Admin routes are disabled: this environment has no ADMIN_TOKEN.",
      );
    }
    const header = c.req.header("authorization") ?? "";
    if (header !== "") await spendRateLimit(c, attempts);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new ApiError(
        401,
        "unauthorized",
        "This route needs Authorization: Bearer <admin token>.",
        challenge,
      );
    }
    if (!(await sameSecret(match[1]!, expected))) {
      throw new ApiError(401, "unauthorized", "The admin token is not valid.", {
        "WWW-Authenticate": 'Bearer realm="admin", error="invalid_token"',
      });
    }
    await next();
  };
}
