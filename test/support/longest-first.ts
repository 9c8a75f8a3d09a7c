import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The node project's files that take longest in a full run (wall seconds measured with `npm test` on two cores:
 * they wait on real alarms, rate-limit windows, child processes and a thousand requests). Started first, they run
 * beside everything else instead of being the last thing the run waits for. Vitest orders by the durations it
 * cached on an earlier run, and by file size without them, as on a fresh clone, which started some of these last.
 * A file missing here only starts later; this list is a schedule, not a test.
 */
const LONGEST = [
  "test/artifact/openapi.properties.test.ts", // 15-20 s: 1,000 generated requests, one after another
  "test/artifact/scheduler.delivery.test.ts", // 30 s: jobs on real alarms, 1,000 due in one second, 20 s ahead
  "test/scripts/promotion.test.ts", // 9-12 s: step-by-step promotions over local servers
  "test/artifact/security.http.test.ts", // 3-11 s: waits out a 10 s rate-limit window
  "test/artifact/chat-room.websocket.test.ts", // 7-13 s: 1,000 sockets in one room
  "test/infra/wrangler-judge.test.ts", // 4-9 s: three wrangler processes
];

/** The files of LONGEST first, in its order; every other file after them, in vitest's order. */
export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = LONGEST.findIndex((file) => spec.moduleId.endsWith(file));
      return index === -1 ? LONGEST.length : index;
    };
    // Array.prototype.sort is stable: files not listed keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
