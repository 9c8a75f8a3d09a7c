import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
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
  const buildWorker = async (options: { outDir?: string } = {}): Promise<BuildResult> => {
    const outDir = options.outDir ?? actual.DEFAULT_OUT_DIR;
    let kept = builds.get(outDir);
    if (!kept) {
      const read = async () => {
        const names = (await readdir(outDir)).filter((name) => !name.endsWith(".tmp"));
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
              const record = files.find((f) => f.name === actual.RECORD_FILE)?.contents;
              const bundle = files.find((f) => f.name === "index.js")?.contents;
              const built = record ? (JSON.parse(record.toString("utf8")) as BuildRecord) : undefined;
              const id = bundle ? createHash("sha256").update(bundle).digest("hex") : undefined;
              if (!built || !bundle || built.buildId !== id || id !== inject("buildId")) {
                throw new Error(`dist/ does not hold the global setup's build ${inject("buildId")}`);
              }
              const result: BuildResult = {
                ...built,
                outDir,
                bundlePath: path.join(outDir, built.mainModule),
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
    // Write-then-rename, as the build does, so a concurrent reader never sees half a file.
    await Promise.all(
      files.map(async ({ name, contents }) => {
        const file = path.join(outDir, name);
        const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
        await writeFile(temporary, contents);
        await rename(temporary, file);
      }),
    );
    return { ...result };
  };
  return { ...actual, buildWorker };
});
