import type { Context, ErrorHandler, Hono, MiddlewareHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The contract's error body: `{"error": {"code": "snake_case", "message": "human sentence"}}`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/**
 * An error a handler throws on purpose. `app.onError` turns it into the contract's JSON shape, so handlers never
 * build error responses themselves.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/**
 * The environment is misconfigured (a deploy mistake such as an invalid DO_LOCATION_HINT), not the request: the
 * answer is an honest 500 that names no internals, and the log gets one line saying what to fix. A stack would
 * only point at the line that noticed the mistake.
 */
export class ConfigurationError extends Error {
  override readonly name = "ConfigurationError";
}

/** Codes for the HTTPExceptions that Hono's own middleware throws (body limit, etc.). */
const HTTP_EXCEPTION_CODES: Partial<Record<number, string>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/** The one error boundary. Unexpected errors become a 500 that names no internals (the stack goes to the log). */
export const onError: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message), err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = HTTP_EXCEPTION_CODES[status] ?? (status >= 500 ? "internal_error" : "bad_request");
    return c.json(errorBody(code, err.message || `Request failed with status ${status}.`), status);
  }
  if (err instanceof ConfigurationError) {
    console.error(`misconfigured environment: ${c.req.method} ${c.req.path}: ${err.message}`);
  } else {
    console.error("unhandled error", c.req.method, c.req.path, err);
  }
  return c.json(errorBody("internal_error", "The server failed to handle this request."), 500);
};

/**
 * Paths are matched exactly: `/api/counters/x/` is 404 `not_found` for every method. The app's pattern router
 * (hono/tiny, chosen for size) would match an optional trailing slash, so the rule is enforced here, once, first.
 */
export function noTrailingSlash(): MiddlewareHandler {
  return async function exactPath(c, next) {
    if (c.req.path.length > 1 && c.req.path.endsWith("/")) {
      return c.json(
        errorBody(
          "not_found",
          `No route matches ${c.req.method} ${c.req.path} (routes take no trailing slash).`,
        ),
        404,
      );
    }
    await next();
  };
}

/**
 * 404 for paths no route knows; 405 with an `Allow` header for paths a route knows under other methods.
 * Paths are matched exactly: no route takes a trailing slash, so `/api/counters/x/` is a 404 for every method
 * (the README states the rule), never a 405 that lists the very method that was used.
 * The allowed methods come from Hono's own route table, so they can never drift from the registered routes.
 */
export function notFoundOrMethodNotAllowed(app: Hono<never>): NotFoundHandler {
  const patterns = new Map<string, { regex: RegExp; methods: Set<string> }>();
  const table = () => {
    if (patterns.size === 0) {
      for (const route of app.routes) {
        if (route.method === "ALL") continue; // middleware
        const entry = patterns.get(route.path) ?? { regex: pathToRegex(route.path), methods: new Set() };
        entry.methods.add(route.method);
        if (route.method === "GET") entry.methods.add("HEAD");
        patterns.set(route.path, entry);
      }
    }
    return patterns;
  };
  return (c: Context) => {
    const allowed = new Set<string>();
    for (const { regex, methods } of table().values()) {
      if (regex.test(c.req.path)) for (const m of methods) allowed.add(m);
    }
    if (allowed.size > 0) {
      const allow = [...allowed].sort().join(", ");
      return c.json(
        errorBody(
          "method_not_allowed",
          `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}.`,
        ),
        405,
        { Allow: allow },
      );
    }
    const hint = c.req.path.length > 1 && c.req.path.endsWith("/") ? " (routes take no trailing slash)" : "";
    return c.json(errorBody("not_found", `No route matches ${c.req.method} ${c.req.path}${hint}.`), 404);
  };
}

function pathToRegex(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}$`);
}
