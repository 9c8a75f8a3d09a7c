// `npm run build`: bundle worker/ into dist/ and print what was built.
import path from "node:path";
import { BuildError, buildWorker, ROOT } from "../infra/build.ts";
import { parseCli } from "./lib/cli.ts";

parseCli({
  name: "build",
  usage:
    "usage: npm run build\n  bundles worker/ and its static assets into dist/ and prints the build id (sha256), sizes, assets, exports and migration tag",
  options: {},
});

try {
  const build = await buildWorker();
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`built ${path.relative(ROOT, build.bundlePath)} in ${build.durationMs} ms`);
  console.log(`  build id   ${build.buildId}`);
  console.log(`  size       ${kib(build.sizes.raw)} raw, ${kib(build.sizes.gzip)} gzip`);
  // Static assets go beside the bundle, not in it (uploaded with the version); the build id covers them too.
  for (const asset of build.assets) {
    console.log(
      `  asset      ${path.relative(ROOT, path.join(build.assetsDirectory, asset.path))} ${kib(asset.size)}`,
    );
  }
  console.log(`  exports    ${build.exports.join(", ")}`);
  console.log(`  classes    declared with exports (worker/manifest.ts); legacy tag ${build.migrationTag}`);
} catch (error) {
  console.error(error instanceof BuildError ? `build failed: ${error.message}` : error);
  process.exitCode = 1;
}
