import type { Benchmark } from "./types.ts";

export const benchmark: Benchmark = {
  name: "build",
  async run({ build }) {
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    return [
      { metric: "bundle size", value: `${kib(build.sizes.raw)} raw / ${kib(build.sizes.gzip)} gzip` },
      { metric: "build time", value: `${build.durationMs} ms`, note: "esbuild, minified, with source map" },
    ];
  },
};
