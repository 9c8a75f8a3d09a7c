import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { durableObjects, lastLegacyTag } from "../worker/manifest.ts";

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
 * Bundles worker/ for workerd and writes `index.js`, its source map and `build.json` into `outDir`.
 * Deterministic: the same tree and lockfile give the same bytes, so the sha256 is a build id.
 * Fails with a clear message when a class the manifest binds is not exported by the bundle.
 */
export async function buildWorker(options: { outDir?: string } = {}): Promise<BuildResult> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const started = performance.now();
  let result: esbuild.BuildResult<{ metafile: true; write: false }>;
  try {
    result = await esbuild.build(esbuildOptions(outDir));
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
