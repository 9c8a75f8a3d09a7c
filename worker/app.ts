import { bodyLimit } from "hono/body-limit";
import { Hono } from "hono/tiny";
import type { AppEnv } from "./http/app-env.ts";
import { ApiError, noTrailingSlash, notFoundOrMethodNotAllowed, onError } from "./http/errors.ts";
import { jsonBodiesOnly } from "./http/json-only.ts";
import { sameOriginWrites } from "./http/origin-check.ts";
import { rateLimitPublicReads } from "./http/rate-limit.ts";
import { corsPolicy, noStore, securityHeaders } from "./http/security-headers.ts";
import { counters } from "./routes/counters.ts";
import { health } from "./routes/health.ts";
import { openapi } from "./routes/openapi.ts";
import { rooms } from "./routes/rooms.ts";
import { schedulers } from "./routes/schedulers.ts";
import { web } from "./routes/web.ts";

/** Largest request body any route accepts; larger ones are refused before they are read in full. */
export const MAX_BODY_BYTES = 64 * 1024;

export function createApp() {
  const app = new Hono<AppEnv>();
  app.use("*", securityHeaders());
  app.use("*", noTrailingSlash());
  app.use("/api/*", noStore());
  app.use("/api/*", corsPolicy());
  // After CORS, so a preflight (OPTIONS) is answered before any of these; then cheap header checks first.
  app.use("/api/*", sameOriginWrites());
  app.use("/api/*", jsonBodiesOnly());
  app.use("/api/*", rateLimitPublicReads());
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, "payload_too_large", `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
    },
  });
  // GET and HEAD never read a body. Hono's limiter rebuilds a chunked request with the body it read, and a
  // GET/HEAD Request cannot have one: that threw, and `Transfer-Encoding: chunked` on a GET was a 500.
  app.use("/api/*", (c, next) =>
    c.req.method === "GET" || c.req.method === "HEAD" ? next() : limitBody(c, next),
  );
  // Chained, so that the returned app's type carries every route's input and output types (see AppType).
  const routed = app
    .route("/", health)
    .route("/", openapi)
    .route("/api/counters", counters)
    .route("/api/rooms", rooms)
    .route("/", web)
    .route("/api/schedulers", schedulers);
  app.notFound(notFoundOrMethodNotAllowed(app as unknown as Hono<never>));
  app.onError(onError);
  return routed;
}

/** The app's routes as a type, for a typed `hono/client`: `hc<AppType>(baseUrl)` (see scripts/lib/api-client.ts). */
export type AppType = ReturnType<typeof createApp>;
