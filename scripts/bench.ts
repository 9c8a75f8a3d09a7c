// `npm run bench [-- --only name,name] [-- --no-save]`: builds the bundle, starts it in Miniflare on loopback, runs
// every benchmark module in scripts/bench/ (each exports `benchmark`), and prints one table. Each run is appended to
// bench/results.json (date, build id, machine, every row) and bench/growth.svg is redrawn from it, so a regression
// shows against earlier runs. Numbers depend on the machine: quote them with the command and the machine.
import { randomBytes } from "node:crypto";
import { readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Benchmark, BenchRow } from "./bench/types.ts";
import { growthChart } from "./lib/bench-chart.ts";
import { appendRun, type RecordedRow } from "./lib/bench-results.ts";
import { parseCli, usageError } from "./lib/cli.ts";

const cli = {
  name: "bench",
  usage:
    "usage: npm run bench -- [--only NAME[,NAME...]] [--no-save]\n" +
    "  --only      run only these benchmarks (the modules of scripts/bench/, e.g. chat,scheduler)\n" +
    "  --no-save   print the table only; do not append to bench/results.json or redraw bench/growth.svg",
  options: { only: { type: "string" }, "no-save": { type: "boolean", default: false } },
} as const;
const { values: args } = parseCli(cli);
const only = args.only?.split(",").map((s) => s.trim());

// Loaded after the arguments are read: Miniflare takes most of a second to load.
const { buildWorker, ROOT } = await import("../infra/build.ts");
const { startLocalPlatform } = await import("./lib/local-platform.ts");
const dir = path.join(ROOT, "scripts/bench");
const RESULTS_FILE = path.join(ROOT, "bench/results.json");
const CHART_FILE = path.join(ROOT, "bench/growth.svg");
const modules: Benchmark[] = [];
for (const file of (await readdir(dir)).sort()) {
  if (!file.endsWith(".ts") || file === "types.ts" || file === "load.ts") continue;
  const mod = (await import(path.join(dir, file))) as { benchmark?: Benchmark };
  // A benchmark that takes minutes (the test suite on fresh clones) runs only when named.
  const wanted = only ? only.includes(mod.benchmark?.name ?? "") : !mod.benchmark?.onlyWhenNamed;
  if (mod.benchmark && wanted) modules.push(mod.benchmark);
}
if (modules.length === 0) {
  usageError(cli, `no benchmark matches --only ${args.only}`);
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
  `\nnpm run bench — ${os.cpus().length} cores (${cpu}), node ${process.version}, build ${build.buildId.slice(0, 12)}, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}\n`,
);
const table = results.flatMap((r) =>
  r.rows.map((row) => [r.bench, row.metric, row.value, row.goal ?? "", row.note ?? ""]),
);
const headings = ["bench", "metric", "value", "goal"];
const widths = headings.map((h, i) => Math.max(...table.map((row) => row[i]!.length), h.length));
const line = (cells: string[]) =>
  cells
    .map((c, i) => (i < headings.length ? c.padEnd(widths[i]!) : c))
    .join("  ")
    .trimEnd();
console.log(line([...headings, "notes"]));
console.log(line(widths.map((w) => "-".repeat(w)).concat("-----")));
for (const row of table) console.log(line(row));

if (!args["no-save"]) {
  const rows: RecordedRow[] = results.flatMap((r) => r.rows.map((row) => ({ bench: r.bench, ...row })));
  const all = await appendRun(RESULTS_FILE, {
    date: new Date().toISOString(),
    buildId: build.buildId,
    command: ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(
      " ",
    ),
    machine: { cores: os.cpus().length, cpu, node: process.version, load: os.loadavg() },
    rows,
  });
  const chart = growthChart(all);
  if (chart) await writeFile(CHART_FILE, chart);
  console.log(
    `\nrun ${all.runs.length} appended to ${path.relative(ROOT, RESULTS_FILE)}` +
      (chart ? `; chart ${path.relative(ROOT, CHART_FILE)}` : ""),
  );
}
