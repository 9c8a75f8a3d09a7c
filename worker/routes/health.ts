import { Hono } from "hono/tiny";
import * as v from "valibot";
import type { AppEnv } from "../http/app-env.ts";
import type { RouteContract } from "../http/contract.ts";

/**
 * `GET /health`: what runs here. Promotion and smoke checks compare `buildId` with the build's id
 * (sha256 over the bundle and its static assets, infra/build.ts).
 * `migrationTag` is kept for compatibility: the last legacy tag, which never changes since classes use `exports`.
 */
export const health = new Hono<AppEnv>().get("/health", (c) =>
  c.json({
    status: "ok",
    environment: c.env.ENVIRONMENT,
    buildId: c.env.BUILD_ID,
    // The Worker version that answered (version-metadata binding): promotion counts answers per version with it.
    versionId: c.env.CF_VERSION_METADATA?.id ?? null,
    migrationTag: c.env.MIGRATION_TAG,
    locationHint: c.env.DO_LOCATION_HINT ?? null,
    jurisdiction: c.env.DO_JURISDICTION ?? null,
  }),
);

/** The contract of this route (see worker/http/contract.ts; never called by the worker). */
export function contract(): RouteContract[] {
  const nullableString = v.nullable(v.string());
  const health = v.object({
    status: v.literal("ok"),
    environment: v.string(),
    buildId: v.string(),
    // null where the runtime has no version metadata (a local run without the binding).
    versionId: nullableString,
    migrationTag: v.string(),
    locationHint: nullableString,
    jurisdiction: nullableString,
  });
  return [
    {
      method: "get",
      path: "/health",
      summary: "What runs here (build id = sha256 over the bundle and its static assets)",
      tag: "platform",
      ok: { 200: { description: "Running.", schema: health } },
    },
  ];
}
