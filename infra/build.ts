import { createHash, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import * as esbuild from "esbuild";
import * as realManifest from "../worker/manifest.ts";
import { lastLegacyTag, staticAssets } from "../worker/manifest.ts";
import type { ClassManifest } from "./class-lifecycle.ts";
import { type CheckedManifest, manifestRefusal } from "./manifest-checks.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { pageAssets } from "./page-assets.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_OUT_DIR = path.join(ROOT, "dist");
export const WORKER_ENTRY = path.join(ROOT, "worker/index.ts");
export const BUNDLE_FILE = "index.js";
export const RECORD_FILE = "build.json";

/** The static-assets directory of a build: beside its bundle (worker/manifest.ts `staticAssets`). */
export const assetsDirectoryOf = (bundlePath: string) =>
  path.join(path.dirname(bundlePath), staticAssets.directory);

/** One file of the static assets, as the build record lists it. */
export interface AssetRecord {
  /** Path under the assets directory, with `/` separators (= its URL path without the leading slash). */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** What `npm run build` writes next to the bundle (dist/build.json). */
export interface BuildRecord {
  /**
   * The build id /health reports and promotion compares: sha256 of everything a version carries, the bundle and
   * the static assets (see `buildIdOf`), hex. The document can change while the bundle does not.
   */
  readonly buildId: string;
  /** sha256 of the bundle bytes alone, hex: the uploaded module's contentSha256. */
  readonly bundleSha256: string;
  readonly mainModule: string;
  /** The static assets written beside the bundle, sorted by path. */
  readonly assets: readonly AssetRecord[];
  readonly sizes: { readonly raw: number; readonly gzip: number };
  /** Everything the bundle exports (the Durable Object classes and `default`). */
  readonly exports: readonly string[];
  readonly migrationTag: string;
  readonly esbuildVersion: string;
}

export interface BuildResult extends BuildRecord {
  readonly outDir: string;
  readonly bundlePath: string;
  /** Absolute path of the static-assets directory (dist/assets), uploaded with the version. */
  readonly assetsDirectory: string;
  /** The bundle as text: what the Pulumi program uploads as the script content. */
  readonly content: string;
  readonly durationMs: number;
}

export class BuildError extends Error {
  override readonly name = "BuildError";
}

/** esbuild options for workerd, shared so every build of the worker is the same build. */
export function esbuildOptions(outDir: string): esbuild.BuildOptions & { metafile: true; write: false } {
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
    minify: true,
    sourcemap: "external",
    // Paths in the source map relative to the repo, never the checkout directory: same tree, same bytes.
    sourceRoot: "",
    absWorkingDir: ROOT,
    legalComments: "none",
    metafile: true,
    write: false,
    logLevel: "silent",
  };
}

/**
 * The static assets of a build, generated from the tree: the OpenAPI document (infra/openapi.ts) and the web page
 * (infra/page-assets.ts), as the bytes the worker serves. Paths are relative to the assets directory.
 */
export async function generateAssets(routesDir?: string): Promise<Map<string, Uint8Array>> {
  const [document, page] = await Promise.all([
    step("OpenAPI generation", buildOpenApiDocument({ routesDir })),
    step("the page's build", pageAssets()),
  ]);
  return new Map([[staticAssets.files.openapi, Buffer.from(JSON.stringify(document), "utf8")], ...page]);
}

/** A build step's failure as a BuildError that names the step. */
function step<T>(name: string, work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    throw new BuildError(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  });
}

/**
 * The build id: sha256 over one line per uploaded file, `<sha256> <name>\n`, the bundle first, then every asset by
 * path. Any byte of the bundle or of an asset changes it; the same files give the same id.
 */
export function buildIdOf(bundleSha256: string, assets: readonly AssetRecord[]): string {
  const lines = [
    `${bundleSha256} ${BUNDLE_FILE}`,
    ...assets.map((a) => `${a.sha256} ${staticAssets.directory}/${a.path}`),
  ];
  return sha256(lines.map((line) => `${line}\n`).join(""));
}

/** sha256 of some bytes, hex: the digest every id of a build is made of. */
export const sha256 = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * Bundles worker/ for workerd and writes `index.js`, its source map, the static assets (`assets/`) and
 * `build.json` into `outDir`. Deterministic: the same tree and lockfile give the same bytes, hence the same build id.
 * Fails with one sentence naming the class when the manifest's class lifecycle is wrong (infra/manifest-checks.ts)
 * or a class the manifest binds is not exported by the bundle, and names the step that failed: the OpenAPI
 * generation (which loads the routers in Node) or esbuild.
 */
export async function buildWorker(
  options: {
    outDir?: string;
    /** The static assets to write instead of the generated ones (tests: a document changed alone). */
    assets?: ReadonlyMap<string, Uint8Array>;
    /** The manifest to check the lifecycle and the exports against (tests); default worker/manifest.ts. */
    manifest?: CheckedManifest;
    /** Where the routers whose contracts make the OpenAPI document are (tests); default worker/routes. */
    routesDir?: string;
    /**
     * Runs esbuild with `esbuildOptions(outDir)`; default `esbuild.build`. `npm run dev` passes an incremental
     * context's `rebuild` (same options, same bytes, a fraction of the time).
     */
    bundle?: (
      options: ReturnType<typeof esbuildOptions>,
    ) => Promise<esbuild.BuildResult<{ metafile: true; write: false }>>;
  } = {},
): Promise<BuildResult> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const manifest = options.manifest ?? realManifest;
  const started = performance.now();
  const refusal = manifestRefusal(manifest);
  if (refusal) throw new BuildError(refusal);
  // Each step fails with its own name: one catch around all of them blamed esbuild for a router Node could not load.
  const assetsStep = options.assets ? Promise.resolve(options.assets) : generateAssets(options.routesDir);
  const bundleStep = (options.bundle ?? esbuild.build)(esbuildOptions(outDir)).catch(
    async (error: unknown) => {
      const errors = (error as { errors?: esbuild.Message[] }).errors ?? [];
      const text = errors.length
        ? (await esbuild.formatMessages(errors, { kind: "error" })).join("\n")
        : String(error);
      throw new BuildError(`esbuild could not bundle ${path.relative(ROOT, WORKER_ENTRY)}:\n${text}`);
    },
  );
  const [assetFiles, result] = await Promise.all([assetsStep, bundleStep]);

  const bundlePath = path.join(outDir, BUNDLE_FILE);
  const bundle = result.outputFiles.find((f) => f.path === bundlePath);
  if (!bundle) throw new BuildError(`esbuild produced no ${BUNDLE_FILE}`);
  // The gzip size (level 9 takes ~35 ms for this bundle) is measured on libuv's thread pool while this thread
  // hashes and writes: it was the largest single step of a rebuild in `npm run dev`.
  const gzipped = promisify(gzip)(bundle.contents, { level: 9 });
  const relativeOut = path.relative(ROOT, bundlePath).split(path.sep).join("/");
  const exportsOf = [...(result.metafile.outputs[relativeOut]?.exports ?? [])].sort();
  assertBoundClassesExported(exportsOf, manifest);

  const assets = [...assetFiles]
    .map(([file, bytes]) => ({ path: file, sha256: sha256(bytes), size: bytes.byteLength }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const bundleSha256 = sha256(bundle.contents);
  const assetsDirectory = path.join(outDir, staticAssets.directory);
  await mkdir(assetsDirectory, { recursive: true });
  await removeStaleAssets(assetsDirectory, new Set(assetFiles.keys()));
  const written = Promise.all([
    ...result.outputFiles.map((file) => writeAtomically(file.path, file.contents)),
    ...[...assetFiles].map(([file, bytes]) => writeAtomically(path.join(assetsDirectory, file), bytes)),
  ]);
  const record: BuildRecord = {
    buildId: buildIdOf(bundleSha256, assets),
    bundleSha256,
    mainModule: BUNDLE_FILE,
    assets,
    sizes: { raw: bundle.contents.byteLength, gzip: (await gzipped).byteLength },
    exports: exportsOf,
    migrationTag: lastLegacyTag(),
    esbuildVersion: esbuild.version,
  };
  await Promise.all([
    written,
    writeAtomically(path.join(outDir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`),
  ]);
  return {
    ...record,
    outDir,
    bundlePath,
    assetsDirectory,
    content: bundle.text,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * The whole assets directory is uploaded with a version, so a file an earlier build wrote and this one does not
 * (a renamed asset) must go: it would be served while the build id does not cover it. Another process's
 * half-written file (`*.tmp`, see writeAtomically) is left alone.
 */
async function removeStaleAssets(directory: string, keep: ReadonlySet<string>): Promise<void> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  await Promise.all(
    entries
      .filter((entry) => entry.isFile() && !entry.name.endsWith(".tmp"))
      .map((entry) => path.join(entry.parentPath, entry.name))
      .filter((file) => !keep.has(path.relative(directory, file).split(path.sep).join("/")))
      .map((file) => rm(file, { force: true })),
  );
}

/**
 * Write-then-rename, so a reader (Miniflare loading dist/index.js, a test comparing bytes) never sees a half-written
 * file while another process (the synth, a Pulumi mock run, `npm run dev`) rebuilds the same tree.
 */
export async function writeAtomically(file: string, contents: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, file);
}

/** Every class the manifest binds must be a named export of the bundle, or workerd refuses the script. */
export function assertBoundClassesExported(
  exportNames: readonly string[],
  manifest: Pick<ClassManifest, "durableObjects"> = realManifest,
): void {
  const missing = Object.entries(manifest.durableObjects)
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
