import type { SmokeEvent, SmokeReport } from "./smoke.ts";

/** One line per check as it finishes: mark, name, time, what was seen. */
export function printSmokeProgress(event: SmokeEvent): void {
  if (event.kind === "start") return;
  const { result } = event;
  const mark = result.ok ? "ok  " : "FAIL";
  console.log(`  ${mark} ${result.check.padEnd(20)} ${`${result.ms} ms`.padStart(8)}  ${result.detail}`);
}

export function printSmokeSummary(report: SmokeReport): void {
  const failed = report.results.filter((r) => !r.ok);
  const total = report.results.reduce((sum, r) => sum + r.ms, 0);
  console.log(
    report.ok
      ? `smoke passed: ${report.results.length} checks in ${total} ms against ${report.url}`
      : `smoke FAILED: ${failed.map((r) => r.check).join(", ")} against ${report.url}`,
  );
}
