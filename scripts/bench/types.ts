import type { BuildResult } from "../../infra/build.ts";
import type { LocalPlatform } from "../lib/local-platform.ts";

/** What every benchmark gets: the freshly built bundle running in Miniflare on a real port. */
export interface BenchContext {
  readonly build: BuildResult;
  readonly platform: LocalPlatform;
  /** The platform's admin token, for benchmarks that act as the operator (scheduling jobs). */
  readonly adminToken: string;
  /** Progress line on stderr (the table goes to stdout). */
  readonly log: (message: string) => void;
}

/** Where a figure goes on the growth chart (bench/growth.svg): a panel, a line in it, and its x. */
export interface PlotPoint {
  /** Panel title; figures with the same panel share axes. */
  readonly panel: string;
  /** One line of the panel, e.g. "p99". */
  readonly line: string;
  readonly x: number;
  readonly xLabel: string;
  readonly yLabel: string;
  /** The goal as a boundary drawn from the line's first point: "linear" (y ∝ x) or "flat" (y constant). */
  readonly bound?: "linear" | "flat";
}

/**
 * One line of the results table. `metric` and `value` are what the table prints. A row that also names a figure
 * (`id` and `amount`) is kept in bench/results.json under that id across runs, so a regression is visible; its
 * `goal` is printed beside it, and `plot` puts it on the growth chart. Use `figure()` to build such a row.
 */
export interface BenchRow {
  readonly metric: string;
  readonly value: string;
  readonly note?: string;
  /** Stable name of the figure across runs, e.g. "http.increment-ratio". */
  readonly id?: string;
  /** The figure as a number, in `unit`. */
  readonly amount?: number;
  readonly unit?: string;
  /** What the figure is held to, in words: "≥ 0.6", "grows at most linearly with sockets". */
  readonly goal?: string;
  readonly plot?: PlotPoint;
}

/** A benchmark module in scripts/bench/ exports `benchmark` of this shape; scripts/bench.ts runs them all. */
export interface Benchmark {
  readonly name: string;
  /** Left out of a plain `npm run bench`; runs with `--only NAME`. */
  readonly onlyWhenNamed?: boolean;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** A named figure: a number with its unit and goal, printed as `value` and recorded in bench/results.json. */
export function figure(f: {
  id: string;
  metric: string;
  amount: number;
  unit: string;
  goal?: string;
  note?: string;
  plot?: PlotPoint;
  /** How to print the amount; default: 1 decimal under 100, none above. */
  format?: (amount: number) => string;
}): BenchRow {
  const text = f.format
    ? f.format(f.amount)
    : `${Math.abs(f.amount) < 100 ? f.amount.toFixed(1) : f.amount.toFixed(0)} ${f.unit}`;
  const { format: _format, ...row } = f;
  return { ...row, value: text };
}
