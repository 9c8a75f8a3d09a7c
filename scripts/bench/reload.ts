import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ROOT } from "../../infra/build.ts";
import { percentile } from "./load.ts";
import { type Benchmark, type BenchRow, figure } from "./types.ts";

/** Saves per case; the first is reported apart from the others only through the range. */
const ROUNDS = 7;
/** What the copy of the tree needs for `npm run dev` (node_modules is linked, not copied). */
const TREE = ["worker", "infra", "scripts", "package.json", "Pulumi.yaml"];

/**
 * The files a save touches: a Durable Object's code (outside every router's contract) and a router (inside it, so
 * the OpenAPI document is generated again).
 */
const CASES = [
  { name: "Durable Object code", file: "worker/objects/counter.ts", id: "object" },
  { name: "a router", file: "worker/routes/health.ts", id: "router" },
] as const;

/**
 * Save-to-served in `npm run dev`: a copy of the tree (so the working tree is never edited) runs `scripts/dev.ts`;
 * each round appends a statement to a source file (a side effect the minifier keeps, so the bundle and the build id
 * change) and times from the end of the write to the first `GET /health` that answers with another build id. The
 * dev server's own log line for the same reload gives the build part of it.
 */
export async function measureReload(log: (m: string) => void): Promise<BenchRow[]> {
  const copy = await mkdtemp(path.join(os.tmpdir(), "reload-bench-"));
  let dev: ChildProcess | undefined;
  try {
    await Promise.all(
      TREE.map((entry) => cp(path.join(ROOT, entry), path.join(copy, entry), { recursive: true })),
    );
    await symlink(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"), "dir");
    dev = spawn(
      process.execPath,
      ["scripts/dev.ts", "--port", "0", "--persist-to", path.join(copy, ".data")],
      {
        cwd: copy,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    dev.stdout!.on("data", (chunk: Buffer) => (output += chunk));
    dev.stderr!.on("data", (chunk: Buffer) => (output += chunk));
    const base = await until(
      () => /platform ready at (\S+)/.exec(output)?.[1],
      60_000,
      () => output,
    );
    const buildIdNow = async () => {
      const res = await fetch(new URL("/health", base));
      return ((await res.json()) as { buildId: string }).buildId;
    };
    let current = await buildIdNow();
    const rows: BenchRow[] = [];
    for (const c of CASES) {
      log(`reload: ${ROUNDS} saves of ${c.file} in npm run dev`);
      const file = path.join(copy, c.file);
      const original = await readFile(file, "utf8");
      const times: number[] = [];
      const builds: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const before = current;
        const printed = output.length;
        await writeFile(file, `${original}\n;(globalThis as any).__reloadBench = "${c.id}-${round}";\n`);
        const saved = performance.now();
        current = await until(
          async () => {
            const id = await buildIdNow().catch(() => undefined);
            return id !== undefined && id !== before ? id : undefined;
          },
          30_000,
          () => output,
        );
        times.push(performance.now() - saved);
        const built = /reloaded: build \w+ \((\d+) ms/.exec(output.slice(printed))?.[1];
        if (built !== undefined) builds.push(Number(built));
        // Let anything that follows the reload (the document generated again) settle before the next save.
        await sleep(1_500);
        current = await buildIdNow();
      }
      await writeFile(file, original);
      await sleep(1_500);
      current = await buildIdNow();
      const sorted = [...times].sort((a, b) => a - b);
      const buildsSorted = [...builds].sort((a, b) => a - b);
      rows.push(
        figure({
          id: `reload.save-to-served.${c.id}`,
          metric: `npm run dev: save to served, ${c.name}`,
          amount: Math.round(percentile(sorted, 50)),
          unit: "ms",
          goal: "< 300 ms",
          note: `median of ${ROUNDS} saves of ${c.file}; range ${Math.round(sorted[0]!)}-${Math.round(sorted.at(-1)!)} ms; from the end of the write to the first /health with the new build id; the build alone (as npm run dev logs it): median ${percentile(buildsSorted, 50)} ms`,
        }),
      );
    }
    return rows;
  } finally {
    dev?.kill("SIGTERM");
    if (dev) await new Promise((resolve) => dev!.once("exit", resolve));
    await rm(copy, { recursive: true, force: true });
  }
}

/** Polls `probe` until it returns a value; fails after `limitMs` with what the dev server printed. */
async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  limitMs: number,
  output: () => string,
) {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline)
      throw new Error(`npm run dev did not get there; it printed:\n${output()}`);
    await sleep(2);
  }
}

export const benchmark: Benchmark = {
  name: "reload",
  run: ({ log }) => measureReload(log),
};
