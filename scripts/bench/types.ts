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

/** One line of the results table. */
export interface BenchRow {
  readonly metric: string;
  readonly value: string;
  readonly note?: string;
}

/** A benchmark module in scripts/bench/ exports `benchmark` of this shape; scripts/bench.ts runs them all. */
export interface Benchmark {
  readonly name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
