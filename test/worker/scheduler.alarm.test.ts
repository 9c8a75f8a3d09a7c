import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Scheduler } from "../../worker/objects/scheduler.ts";
import {
  alarmAt,
  counterValue,
  HOUR,
  increment,
  job,
  makeDue,
  newScheduler,
  schedule,
  uniqueCounter,
  unreachableWebhook,
  waitFor,
} from "./support/scheduler.ts";

describe("one alarm at the earliest due job", () => {
  it("arms the alarm at a new job's run time and deletes it when no job remains", async () => {
    const stub = newScheduler();
    const runAt = Date.now() + HOUR;
    const created = await schedule(stub, {
      schedule: { kind: "once", runAt },
      action: increment(uniqueCounter()),
    });
    expect(created).toMatchObject({
      status: "scheduled",
      nextRunAt: new Date(runAt).toISOString(),
      attempts: 0,
    });
    expect(await alarmAt(stub)).toBe(runAt);
    await stub.cancel(created.id);
    expect(await alarmAt(stub)).toBeNull();
  });

  it("runs a due job when the alarm fires, completes it and deletes the alarm", async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const created = await schedule(stub, { action: increment(counter, 7) });
    await makeDue(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await counterValue(counter)).toBe(7);
    const done = await job(stub, created.id);
    expect(done).toMatchObject({ status: "completed", attempts: 1, nextRunAt: null, lastError: null });
    expect(done.runs).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: "succeeded",
        error: null,
        finishedAt: expect.any(String),
      }),
    ]);
    expect(await alarmAt(stub)).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("re-arms to the earliest remaining job after a run, a cancel and an earlier new job", async () => {
    const stub = newScheduler();
    const now = Date.now();
    const jobs = [];
    for (const hours of [1, 2, 3]) {
      jobs.push(
        await schedule(stub, {
          schedule: { kind: "once", runAt: now + hours * HOUR },
          action: increment(uniqueCounter()),
        }),
      );
    }
    expect(await alarmAt(stub)).toBe(now + HOUR);
    await makeDue(stub, [jobs[0]!.id]);
    await runDurableObjectAlarm(stub);
    expect((await job(stub, jobs[0]!.id)).status).toBe("completed");
    expect(await alarmAt(stub)).toBe(now + 2 * HOUR);
    await stub.cancel(jobs[1]!.id);
    expect(await alarmAt(stub)).toBe(now + 3 * HOUR);
    await schedule(stub, {
      schedule: { kind: "once", runAt: now + HOUR / 2 },
      action: increment(uniqueCounter()),
    });
    expect(await alarmAt(stub)).toBe(now + HOUR / 2);
  });

  it("runs every due job in one invocation and leaves the others scheduled", async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const due = [];
    for (let i = 0; i < 5; i++) due.push(await schedule(stub, { action: increment(counter) }));
    const later = await schedule(stub, {
      schedule: { kind: "delay", delayMs: 2 * HOUR },
      action: increment(counter),
    });
    await makeDue(
      stub,
      due.map((j) => j.id),
    );
    await runDurableObjectAlarm(stub);
    expect(await counterValue(counter)).toBe(5);
    for (const j of due) expect((await job(stub, j.id)).status).toBe("completed");
    expect((await job(stub, later.id)).status).toBe("scheduled");
    expect(await alarmAt(stub)).toBe(Date.parse(later.nextRunAt!));
    expect((await stub.stats()).alarmInvocations).toBe(1);
  });

  it("runs a job once per due time: another alarm invocation does not run it again", async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const created = await schedule(stub, { action: increment(counter) });
    await makeDue(stub);
    await runDurableObjectAlarm(stub);
    await runInDurableObject(stub, (instance: Scheduler) => instance.alarm());
    expect(await counterValue(counter)).toBe(1);
    expect((await job(stub, created.id)).attempts).toBe(1);
    expect((await stub.stats()).attempts).toBe(1);
  });
});

describe("failures never lose jobs", () => {
  it("an action that throws does not stop or lose the other due jobs", async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const before = await schedule(stub, { action: increment(counter) });
    const failing = await schedule(stub, { action: unreachableWebhook });
    const after = await schedule(stub, { action: increment(counter, 10) });
    await makeDue(stub);
    const started = Date.now();
    await runDurableObjectAlarm(stub);
    expect(await counterValue(counter)).toBe(11);
    expect((await job(stub, before.id)).status).toBe("completed");
    expect((await job(stub, after.id)).status).toBe("completed");
    const retried = await job(stub, failing.id);
    expect(retried).toMatchObject({
      status: "scheduled",
      attempts: 1,
      lastError: expect.stringContaining("127.0.0.1:1"),
    });
    expect(Date.parse(retried.nextRunAt!)).toBeGreaterThan(started);
    expect(await alarmAt(stub)).toBe(Date.parse(retried.nextRunAt!));
  });

  it("an unexpected storage error propagates, keeps every job due, and the runtime's retry runs it", async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const created = await schedule(stub, { action: increment(counter) });
    await makeDue(stub);
    const rows = () =>
      runInDurableObject(stub, (_instance, state) =>
        state.storage.sql.exec("SELECT status, attempts, next_run_at FROM jobs").toArray(),
      );
    const [before] = await rows();
    // Break the table an attempt writes first: the alarm must fail without changing the job. Broken and mended
    // within one call, so the runtime's own retry of the alarm only ever meets working storage.
    const after = await runInDurableObject(stub, async (instance: Scheduler, state) => {
      state.storage.sql.exec("ALTER TABLE runs RENAME TO runs_away");
      try {
        await expect(instance.alarm()).rejects.toThrow(/no such table: runs/);
        return state.storage.sql.exec("SELECT status, attempts, next_run_at FROM jobs").toArray();
      } finally {
        state.storage.sql.exec("ALTER TABLE runs_away RENAME TO runs");
      }
    });
    expect(after).toEqual([before]);
    expect(await counterValue(counter)).toBe(0);
    // The runtime retries the failed alarm (it was re-armed at the job's due time): the retry runs the job.
    await waitFor(async () => (await job(stub, created.id)).status === "completed");
    expect(await job(stub, created.id)).toMatchObject({ status: "completed", attempts: 1 });
    expect(await counterValue(counter)).toBe(1);
  });
});
