import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";

// No AppEnv here: validation.ts imports this module, and Node-side code (scripts, tests) imports validation.ts.

/** `application/json` or a `+json` type, with or without parameters. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
/** A `charset` parameter, quoted or not. */
const CHARSET_PARAMETER = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * Whether a Content-Type declares JSON the API can read: a JSON media type, and UTF-8 if it names a charset at
 * all (JSON between systems is UTF-8, RFC 8259 section 8.1; a body declared UTF-16 would be read as something else).
 */
export function isJsonContentType(contentType: string): boolean {
  if (!JSON_MEDIA_TYPE.test(contentType)) return false;
  const charset = CHARSET_PARAMETER.exec(contentType)?.[1]?.toLowerCase();
  return charset === undefined || charset === "utf-8" || charset === "utf8";
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    "unsupported_media_type",
    `Send the body as UTF-8 JSON with Content-Type: application/json (got ${JSON.stringify(contentType || "none")}).`,
  );
}

/**
 * A request that carries a body must declare it as JSON, whatever the route does with it: the API speaks only
 * JSON, and a `text/plain` or form body is what a cross-site page can send without a CORS preflight.
 * GET and HEAD never read a body (an empty chunked one included), so they answer as without one.
 */
export function jsonBodiesOnly(): MiddlewareHandler {
  return async function requireJsonBody(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    const hasBody =
      (length !== undefined && length.trim() !== "0") || c.req.header("transfer-encoding") !== undefined;
    const contentType = c.req.header("content-type") ?? "";
    if (hasBody && !isJsonContentType(contentType)) throw unsupportedMediaType(contentType);
    await next();
  };
}
