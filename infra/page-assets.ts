import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { staticAssets } from "../worker/manifest.ts";

/** The page's sources: plain files a browser could load as they are (worker/web/). */
export const PAGE_SOURCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../worker/web");

/** HTML comments: notes for whoever edits the page, not for every browser that loads it. */
const HTML_COMMENT = /<!--[\s\S]*?-->\n?/g;

/**
 * The page, its script and its stylesheet as the build uploads them (static assets, never in the bundle): the
 * script and the stylesheet minified by esbuild (the bundle's own minifier, so the same browsers are served), the
 * HTML without its comments. Keyed by their path under the assets directory (worker/manifest.ts `staticAssets`).
 */
export async function pageAssets(): Promise<Map<string, Uint8Array>> {
  const { page, script, style } = staticAssets.files;
  const read = (file: string) => readFile(path.join(PAGE_SOURCE_DIR, file), "utf8");
  const minify = async (file: string, loader: "js" | "css") => {
    const { code } = await esbuild.transform(await read(file), {
      loader,
      minify: true,
      legalComments: "none",
      sourcefile: `worker/web/${file}`,
      ...(loader === "js" ? { format: "esm" as const } : {}),
    });
    return code.trim();
  };
  const [html, js, css] = await Promise.all([read(page), minify(script, "js"), minify(style, "css")]);
  return new Map([
    [page, Buffer.from(html.replace(HTML_COMMENT, ""), "utf8")],
    [script, Buffer.from(js, "utf8")],
    [style, Buffer.from(css, "utf8")],
  ]);
}
