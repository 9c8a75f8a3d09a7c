import { readFile } from "node:fs/promises";
import path from "node:path";
import * as esbuild from "esbuild";
import { describe, expect, inject, it } from "vitest";
import { PAGE_SOURCE_DIR } from "../../infra/page-assets.ts";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { useBuiltPlatform } from "../support/platform.ts";

let platform: LocalPlatform;
useBuiltPlatform((p) => (platform = p));

const get = (path: string, init?: RequestInit) => fetch(new URL(path, platform.url), init);

describe("the web page in the built bundle", () => {
  it("serves the page, its script and its stylesheet from the build's assets with a strict policy", async () => {
    const { buildId } = (await (await get("/health")).json()) as { buildId: string };
    for (const [path, type] of [
      ["/", "text/html; charset=utf-8"],
      ["/app.js", "text/javascript; charset=utf-8"],
      ["/app.css", "text/css; charset=utf-8"],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'; script-src 'self'/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("etag")).toBe(`"${buildId}"`);
      expect((await res.text()).length).toBeGreaterThan(500);
    }
  });

  it("answers a revalidation with 304 while the build is the same, and 200 once the tag differs", async () => {
    const etag = (await get("/app.js")).headers.get("etag")!;
    const same = await get("/app.js", { headers: { "If-None-Match": etag } });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe("");
    const other = await get("/app.js", { headers: { "If-None-Match": '"an-older-build"' } });
    expect(other.status).toBe(200);
    expect((await other.text()).length).toBeGreaterThan(500);
  });

  it("links its own script and stylesheet and has no inline code the policy would block", async () => {
    const html = await (await get("/")).text();
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/app.css">');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    // The source's comments are for whoever edits it, not sent to every browser.
    expect(html).not.toContain("<!--");
    // Every form control has a label.
    const ids = [...html.matchAll(/<input id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) expect(html, id).toContain(`<label for="${id}">`);
  });

  it("serves a script that is valid, minified JavaScript for a browser", async () => {
    const res = await get("/app.js");
    expect(res.status).toBe(200);
    const js = await res.text();
    // esbuild's parser rejects a syntax error with its position; a string that is not a module would fail here.
    await expect(
      esbuild.transform(js, { loader: "js", format: "esm", target: "es2022" }),
    ).resolves.toBeDefined();
    const source = await readFile(path.join(PAGE_SOURCE_DIR, "app.js"), "utf8");
    expect(js.length).toBeLessThan(source.length * 0.7);
    expect(js).not.toContain("/**");
  });

  it("links only assets the bundle serves", async () => {
    const html = await (await get("/")).text();
    const links = [...html.matchAll(/(?:src|href)="(\/[^"]*)"/g)].map((m) => m[1]!);
    expect(links.sort()).toEqual(["/app.css", "/app.js"]);
    for (const link of links) expect((await get(link)).status, link).toBe(200);
  });

  it("answers the assets only at their routes: the HTML file's own path is not one", async () => {
    const res = await get("/index.html");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("carries none of the page in the bundle", async () => {
    const bundle = await readFile(inject("bundlePath"), "utf8");
    for (const fragment of ["<!doctype html>", "color-scheme", "textContent"]) {
      expect(bundle.includes(fragment), `the bundle contains ${fragment}`).toBe(false);
    }
  });
});
