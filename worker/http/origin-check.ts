import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { ApiError } from "./errors.ts";
import { parseOrigins } from "./origins.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Writes and WebSocket upgrades from a page on another origin are refused (403 `forbidden_origin`). CORS alone
 * does not stop them: a form-like POST needs no preflight, so the browser sends it and only hides the answer,
 * and browsers never apply CORS to WebSockets, so a hostile page could write, or chat as anyone, with a
 * visitor's browser. Allowed: the platform's own origin, the stack's
 * CORS_ALLOWED_ORIGINS, and requests with no Origin header at all (curl, scripts, servers: not a browser page
 * acting with a visitor's ambient access).
 */
export function sameOriginWrites(): MiddlewareHandler<AppEnv> {
  return async function checkOrigin(c, next) {
    const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
    const origin = c.req.header("origin");
    if (origin === undefined || (SAFE_METHODS.has(c.req.method) && !upgrade)) return next();
    if (origin === new URL(c.req.url).origin || parseOrigins(c.env.CORS_ALLOWED_ORIGINS).includes(origin)) {
      return next();
    }
    throw new ApiError(
      403,
      "forbidden_origin",
      `${upgrade ? "WebSocket upgrades" : "Writes"} from origin ${JSON.stringify(origin.slice(0, 100))} are not ` +
        "allowed: only this platform's own page and the origins its stack lists in corsAllowedOrigins.",
    );
  };
}
