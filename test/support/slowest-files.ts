import path from "node:path";
import type { Reporter, TestModule } from "vitest/node";

/** How many files the summary lists. */
const SHOWN = 10;

/**
 * A reporter beside the default one: at the end of a run, the ten files that took longest (import, setup and tests,
 * in wall seconds), so a file that grows slow shows in every run's output instead of only in the total.
 */
export default class SlowestFiles implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const timed = testModules
      .map((module) => {
        const d = module.diagnostic();
        return {
          file: path.relative(process.cwd(), module.moduleId),
          project: module.project.name,
          ms: d.collectDuration + d.setupDuration + d.duration,
        };
      })
      .sort((a, b) => b.ms - a.ms)
      .slice(0, SHOWN);
    if (timed.length === 0) return;
    const lines = timed.map(
      ({ file, project, ms }) => `  ${(ms / 1000).toFixed(1).padStart(5)} s  ${file} (${project})`,
    );
    process.stdout.write(`\nSlowest ${timed.length} files (import + setup + tests):\n${lines.join("\n")}\n`);
  }
}
