import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";

// No AppEnv here: validation.ts imports this module, and Node-side code (scripts, tests) imports validation.ts.

/** `application/json` or a `+json` type, with or without parameters. */
export const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    "unsupported_media_type",
    `Send the body as JSON with Content-Type: application/json (got ${JSON.stringify(contentType || "none")}).`,
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
    if (hasBody && !JSON_CONTENT_TYPE.test(contentType)) throw unsupportedMediaType(contentType);
    await next();
  };
}
