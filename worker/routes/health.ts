import { Hono } from "hono/tiny";
import type { AppEnv } from "../http/app-env.ts";

/** `GET /health`: what runs here. Promotion and smoke checks compare `buildId` with the bundle's sha256. */
export const health = new Hono<AppEnv>().get("/health", (c) =>
  c.json({
    status: "ok",
    environment: c.env.ENVIRONMENT,
    buildId: c.env.BUILD_ID,
    migrationTag: c.env.MIGRATION_TAG,
    locationHint: c.env.DO_LOCATION_HINT ?? null,
    jurisdiction: c.env.DO_JURISDICTION ?? null,
  }),
);
