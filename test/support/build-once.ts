import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { inject, vi } from "vitest";
import type { BuildRecord, BuildResult } from "../../infra/build.ts";

/**
 * A setup file of the node project. The Pulumi program bundles the worker (infra/build.ts `buildWorker`) on every
 * run, and the infra and script suites run it under mocks about sixty times: each run an esbuild bundle of the same
 * unchanged tree (~0.4 CPU s, ~20 CPU s in all). Nothing in a test run edits the sources, so:
 * - dist/ (the default directory) is the build the global setup made in a fresh process, exactly as `npm run build`
 *   does, and the one the artifact suites run (its id is `inject("buildId")`): a call gets that build, after its
 *   files are checked against its id. Test processes do not bundle into dist/ themselves: a test process's module
 *   graph is shared between its files, and a build made in one once came out with another id than the CLI's, which
 *   then met the real build in dist/ (written by another process) and failed the build guard.
 * - any other directory is bundled once per process, for real (build.test.ts still builds twice, into two
 *   directories, to check that builds are reproducible).
 * Each call writes the build's files to its directory again, as a build does (the program reads dist/ after
 * building), and returns its result (a copy). A failed build is not kept.
 */
interface Kept {
  readonly result: BuildResult;
  readonly files: readonly { readonly name: string; readonly contents: Buffer }[];
}

vi.mock(import("../../infra/build.ts"), async (importOriginal) => {
  const actual = await importOriginal();
  // Kept on globalThis: the module graph, and with it this factory, can be reset (vi.resetModules) between files.
  const shared = globalThis as { __testBuilds?: Map<string, Promise<Kept>> };
  shared.__testBuilds ??= new Map();
  const builds = shared.__testBuilds;
  const buildWorker = async (
    options: Parameters<typeof actual.buildWorker>[0] = {},
  ): Promise<BuildResult> => {
    // A build with assets of its own (a test changing the document alone) is a different build: always real.
    if (options.assets) return actual.buildWorker(options);
    const outDir = options.outDir ?? actual.DEFAULT_OUT_DIR;
    let kept = builds.get(outDir);
    if (!kept) {
      // Every file of the build, by path relative to outDir: the files directly in outDir (bundle, source map,
      // record) and the static assets under assets/. Not other directories: a test may build into a scratch
      // directory inside dist/ (it must be inside the repository) and remove it, and writing that back resurrected
      // it, or failed when the removal ran at the same moment.
      const read = async () => {
        const assetsDirectory = actual.assetsDirectoryOf(path.join(outDir, actual.BUNDLE_FILE));
        const [top, assets] = await Promise.all([
          readdir(outDir, { withFileTypes: true }),
          readdir(assetsDirectory, { recursive: true, withFileTypes: true }),
        ]);
        const names = [...top, ...assets]
          .filter((entry) => entry.isFile() && !entry.name.endsWith(".tmp"))
          .map((entry) => path.relative(outDir, path.join(entry.parentPath, entry.name)));
        return Promise.all(
          names.map(async (name) => ({ name, contents: await readFile(path.join(outDir, name)) })),
        );
      };
      const fresh = async (): Promise<Kept> => {
        const result = await actual.buildWorker(options);
        return { result, files: await read() };
      };
      kept =
        outDir === actual.DEFAULT_OUT_DIR
          ? read().then((files) => {
              const contentsOf = (name: string) => files.find((f) => f.name === name)?.contents;
              const record = contentsOf(actual.RECORD_FILE);
              const bundle = contentsOf(actual.BUNDLE_FILE);
              const built = record ? (JSON.parse(record.toString("utf8")) as BuildRecord) : undefined;
              const bundlePath = path.join(outDir, actual.BUNDLE_FILE);
              const assetsDirectory = actual.assetsDirectoryOf(bundlePath);
              // The files on disk are the ones the record names: the bundle's and every asset's sha256, and the id
              // computed from them as the build computes it.
              const intact =
                built !== undefined &&
                bundle !== undefined &&
                actual.sha256(bundle) === built.bundleSha256 &&
                built.assets.every((asset) => {
                  const bytes = contentsOf(path.relative(outDir, path.join(assetsDirectory, asset.path)));
                  return bytes !== undefined && actual.sha256(bytes) === asset.sha256;
                }) &&
                actual.buildIdOf(built.bundleSha256, built.assets) === built.buildId &&
                built.buildId === inject("buildId");
              if (!intact)
                throw new Error(`dist/ does not hold the global setup's build ${inject("buildId")}`);
              const result: BuildResult = {
                ...built,
                outDir,
                bundlePath,
                assetsDirectory,
                content: bundle.toString("utf8"),
                durationMs: 0,
              };
              return { result, files };
            })
          : fresh();
      builds.set(outDir, kept);
      kept.catch(() => builds.delete(outDir));
      return { ...(await kept).result };
    }
    const { result, files } = await kept;
    // Written as the build writes (write-then-rename), so a concurrent reader never sees half a file.
    await Promise.all(
      files.map(async ({ name, contents }) => {
        const file = path.join(outDir, name);
        await mkdir(path.dirname(file), { recursive: true });
        await actual.writeAtomically(file, contents);
      }),
    );
    return { ...result };
  };
  return { ...actual, buildWorker };
});
