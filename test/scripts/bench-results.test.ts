import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { figure } from "../../scripts/bench/types.ts";
import { growthChart } from "../../scripts/lib/bench-chart.ts";
import { appendRun, type BenchRun, history } from "../../scripts/lib/bench-results.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const plot = { panel: "Fan-out", xLabel: "sockets", yLabel: "ms", line: "p99", bound: "linear" as const };
const run = (buildId: string, p99at10: number, p99at500: number): BenchRun => ({
  date: "2026-11-28T20:00:00.000Z",
  buildId,
  command: "npm run bench",
  machine: { cores: 2, cpu: "test", node: "v20", load: [1, 1, 1] },
  rows: [
    {
      bench: "growth",
      ...figure({ id: "p99-10", metric: "p99 10", amount: p99at10, unit: "ms", plot: { ...plot, x: 10 } }),
    },
    {
      bench: "growth",
      ...figure({
        id: "p99-500",
        metric: "p99 500",
        amount: p99at500,
        unit: "ms",
        goal: "linear",
        plot: { ...plot, x: 500 },
      }),
    },
    { bench: "http", metric: "final count exact", value: "yes" },
  ],
});

describe("bench results and chart", () => {
  it("appends each run after the earlier ones and follows one figure across them", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bench-results-"));
    dirs.push(dir);
    const file = path.join(dir, "bench/results.json");
    await appendRun(file, run("aaa", 5, 100));
    const all = await appendRun(file, run("bbb", 6, 400));
    expect(all.runs.map((r) => r.buildId)).toEqual(["aaa", "bbb"]);
    expect(JSON.parse(await readFile(file, "utf8")).runs).toHaveLength(2);
    expect(history(all, "p99-500").map((h) => [h.buildId, h.amount])).toEqual([
      ["aaa", 100],
      ["bbb", 400],
    ]);
  });

  it("draws the latest run's plotted figures, the goal bound and earlier runs faintly", () => {
    const svg = growthChart({ runs: [run("aaa", 5, 100), run("bbb", 6, 400)] });
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain("Fan-out");
    expect(svg).toContain("build bbb");
    expect(svg).toContain('stroke-dasharray="5 4"'); // the linear goal
    expect(svg).toContain('stroke-opacity="0.25"'); // run aaa behind run bbb
    expect(svg).toContain(">400<"); // the latest point's label
    expect(growthChart({ runs: [] })).toBe("");
  });

  it("prints a figure's amount with its unit, or with the given format", () => {
    expect(figure({ id: "a", metric: "a", amount: 12.345, unit: "ms" }).value).toBe("12.3 ms");
    expect(figure({ id: "b", metric: "b", amount: 1234.5, unit: "req/s" }).value).toBe("1235 req/s");
    expect(
      figure({ id: "c", metric: "c", amount: 0.615, unit: "x", format: (r) => r.toFixed(2) }).value,
    ).toBe("0.61");
  });
});
