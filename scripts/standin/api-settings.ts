import type { Hono } from "hono";
import type { Context } from "./context.ts";

/** Script settings endpoints (filled in as wrangler's requests show them). */
export function settingsRoutes(_app: Hono, _ctx: Context): void {}
