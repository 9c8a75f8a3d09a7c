import { vi } from "vitest";
import type { BuildResult } from "../../infra/build.ts";

/**
 * A setup file of the node project. The Pulumi program bundles the worker (infra/build.ts `buildWorker`) on every
 * run, and the infra and script suites run it under mocks about sixty times: each run an esbuild bundle of the same
 * unchanged tree (~0.4 CPU s, ~20 CPU s in all). Nothing in a test run edits the sources, so in each test process
 * every output directory is built once, for real, and later calls get that build's result (a copy). The program
 * still calls buildWorker and uploads what it returns; build.test.ts still builds twice, into two directories, to
 * check that builds are reproducible. A failed build is not kept.
 */
vi.mock(import("../../infra/build.ts"), async (importOriginal) => {
  const actual = await importOriginal();
  // Kept on globalThis: the module graph, and with it this factory, can be reset (vi.resetModules) between files.
  const shared = globalThis as { __testBuilds?: Map<string, Promise<BuildResult>> };
  shared.__testBuilds ??= new Map();
  const builds = shared.__testBuilds;
  const buildWorker = (options: { outDir?: string } = {}): Promise<BuildResult> => {
    const key = options.outDir ?? actual.DEFAULT_OUT_DIR;
    let build = builds.get(key);
    if (!build) {
      build = actual.buildWorker(options);
      builds.set(key, build);
      build.catch(() => builds.delete(key));
    }
    return build.then((result) => ({ ...result }));
  };
  return { ...actual, buildWorker };
});
