import type { Context } from "hono";
import { Hono } from "hono/tiny";
import type { AppEnv } from "../http/app-env.ts";
import type { RouteContract } from "../http/contract.ts";
import { fetchStaticAsset, type StaticAssetFile } from "../http/static-asset.ts";
import { staticAssets } from "../manifest.ts";

/**
 * The page, its script and its stylesheet (sources in worker/web/) are static assets of the build, minified by it
 * (infra/page-assets.ts) and uploaded beside the bundle, not inside it: every isolate loads a smaller bundle, and the
 * page's bytes are loaded only by a browser that asks for them. The worker answers them, so the security headers, including the strict CSP the page is written for
 * (worker/http/security-headers.ts), are the app's. Browsers revalidate them; the build id is their version.
 */
function asset(file: StaticAssetFile, contentType: string) {
  return async (c: Context<AppEnv>) => {
    const etag = `"${c.env.BUILD_ID}"`;
    const headers = { "Content-Type": contentType, "Cache-Control": "no-cache", ETag: etag };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    const body = await (await fetchStaticAsset(c, file)).arrayBuffer();
    return c.body(body, 200, headers);
  };
}

const { page, script, style } = staticAssets.files;

export const web = new Hono<AppEnv>()
  .get("/", asset(page, "text/html; charset=utf-8"))
  .get(`/${script}`, asset(script, "text/javascript; charset=utf-8"))
  .get(`/${style}`, asset(style, "text/css; charset=utf-8"));

/** The contract of these routes (see worker/http/contract.ts; never called by the worker). */
export function contract(): RouteContract[] {
  const file = (path: string, summary: string, contentType: string): RouteContract => ({
    method: "get",
    path,
    summary,
    tag: "page",
    ok: {
      200: { description: summary, contentType, headers: { ETag: "The build id." } },
      304: { description: "Not modified (If-None-Match matched)." },
    },
  });
  return [
    file("/", "The page", "text/html"),
    file("/app.js", "Its script", "text/javascript"),
    file("/app.css", "Its style", "text/css"),
  ];
}
