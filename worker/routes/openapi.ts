import { Hono } from "hono/tiny";
import type { AppEnv } from "../http/app-env.ts";
import type { RouteContract } from "../http/contract.ts";
import { fetchStaticAsset } from "../http/static-asset.ts";
import { staticAssets } from "../manifest.ts";

const DOCUMENT_FILE = staticAssets.files.openapi;

/**
 * The OpenAPI document is generated at build time from the routes' contracts (infra/openapi.ts) and written beside
 * the bundle as a static asset (dist/assets/openapi.json): the worker carries neither a generator nor the document
 * (the contract's budget: serving it may add at most 2 KB gzip to the bundle; this adds none,
 * test/scripts/build.test.ts). The worker runs first and fetches
 * the file through the assets binding (worker/http/static-asset.ts), so the answer keeps the app's headers like every
 * other.
 */
export const openapi = new Hono<AppEnv>().get(`/${DOCUMENT_FILE}`, async (c) => {
  const asset = await fetchStaticAsset(c, DOCUMENT_FILE);
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
