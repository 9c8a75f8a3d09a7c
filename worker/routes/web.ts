import type { Context } from "hono";
import { Hono } from "hono/tiny";
import type { AppEnv } from "../http/app-env.ts";
import type { RouteContract } from "../http/contract.ts";
import { PAGE_HTML } from "../web/page.ts";
import { PAGE_SCRIPT } from "../web/script.ts";
import { PAGE_STYLE } from "../web/style.ts";

/**
 * The three files are part of the bundle (security headers, including the strict CSP the page is written for,
 * come from worker/http/security-headers.ts); browsers revalidate them, and the build id is their version.
 */
function asset(body: string, contentType: string) {
  return (c: Context<AppEnv>) => {
    const etag = `"${c.env.BUILD_ID}"`;
    const headers = {
      "Content-Type": contentType,
      "Cache-Control": "no-cache",
      ETag: etag,
    };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    return c.body(body, 200, headers);
  };
}

export const web = new Hono<AppEnv>()
  .get("/", asset(PAGE_HTML, "text/html; charset=utf-8"))
  .get("/app.js", asset(PAGE_SCRIPT, "text/javascript; charset=utf-8"))
  .get("/app.css", asset(PAGE_STYLE, "text/css; charset=utf-8"));

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
