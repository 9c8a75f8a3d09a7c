// `npm run bench [-- --only name,name]`: builds the bundle, starts it in Miniflare on loopback, runs every
// benchmark module in scripts/bench/ (each exports `benchmark`), and prints one table. Numbers depend on the
// machine: quote them with the command and the machine they came from.
import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildWorker, ROOT } from "../infra/build.ts";
import type { Benchmark, BenchRow } from "./bench/types.ts";
import { startLocalPlatform } from "./lib/local-platform.ts";

const { values: args } = parseArgs({ options: { only: { type: "string" } }, strict: true });
const only = args.only?.split(",").map((s) => s.trim());

const dir = path.join(ROOT, "scripts/bench");
const modules: Benchmark[] = [];
for (const file of (await readdir(dir)).sort()) {
  if (!file.endsWith(".ts") || file === "types.ts" || file === "load.ts") continue;
  const mod = (await import(path.join(dir, file))) as { benchmark?: Benchmark };
  if (mod.benchmark && (!only || only.includes(mod.benchmark.name))) modules.push(mod.benchmark);
}
if (modules.length === 0) {
  console.error(`no benchmark matches --only ${args.only}`);
  process.exit(2);
}

const log = (message: string) => console.error(`  … ${message}`);
const adminToken = randomBytes(24).toString("base64url");
const build = await buildWorker();
const results: { bench: string; rows: BenchRow[] }[] = [];
for (const bench of modules) {
  console.error(`bench ${bench.name}`);
  // A fresh platform per benchmark, in memory, so one benchmark's state cannot slow another's.
  const platform = await startLocalPlatform({
    bundlePath: build.bundlePath,
    env: { environment: "bench", buildId: build.buildId, adminToken },
  });
  try {
    results.push({ bench: bench.name, rows: await bench.run({ build, platform, adminToken, log }) });
  } finally {
    await platform.dispose();
  }
}

const cpu = os.cpus()[0]?.model ?? "unknown cpu";
console.log(
  `\nnpm run bench — ${os.cpus().length} cores (${cpu}), node ${process.version}, build ${build.buildId.slice(0, 12)}\n`,
);
const table = results.flatMap((r) => r.rows.map((row) => [r.bench, row.metric, row.value, row.note ?? ""]));
const widths = [0, 1, 2].map((i) =>
  Math.max(...table.map((row) => row[i]!.length), ["bench", "metric", "value"][i]!.length),
);
const line = (cells: string[]) =>
  cells
    .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c))
    .join("  ")
    .trimEnd();
console.log(line(["bench", "metric", "value", "notes"]));
console.log(line(widths.map((w) => "-".repeat(w)).concat("-----")));
for (const row of table) console.log(line(row));
