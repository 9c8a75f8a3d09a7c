import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BenchRow } from "../bench/types.ts";

/** One row of one run, as kept in bench/results.json. */
export interface RecordedRow extends BenchRow {
  /** The benchmark module that produced it. */
  readonly bench: string;
}

/** One `npm run bench`: when, on which build and machine, and every row it printed. */
export interface BenchRun {
  readonly date: string;
  /** The build id /health reports (sha256 over the bundle and its static assets). */
  readonly buildId: string;
  /** The command line, so a figure can be reproduced. */
  readonly command: string;
  readonly machine: {
    readonly cores: number;
    readonly cpu: string;
    readonly node: string;
    readonly load: number[];
  };
  readonly rows: readonly RecordedRow[];
}

export interface BenchResults {
  readonly runs: readonly BenchRun[];
}

export async function readResults(file: string): Promise<BenchResults> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as BenchResults;
    if (!Array.isArray(parsed.runs)) throw new Error(`${file} has no "runs" array`);
    return parsed;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { runs: [] };
    throw error;
  }
}

/** Appends `run` to the results file (never rewriting earlier runs) and returns every run. */
export async function appendRun(file: string, run: BenchRun): Promise<BenchResults> {
  const results = { runs: [...(await readResults(file)).runs, run] };
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(results, null, 2)}\n`);
  await rename(temporary, file);
  return results;
}

/** The figure `id` in each run that has it, oldest first: how one figure moved across builds. */
export function history(results: BenchResults, id: string) {
  return results.runs.flatMap((run) => {
    const row = run.rows.find((r) => r.id === id);
    return row?.amount === undefined ? [] : [{ date: run.date, buildId: run.buildId, amount: row.amount }];
  });
}
