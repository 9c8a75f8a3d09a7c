import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { durableObjects, lastLegacyTag } from "../worker/manifest.ts";
import { buildOpenApiDocument } from "./openapi.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_OUT_DIR = path.join(ROOT, "dist");
export const WORKER_ENTRY = path.join(ROOT, "worker/index.ts");
export const BUNDLE_FILE = "index.js";
export const RECORD_FILE = "build.json";

/** What `npm run build` writes next to the bundle (dist/build.json). */
export interface BuildRecord {
  /** sha256 of the bundle bytes, hex: the build id /health reports and promotion compares. */
  readonly buildId: string;
  readonly mainModule: string;
  readonly sizes: { readonly raw: number; readonly gzip: number };
  /** Everything the bundle exports (the Durable Object classes and `default`). */
  readonly exports: readonly string[];
  readonly migrationTag: string;
  readonly esbuildVersion: string;
}

export interface BuildResult extends BuildRecord {
  readonly outDir: string;
  readonly bundlePath: string;
  /** The bundle as text: what the Pulumi program uploads as the script content. */
  readonly content: string;
  readonly durationMs: number;
}

export class BuildError extends Error {
  override readonly name = "BuildError";
}

/**
 * The page's script and stylesheet are kept readable in worker/web/ as strings, which esbuild's minifier cannot
 * see into. This plugin loads each of those modules, minifies its string with esbuild itself (the same minifier, so
 * the same browsers are served) and bundles the result instead: about 1 KiB less gzip (issue 12).
 */
const PAGE_ASSETS: Record<string, { exportName: string; loader: "js" | "css" }> = {
  "worker/web/script.ts": { exportName: "PAGE_SCRIPT", loader: "js" },
  "worker/web/style.ts": { exportName: "PAGE_STYLE", loader: "css" },
};

const minifyPageAssets: esbuild.Plugin = {
  name: "minify-page-assets",
  setup(build) {
    build.onLoad({ filter: /[\\/]worker[\\/]web[\\/](script|style)\.ts$/ }, async (args) => {
      const asset = PAGE_ASSETS[path.relative(ROOT, args.path).split(path.sep).join("/")];
      if (!asset) return undefined;
      // Evaluated as plain JavaScript (a data: URL), so this works under any TypeScript loader or none (Pulumi's).
      const js = await esbuild.transform(await readFile(args.path, "utf8"), { loader: "ts", format: "esm" });
      const url = `data:text/javascript;base64,${Buffer.from(js.code).toString("base64")}`;
      const module = (await import(url)) as Record<string, unknown>;
      const source = module[asset.exportName];
      if (typeof source !== "string")
        throw new Error(`${args.path} does not export ${asset.exportName} as a string`);
      const { code } = await esbuild.transform(source, {
        loader: asset.loader,
        minify: true,
        ...(asset.loader === "js" ? { format: "esm" as const } : {}),
        legalComments: "none",
      });
      return { contents: `export const ${asset.exportName} = ${JSON.stringify(code.trim())};`, loader: "js" };
    });
  },
};

/** esbuild options for workerd, shared so every build of the worker is the same build. */
export function esbuildOptions(
  outDir: string,
  openapiDocument: string,
): esbuild.BuildOptions & { metafile: true; write: false } {
  return {
    entryPoints: [WORKER_ENTRY],
    outfile: path.join(outDir, BUNDLE_FILE),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*"],
    // The API document, generated from the routes' contracts just before bundling (worker/routes/openapi.ts).
    define: { __OPENAPI_DOCUMENT__: JSON.stringify(openapiDocument) },
    minify: true,
    sourcemap: "external",
    // Paths in the source map relative to the repo, never the checkout directory: same tree, same bytes.
    sourceRoot: "",
    absWorkingDir: ROOT,
    legalComments: "none",
    metafile: true,
    write: false,
    logLevel: "silent",
    plugins: [minifyPageAssets],
  };
}

/**
 * Bundles worker/ for workerd and writes `index.js`, its source map and `build.json` into `outDir`.
 * Deterministic: the same tree and lockfile give the same bytes, so the sha256 is a build id.
 * Fails with a clear message when a class the manifest binds is not exported by the bundle.
 */
export async function buildWorker(options: { outDir?: string } = {}): Promise<BuildResult> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const started = performance.now();
  let result: esbuild.BuildResult<{ metafile: true; write: false }>;
  try {
    const document = JSON.stringify(await buildOpenApiDocument());
    result = await esbuild.build(esbuildOptions(outDir, document));
  } catch (error) {
    const errors = (error as { errors?: esbuild.Message[] }).errors ?? [];
    const text = errors.length
      ? (await esbuild.formatMessages(errors, { kind: "error" })).join("\n")
      : String(error);
    throw new BuildError(`esbuild could not bundle ${path.relative(ROOT, WORKER_ENTRY)}:\n${text}`);
  }

  const bundlePath = path.join(outDir, BUNDLE_FILE);
  const bundle = result.outputFiles.find((f) => f.path === bundlePath);
  if (!bundle) throw new BuildError(`esbuild produced no ${BUNDLE_FILE}`);
  const relativeOut = path.relative(ROOT, bundlePath).split(path.sep).join("/");
  const exportsOf = [...(result.metafile.outputs[relativeOut]?.exports ?? [])].sort();
  assertBoundClassesExported(exportsOf);

  const record: BuildRecord = {
    buildId: createHash("sha256").update(bundle.contents).digest("hex"),
    mainModule: BUNDLE_FILE,
    sizes: { raw: bundle.contents.byteLength, gzip: gzipSync(bundle.contents, { level: 9 }).byteLength },
    exports: exportsOf,
    migrationTag: lastLegacyTag(),
    esbuildVersion: esbuild.version,
  };

  await mkdir(outDir, { recursive: true });
  await Promise.all([
    ...result.outputFiles.map((file) => writeAtomically(file.path, file.contents)),
    writeAtomically(path.join(outDir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`),
  ]);
  return {
    ...record,
    outDir,
    bundlePath,
    content: bundle.text,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Write-then-rename, so a reader (Miniflare loading dist/index.js, a test comparing bytes) never sees a half-written
 * file while another process (the synth, a Pulumi mock run, `npm run dev`) rebuilds the same tree.
 */
async function writeAtomically(file: string, contents: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, file);
}

/** Every class the manifest binds must be a named export of the bundle, or workerd refuses the script. */
export function assertBoundClassesExported(exportNames: readonly string[]): void {
  const missing = Object.entries(durableObjects)
    .filter(([, declaration]) => !exportNames.includes(declaration.className))
    .map(([binding, declaration]) => `${declaration.className} (bound as ${binding})`);
  if (missing.length > 0) {
    throw new BuildError(
      `The bundle does not export ${missing.join(", ")}, which worker/manifest.ts binds. ` +
        "Export each Durable Object class from worker/objects/index.ts.",
    );
  }
}

/** Reads the record of the last build in `outDir` (undefined when there is none). */
export async function readBuildRecord(outDir = DEFAULT_OUT_DIR): Promise<BuildRecord | undefined> {
  try {
    return JSON.parse(await readFile(path.join(outDir, RECORD_FILE), "utf8")) as BuildRecord;
  } catch {
    return undefined;
  }
}
