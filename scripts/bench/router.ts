import { rm } from "node:fs/promises";
import path from "node:path";
import * as esbuild from "esbuild";
import { buildWorker, ROOT } from "../../infra/build.ts";
import { startLocalPlatform } from "../lib/local-platform.ts";
import { workerdCpuSeconds } from "./server-cpu.ts";
import { type Benchmark, type BenchRow, figure } from "./types.ts";
import { haveWrk, requestsPerSecond, type Target } from "./wrk.ts";

/**
 * The router trade: the same worker built with each of Hono's presets in place of `hono/tiny` (an esbuild alias, so
 * no source changes): bundle bytes against workerd CPU per request on `GET /health` and on the increment.
 * `hono/tiny` is PatternRouter alone; `hono` is SmartRouter over RegExpRouter (one precompiled regular expression
 * for all routes) and TrieRouter; `hono/quick` is SmartRouter over LinearRouter and TrieRouter.
 */
const VARIANTS = ["hono/tiny", "hono", "hono/quick"] as const;
const ROUNDS = 3;
const SECONDS = 2;
const CONNECTIONS = 50;

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const benchmark: Benchmark = {
  name: "router",
  async run({ adminToken, log }) {
    const wrk = await haveWrk();
    const builds = new Map<string, Awaited<ReturnType<typeof buildWorker>>>();
    const cpu = new Map<string, { health: number[]; increment: number[]; ratio: number[] }>();
    try {
      for (const variant of VARIANTS) {
        builds.set(
          variant,
          await buildWorker({
            outDir: path.join(ROOT, "dist", `bench-router-${variant.replace("/", "-")}`),
            bundle: (options) =>
              esbuild.build({ ...options, alias: variant === "hono/tiny" ? {} : { "hono/tiny": variant } }),
          }),
        );
        cpu.set(variant, { health: [], increment: [], ratio: [] });
      }
      // Rounds alternate the variants, so load from elsewhere falls on all of them alike.
      for (let round = 0; round < ROUNDS; round++) {
        for (const variant of VARIANTS) {
          log(`round ${round + 1}/${ROUNDS}: ${variant}`);
          const build = builds.get(variant)!;
          const platform = await startLocalPlatform({
            bundlePath: build.bundlePath,
            env: { environment: "bench", buildId: build.buildId, adminToken },
          });
          try {
            const counter = `router-${variant.replace("/", "-")}-${round}`;
            const health: Target = { method: "GET", path: "/health" };
            const increment: Target = { method: "POST", path: `/api/counters/${counter}/increment` };
            const per: Record<string, { us: number; rps: number }> = {};
            for (const [name, target] of [
              ["health", health],
              ["increment", increment],
            ] as const) {
              // A first second of each warms the isolate and the Durable Object.
              await requestsPerSecond(platform.url, target, { connections: CONNECTIONS, seconds: 1, wrk });
              const before = workerdCpuSeconds();
              const r = await requestsPerSecond(platform.url, target, {
                connections: CONNECTIONS,
                seconds: SECONDS,
                wrk,
              });
              const after = workerdCpuSeconds();
              per[name] = {
                us: before !== undefined && after !== undefined ? ((after - before) * 1e6) / r.requests : NaN,
                rps: r.perSecond,
              };
            }
            const c = cpu.get(variant)!;
            c.health.push(per.health!.us);
            c.increment.push(per.increment!.us);
            c.ratio.push(per.increment!.rps / per.health!.rps);
          } finally {
            await platform.dispose();
          }
        }
      }
    } finally {
      await Promise.all(
        VARIANTS.map((v) =>
          rm(path.join(ROOT, "dist", `bench-router-${v.replace("/", "-")}`), {
            recursive: true,
            force: true,
          }),
        ),
      );
    }
    const rows: BenchRow[] = [];
    for (const variant of VARIANTS) {
      const build = builds.get(variant)!;
      const c = cpu.get(variant)!;
      const id = variant.replace("/", "-");
      rows.push(
        figure({
          id: `router.${id}.health-cpu`,
          metric: `${variant}: GET /health, workerd CPU per request`,
          amount: Math.round(median(c.health)),
          unit: "µs",
          note: `median of ${ROUNDS} rounds (${c.health.map((x) => x.toFixed(0)).join(", ")}); bundle ${(build.sizes.raw / 1024).toFixed(1)} KiB raw / ${(build.sizes.gzip / 1024).toFixed(1)} KiB gzip`,
        }),
        figure({
          id: `router.${id}.increment-cpu`,
          metric: `${variant}: increment, workerd CPU per request`,
          amount: Math.round(median(c.increment)),
          unit: "µs",
          note: `median of ${ROUNDS} rounds (${c.increment.map((x) => x.toFixed(0)).join(", ")}); increment / health by throughput, each round side by side: ${c.ratio.map((x) => x.toFixed(2)).join(", ")}`,
        }),
      );
    }
    return rows;
  },
};
