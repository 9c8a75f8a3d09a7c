import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./app-env.ts";
import { parseOrigins } from "./origins.ts";

/**
 * Security headers on every response (hono's secureHeaders: nosniff, frame and referrer policies, ...), with a
 * strict Content-Security-Policy: the page loads only its own script and style and talks only to its own origin.
 */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  const secure = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
  });
  return async function withSecurityHeaders(c, next) {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return secure(c, next);
    await next();
    // A 101 handshake carries the socket: its response cannot be rebuilt to add headers (nor do they apply).
    if (c.res.status === 101) return;
    // A refused upgrade is an ordinary JSON error: it gets the headers like any other response. (It may come from
    // the Durable Object, whose response headers are immutable: copy it first.)
    c.res = new Response(c.res.body, c.res);
    await secure(c, async () => {});
  };
}

/**
 * CORS: same-origin by default (no Access-Control-Allow-Origin at all). Other origins only when the stack lists
 * them in CORS_ALLOWED_ORIGINS (comma-separated, exact origins like https://app.example.com).
 */
export function corsPolicy(): MiddlewareHandler<AppEnv> {
  // Built once per distinct CORS_ALLOWED_ORIGINS value (one per deployment), not on every request.
  let cached: { raw: string; middleware: ReturnType<typeof cors> | undefined } | undefined;
  const forOrigins = (raw: string) => {
    if (cached?.raw === raw) return cached.middleware;
    const allowed = parseOrigins(raw);
    const middleware =
      allowed.length === 0
        ? undefined
        : cors({
            origin: (origin) => (allowed.includes(origin) ? origin : null),
            allowMethods: ["GET", "POST", "DELETE"],
            allowHeaders: ["Content-Type", "Authorization", "Resume-Key"],
            maxAge: 600,
          });
    cached = { raw, middleware };
    return middleware;
  };
  return async function corsFromEnvironment(c, next) {
    const middleware = forOrigins(c.env.CORS_ALLOWED_ORIGINS ?? "");
    return middleware ? middleware(c, next) : next();
  };
}

/**
 * `Cache-Control: no-store` on every API answer, errors included: job lists, chat histories and counts are live and
 * may be private to an operator, and no shared cache or browser should keep or replay them. (A 101 handshake
 * carries a socket and no cacheable body; its headers cannot be changed.)
 */
export function noStore(): MiddlewareHandler<AppEnv> {
  return async function apiNoStore(c, next) {
    await next();
    if (c.res.status === 101) return;
    if (c.res.headers.get("Cache-Control") === "no-store") return;
    try {
      c.res.headers.set("Cache-Control", "no-store");
    } catch {
      // A response from a Durable Object has immutable headers: copy it first.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set("Cache-Control", "no-store");
    }
  };
}
