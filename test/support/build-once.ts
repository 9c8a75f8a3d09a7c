import { randomUUID } from "node:crypto";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { vi } from "vitest";
import type { BuildResult } from "../../infra/build.ts";

/**
 * A setup file of the node project. The Pulumi program bundles the worker (infra/build.ts `buildWorker`) on every
 * run, and the infra and script suites run it under mocks about sixty times: each run an esbuild bundle of the same
 * unchanged tree (~0.4 CPU s, ~20 CPU s in all). Nothing in a test run edits the sources, so in each test process
 * every output directory is bundled once, for real; a later call writes that build's files to its directory again
 * (as a build does: the program reads dist/ after building) and returns its result (a copy). The program still
 * calls buildWorker and uploads what it returns; build.test.ts still builds twice, into two directories, to check
 * that builds are reproducible. A failed build is not kept.
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
      kept = actual.buildWorker(options).then(async (result) => {
        const names = (await readdir(outDir)).filter((name) => !name.endsWith(".tmp"));
        const files = await Promise.all(
          names.map(async (name) => ({ name, contents: await readFile(path.join(outDir, name)) })),
        );
        return { result, files };
      });
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
