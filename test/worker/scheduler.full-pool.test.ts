import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Scheduler } from "../../worker/objects/scheduler.ts";
import { ALARM_CONCURRENCY } from "../../worker/scheduler/limits.ts";
import type { JobView } from "../../worker/scheduler/views.ts";
import {
  alarmAt,
  counterValue,
  increment,
  job,
  newScheduler,
  schedule,
  uniqueCounter,
  waitFor,
} from "./support/scheduler.ts";

/** The budget of one alarm invocation in this file: the real one (30 s) would make the test wait it out. */
const BUDGET_MS = 300;

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Webhooks to http://127.0.0.1:9/hang/ answer 200 only at `until` (epoch ms). The Durable Object runs in this
 * isolate, so a stub of the global fetch stands in for a receiver that hangs (no server, no real 30 s wait). The
 * answer comes from a timer started in the object's own event: a promise resolved from the test's event would not
 * wake the object's.
 */
function hangingReceiver(until: () => number) {
  let held = 0;
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const url = new Request(input as RequestInfo).url;
    if (!url.startsWith("http://127.0.0.1:9/hang/")) return realFetch(input, init);
    held++;
    return new Promise<Response>((resolve) =>
      setTimeout(() => resolve(new Response("late", { status: 200 })), Math.max(0, until() - Date.now())),
    );
  });
  return {
    get held() {
      return held;
    },
  };
}

describe("a pool that stays full past the alarm's budget", () => {
  it("runs the jobs that waited for a slot, and a new job, within about a second of a slot freeing", {
    timeout: 20_000,
  }, async () => {
    let releaseAt = Number.POSITIVE_INFINITY;
    const receiver = hangingReceiver(() => releaseAt);
    const stub = newScheduler();
    await runInDurableObject(stub, (instance: Scheduler) => {
      instance.alarmBudgetMs = BUDGET_MS;
    });
    const counter = uniqueCounter();
    const hooks: JobView[] = [];
    for (let i = 0; i < ALARM_CONCURRENCY; i++) {
      hooks.push(
        await schedule(stub, {
          maxAttempts: 1,
          action: { type: "webhook", url: `http://127.0.0.1:9/hang/${i}`, timeoutMs: 60_000 },
        }),
      );
    }
    const waiting = [
      await schedule(stub, { action: increment(counter) }),
      await schedule(stub, { action: increment(counter) }),
    ];
    // Every job due now, the webhooks first (earliest next run first), and the real alarm armed for now.
    await runInDurableObject(stub, async (_instance, state) => {
      const now = Date.now();
      for (const [i, h] of hooks.entries())
        state.storage.sql.exec("UPDATE jobs SET next_run_at = ? WHERE id = ?", now - 1000 + i, h.id);
      for (const w of waiting)
        state.storage.sql.exec("UPDATE jobs SET next_run_at = ? WHERE id = ?", now, w.id);
      releaseAt = now + 6 * BUDGET_MS;
      await state.storage.setAlarm(now);
    });
    await waitFor(async () => receiver.held === ALARM_CONCURRENCY);
    // Past the budget with every slot still busy: the waiting jobs cannot start, and the alarm is not in the past.
    await new Promise((resolve) => setTimeout(resolve, releaseAt - 2 * BUDGET_MS - Date.now()));
    for (const w of waiting) expect((await job(stub, w.id)).status).toBe("scheduled");
    const armed = await alarmAt(stub);
    expect(armed).not.toBeNull();
    expect(armed!).toBeGreaterThan(Date.now());
    const invocations = (await stub.stats()).alarmInvocations;
    expect(invocations).toBeLessThanOrEqual(3);

    await waitFor(async () => (await counterValue(counter)) === 2, releaseAt - Date.now() + 2000);
    for (const w of waiting) {
      const done = await job(stub, w.id);
      expect(done.status).toBe("completed");
      expect(Date.parse(done.lastRunAt!) - releaseAt).toBeLessThan(1000);
    }
    // The two waiting jobs needed only two slots: the other webhooks' attempts may still be recording their ends.
    await waitFor(
      async () =>
        (await Promise.all(hooks.map((h) => job(stub, h.id)))).every((j) => j.status === "completed"),
      5000,
    );

    // Afterwards a job due now still runs at once: nothing was left wedged.
    const later = uniqueCounter();
    const fresh = await schedule(stub, { schedule: { kind: "delay", delayMs: 0 }, action: increment(later) });
    await waitFor(async () => (await counterValue(later)) === 1, 1500);
    expect((await job(stub, fresh.id)).status).toBe("completed");
    expect(await alarmAt(stub)).toBeNull();
  });
});
