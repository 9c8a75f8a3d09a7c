import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The in-runtime files (the worker project's, test/worker/). Each pool slot that runs one starts a workerd and loads
 * the worker's module graph into it, a few CPU seconds each. Queued right behind the two longest files, they start
 * while two slots are busy with those, so only the other two slots start a workerd for them and run them all before
 * going on with the node files. Queued last, as vitest put them, every slot freed at the end started its own, and the
 * run ended on those starts with the cores partly idle (timed runs of both orders: CHANGELOG.md).
 */
const IN_RUNTIME = { project: "worker" } as const;

/**
 * The node project's files that take longest in a full run (wall seconds measured with `npm test` on two cores:
 * they wait on real alarms, rate-limit windows, child processes and a thousand requests), and the in-runtime files.
 * Started first, they run beside everything else instead of being the last thing the run waits for. Vitest orders by
 * the durations it cached on an earlier run, and by file size without them, as on a fresh clone, which started some
 * of these last. A file missing here only starts later; this list is a schedule, not a test.
 */
const SCHEDULE = [
  "test/artifact/scheduler.delivery.test.ts", // 30 s: jobs on real alarms, 1,000 due in one second, 20 s ahead
  "test/artifact/openapi.properties.test.ts", // 13-20 s: 1,000 generated requests, one after another
  IN_RUNTIME,
  // Longest first (LPT) from here: `npx vitest run --reporter=json` on two cores, each file's wall seconds. The
  // files that spawn processes came last in vitest's order and the run waited on them with the cores half idle.
  "test/scripts/promotion.test.ts", // 9-13 s: step-by-step promotions over local servers
  "test/scripts/pulumi-errors.test.ts", // 8-13 s: the scripts as processes, with a fake Pulumi CLI
  "test/scripts/rollback.test.ts", // 11 s: rollbacks over local servers
  "test/scripts/smoke.test.ts", // 9 s: three platforms, one without its page
  "test/artifact/chat-room.websocket.test.ts", // 7-13 s: 1,000 sockets in one room
  "test/infra/wrangler-judge.test.ts", // 4-9 s: three wrangler processes
  "test/artifact/security.http.test.ts", // 3-11 s: waits out a 10 s rate-limit window
  "test/scripts/cli-flags.test.ts", // 6 s: the scripts' usage, probed and spawned
  "test/artifact/counters.http.test.ts", // 6 s: 400 concurrent increments, a restart
  "test/scripts/dev-env.test.ts", // 6 s: two `npm run dev` processes
  "test/artifact/security.second-pass.test.ts", // 6 s: rate limits, aborted requests
];

const matches = (spec: TestSpecification, entry: (typeof SCHEDULE)[number]) =>
  typeof entry === "string" ? spec.moduleId.endsWith(entry) : spec.project.name === entry.project;

/** The files of SCHEDULE first, in its order; every other file after them, in vitest's order. */
export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = SCHEDULE.findIndex((entry) => matches(spec, entry));
      return index === -1 ? SCHEDULE.length : index;
    };
    // Array.prototype.sort is stable: files not listed keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
