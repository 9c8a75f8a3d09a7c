import { readdir } from "node:fs/promises";
import path from "node:path";
import { Worker } from "node:worker_threads";
import * as esbuild from "esbuild";
import {
  BuildError,
  type BuildResult,
  buildWorker,
  DEFAULT_OUT_DIR,
  esbuildOptions,
  generateAssets,
  ROOT,
} from "../../infra/build.ts";
import { pageAssets } from "../../infra/page-assets.ts";
import { staticAssets } from "../../worker/manifest.ts";

/** The generator of the static assets, run in a fresh worker thread (see `generateFresh`). */
const ASSETS_THREAD = new URL("./dev-assets-thread.ts", import.meta.url);
const ROUTES = "worker/routes/";

/**
 * The builds of `npm run dev`: the same files `npm run build` writes for the same tree (same bytes, same build id),
 * made faster for a loop of saves.
 * - esbuild runs as an incremental context: a rebuild parses only what changed.
 * - The OpenAPI document is generated from the routers' contracts, which Node imports: a Node process imports a
 *   module once, so the document must be generated in a fresh module graph (a worker thread, a few hundred ms) to
 *   see a change. A save outside every file the contracts import (a Durable Object, the app's wiring) cannot change
 *   it, so its build reuses the last document's bytes. A save inside them is served at once with the last document,
 *   and the document is generated again after that reload (`documentFollowUp`): when its bytes changed, a second
 *   build with the new document follows, the one `npm run build` makes of that tree.
 */
export class DevBuilder {
  private readonly context: esbuild.BuildContext<ReturnType<typeof esbuildOptions>>;
  private readonly outDir: string;
  private assets: ReadonlyMap<string, Uint8Array>;
  private documentInputs: ReadonlySet<string>;

  private constructor(
    context: esbuild.BuildContext<ReturnType<typeof esbuildOptions>>,
    outDir: string,
    assets: ReadonlyMap<string, Uint8Array>,
    documentInputs: ReadonlySet<string>,
  ) {
    this.context = context;
    this.outDir = outDir;
    this.assets = assets;
    this.documentInputs = documentInputs;
  }

  /** The first build, with freshly generated assets, into `outDir` (default dist/, as `npm run build`). */
  static async start(outDir = DEFAULT_OUT_DIR): Promise<{ builder: DevBuilder; build: BuildResult }> {
    const context = await esbuild.context(esbuildOptions(outDir));
    try {
      // This process has not imported the routers yet, so its own generation is fresh the first time.
      const [assets, inputs] = await Promise.all([generateAssets(), documentInputs()]);
      const builder = new DevBuilder(context, outDir, assets, inputs);
      return { builder, build: await builder.bundleWith(assets) };
    } catch (error) {
      await context.dispose();
      throw error;
    }
  }

  /**
   * Builds after a save of `changed` (paths relative to the repository; undefined when the watcher could not
   * say). The page's files are read again every time (cheap); the document is reused (see the class). When the
   * save may have changed the document, `documentFollowUp` generates it again and, if it changed, builds once more.
   */
  async rebuild(changed: ReadonlySet<string> | undefined): Promise<{
    build: BuildResult;
    documentFollowUp: (() => Promise<BuildResult | undefined>) | undefined;
  }> {
    const page = await pageAssets();
    const document = staticAssets.files.openapi;
    const assets = new Map([[document, this.assets.get(document)!], ...page]);
    const build = await this.bundleWith(assets);
    this.assets = assets;
    const documentMayChange =
      changed === undefined ||
      [...changed].some((file) => file.startsWith(ROUTES) || this.documentInputs.has(file));
    if (!documentMayChange) return { build, documentFollowUp: undefined };
    return {
      build,
      documentFollowUp: async () => {
        const [fresh, inputs] = await Promise.all([generateFresh(), documentInputs()]);
        this.documentInputs = inputs;
        const before = this.assets;
        this.assets = fresh;
        if (sameAssets(before, fresh)) return undefined;
        return this.bundleWith(fresh);
      },
    };
  }

  dispose(): Promise<void> {
    return this.context.dispose();
  }

  private bundleWith(assets: ReadonlyMap<string, Uint8Array>): Promise<BuildResult> {
    return buildWorker({ outDir: this.outDir, assets, bundle: () => this.context.rebuild() });
  }
}

/** The static assets as `npm run build` generates them (infra/build.ts `generateAssets`), in a new module graph. */
function generateFresh(): Promise<Map<string, Uint8Array>> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(ASSETS_THREAD);
    thread.once("message", (entries: [string, Uint8Array][]) => {
      resolve(new Map(entries));
      void thread.terminate();
    });
    // A router that fails to import (a syntax error, a throwing module) is a build error: one line, no stack.
    thread.once("error", (error) =>
      reject(new BuildError(`the OpenAPI document could not be generated: ${error.message}`)),
    );
    thread.once("exit", (code) =>
      reject(new BuildError(`the OpenAPI document could not be generated (its thread exited with ${code})`)),
    );
  });
}

/**
 * Every file under worker/ the routers' contracts import (so the document depends on), by esbuild's metafile of
 * a bundle of the router files: paths relative to the repository.
 */
async function documentInputs(): Promise<Set<string>> {
  const routers = (await readdir(path.join(ROOT, ROUTES))).filter((f) => f.endsWith(".ts"));
  const result = await esbuild
    .build({
      entryPoints: routers.map((f) => path.join(ROOT, ROUTES, f)),
      absWorkingDir: ROOT,
      bundle: true,
      write: false,
      metafile: true,
      outdir: path.join(ROOT, "dist/document-inputs"),
      format: "esm",
      platform: "neutral",
      external: ["cloudflare:*"],
      mainFields: ["module", "main"],
      logLevel: "silent",
    })
    .catch((error: { errors?: esbuild.Message[] }) => {
      const first = error.errors?.[0];
      throw new BuildError(
        `esbuild could not read the routers: ${first ? `${first.location?.file ?? ""} ${first.text}` : String(error)}`,
      );
    });
  return new Set(Object.keys(result.metafile.inputs).filter((file) => file.startsWith("worker/")));
}

function sameAssets(a: ReadonlyMap<string, Uint8Array>, b: ReadonlyMap<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, bytes] of a) {
    const other = b.get(name);
    if (!other || Buffer.compare(bytes, other) !== 0) return false;
  }
  return true;
}
