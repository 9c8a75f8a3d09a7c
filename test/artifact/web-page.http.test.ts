import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { useBuiltPlatform } from "../support/platform.ts";

let platform: LocalPlatform;
useBuiltPlatform((p) => (platform = p));

describe("the web page in the built bundle", () => {
  it("serves a script that is valid JavaScript for a browser", async () => {
    const res = await fetch(new URL("/app.js", platform.url));
    expect(res.status).toBe(200);
    const js = await res.text();
    // esbuild's parser rejects a syntax error with its position; a string that is not a module would fail here.
    await expect(
      esbuild.transform(js, { loader: "js", format: "esm", target: "es2022" }),
    ).resolves.toBeDefined();
  });

  it("links only assets the bundle serves", async () => {
    const html = await (await fetch(platform.url)).text();
    const links = [...html.matchAll(/(?:src|href)="(\/[^"]*)"/g)].map((m) => m[1]!);
    expect(links.sort()).toEqual(["/app.css", "/app.js"]);
    for (const link of links) expect((await fetch(new URL(link, platform.url))).status, link).toBe(200);
  });
});
