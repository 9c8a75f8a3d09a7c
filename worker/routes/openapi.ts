import { Hono } from "hono/tiny";
import type { AppEnv } from "../http/app-env.ts";
import type { RouteContract } from "../http/contract.ts";
import { ApiError } from "../http/errors.ts";
import { staticAssets } from "../manifest.ts";

const DOCUMENT_FILE = staticAssets.files.openapi;

/**
 * The OpenAPI document is generated at build time from the routes' contracts (infra/openapi.ts) and written beside
 * the bundle as a static asset (dist/assets/openapi.json): the worker carries neither a generator nor the document
 * (issue 17: serving it may add at most 2 KB gzip to the bundle; this adds none). The worker runs first and fetches
 * the file through the assets binding, so the answer keeps the app's headers like every other. A worker run without
 * the build (the in-runtime test pool) has no assets: 404 like any unknown document.
 */
export const openapi = new Hono<AppEnv>().get(`/${DOCUMENT_FILE}`, async (c) => {
  const assets = c.env[staticAssets.binding];
  // A plain GET of the file, without the client's headers: no conditional or range answer to document.
  const asset = assets ? await assets.fetch(new URL(`/${DOCUMENT_FILE}`, c.req.url)) : undefined;
  if (!asset?.ok) {
    await asset?.body?.cancel();
    throw new ApiError(
      404,
      "not_found",
      "This worker was not built by `npm run build`: it has no API document.",
    );
  }
  return c.body(await asset.text(), 200, { "Content-Type": "application/json; charset=utf-8" });
});

/** The contract of this route (see worker/http/contract.ts; never called by the worker). */
export function contract(): RouteContract[] {
  return [
    {
      method: "get",
      path: "/openapi.json",
      summary: "This document",
      tag: "platform",
      ok: { 200: { description: "OpenAPI 3.1.", contentType: "application/json" } },
    },
  ];
}
