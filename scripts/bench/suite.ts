import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify, stripVTControlCharacters } from "node:util";
import { ROOT } from "../../infra/build.ts";
import { type Benchmark, type BenchRow, figure } from "./types.ts";

const run = promisify(execFile);
const CLONES = 3;

interface SuiteRun {
  readonly wallS: number;
  readonly cpuS: number;
  readonly passed: string;
  readonly load: number;
}

/**
 * `npm test` on fresh clones of the committed HEAD, one after another: `git clone`, `npm ci`, then `npm test` under
 * `/usr/bin/time` (wall seconds, and user + system CPU seconds of npm and every process it waited for: vitest, its
 * workers, tsc). CPU moves less with load from elsewhere than wall time does, so both are reported. Only with
 * `npm run bench -- --only suite` (several minutes).
 */
export const benchmark: Benchmark = {
  name: "suite",
  onlyWhenNamed: true,
  async run({ log }) {
    const head = (await run("git", ["rev-parse", "HEAD"], { cwd: ROOT })).stdout.trim();
    const runs: SuiteRun[] = [];
    for (let i = 0; i < CLONES; i++) {
      const dir = await mkdtemp(path.join(os.tmpdir(), "suite-bench-"));
      try {
        log(`clone ${i + 1}/${CLONES} of ${head.slice(0, 12)}: npm ci`);
        await run("git", ["clone", "--quiet", ROOT, dir]);
        await run("git", ["checkout", "--quiet", head], { cwd: dir });
        await run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
        log(`clone ${i + 1}/${CLONES}: npm test`);
        const load = os.loadavg()[0]!;
        const timing = path.join(dir, ".suite-time");
        const { code, output } = await timed(dir, timing);
        const [wall, user, sys] = (await readFile(timing, "utf8"))
          .trim()
          .split("\n")
          .at(-1)!
          .split(" ")
          .map(Number);
        const passed = /Tests\s+(.*\(\d+\))/.exec(stripVTControlCharacters(output))?.[1] ?? "?";
        if (code !== 0)
          throw new Error(`npm test failed in a fresh clone (exit ${code}):\n${output.slice(-4000)}`);
        runs.push({ wallS: wall!, cpuS: user! + sys!, passed, load });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(", ");
    const rows: BenchRow[] = [
      figure({
        id: "suite.npm-test-wall",
        metric: `npm test on ${CLONES} fresh clones, wall`,
        amount: median(runs.map((r) => r.wallS)),
        unit: "s",
        goal: "median ≤ 45 s",
        note: `runs ${list(runs.map((r) => r.wallS))} s; tests ${runs.map((r) => r.passed).join(", ")}; load average before each ${list(runs.map((r) => r.load))}`,
      }),
      figure({
        id: "suite.npm-test-cpu",
        metric: `npm test on ${CLONES} fresh clones, CPU (user + system)`,
        amount: median(runs.map((r) => r.cpuS)),
        unit: "s",
        note: `runs ${list(runs.map((r) => r.cpuS))} s; on 2 cores this much CPU alone takes half as long in wall time`,
      }),
    ];
    return rows;
  },
};

/** `npm test` in `dir` under /usr/bin/time, its output collected. */
function timed(dir: string, timing: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-f", "%e %U %S", "-o", timing, "npm", "test"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c));
    child.stderr.on("data", (c: Buffer) => (output += c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}
