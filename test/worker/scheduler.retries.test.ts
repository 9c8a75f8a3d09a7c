import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_INTERRUPTIONS, RETRY_BASE_MS, RETRY_CAP_MS } from "../../worker/scheduler/limits.ts";
import { retryDelayMs } from "../../worker/scheduler/timing.ts";
import {
  alarmAt,
  counterValue,
  increment,
  job,
  MINUTE,
  makeDue,
  newScheduler,
  type SchedulerStub,
  schedule,
  uniqueCounter,
  unreachableWebhook,
} from "./support/scheduler.ts";

describe("retries", () => {
  it("retries a failing action with exponential backoff, then fails the job with its last error and keeps it", async () => {
    const stub = newScheduler();
    const created = await schedule(stub, { action: unreachableWebhook, maxAttempts: 3 });
    const dueAt = created.nextRunAt;
    for (const attempt of [1, 2]) {
      await makeDue(stub);
      const before = Date.now();
      await runDurableObjectAlarm(stub);
      const after = Date.now();
      const retrying = await job(stub, created.id);
      expect(retrying).toMatchObject({
        status: "scheduled",
        attempts: attempt,
        lastError: expect.any(String),
      });
      // Backoff doubles per attempt and is jittered into the upper half of its window.
      const window = RETRY_BASE_MS * 2 ** (attempt - 1);
      const retryAt = Date.parse(retrying.nextRunAt!);
      expect(retryAt).toBeGreaterThanOrEqual(before + window / 2);
      expect(retryAt).toBeLessThanOrEqual(after + window);
      expect(await alarmAt(stub)).toBe(retryAt);
    }
    await makeDue(stub);
    await runDurableObjectAlarm(stub);
    const failed = await job(stub, created.id);
    expect(failed).toMatchObject({
      status: "failed",
      attempts: 3,
      nextRunAt: null,
      // What happened, in words (not the runtime's opaque error); the URL without its path (public read).
      lastError: expect.stringMatching(
        /^POST http:\/\/127\.0\.0\.1:1\/\[redacted\] failed: the connection failed before a response/,
      ),
    });
    expect(failed.action.url).toBe("http://127.0.0.1:1/[redacted]");
    expect((await stub.get(created.id, { admin: true }))?.action.url).toBe(unreachableWebhook.url);
    // Every attempt of the run is listed, newest first, all for the same due time.
    expect(failed.runs.map((r) => [r.attempt, r.outcome, r.dueAt])).toEqual([
      [3, "failed", dueAt],
      [2, "failed", dueAt],
      [1, "failed", dueAt],
    ]);
    expect(await alarmAt(stub)).toBeNull();
    // Kept: still listed as failed.
    expect((await stub.list({ status: "failed", limit: 10 })).jobs.map((j) => j.id)).toEqual([created.id]);
  });

  it("does not retry a failure retrying cannot fix (a counter at its limit)", async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const counterStub = env.COUNTER.get(env.COUNTER.idFromName(counter));
    await counterStub.increment(1);
    await runInDurableObject(counterStub, (_instance, state) => {
      state.storage.sql.exec("UPDATE counter SET value = ?", Number.MAX_SAFE_INTEGER);
    });
    const created = await schedule(stub, { action: increment(counter), maxAttempts: 5 });
    await makeDue(stub);
    await runDurableObjectAlarm(stub);
    expect(await job(stub, created.id)).toMatchObject({
      status: "failed",
      attempts: 1,
      lastError: expect.stringContaining("counter_overflow"),
    });
    expect(await counterValue(counter)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("moves a recurring job on to its next run when a run fails for good", async () => {
    const stub = newScheduler();
    const created = await schedule(stub, {
      schedule: { kind: "every", everyMs: 10 * MINUTE },
      action: unreachableWebhook,
      maxAttempts: 1,
    });
    const firstDue = Date.parse(created.nextRunAt!);
    await makeDue(stub);
    await runDurableObjectAlarm(stub);
    expect(await job(stub, created.id)).toMatchObject({
      status: "scheduled",
      attempts: 0,
      nextRunAt: new Date(firstDue + 10 * MINUTE).toISOString(),
      lastError: expect.stringContaining("127.0.0.1:1"),
    });
  });

  /** The state an attempt leaves when the object dies during it: counted, run open, lease expired. */
  const interruptedAttempt = (stub: SchedulerStub, id: string, attempts: number, interruptions = 0) =>
    runInDurableObject(stub, (_instance, state) => {
      const { seq, due_at } = state.storage.sql
        .exec<{ seq: number; due_at: number }>("SELECT seq, due_at FROM jobs WHERE id = ?", id)
        .one();
      state.storage.sql.exec(
        "UPDATE jobs SET attempts = ?, interruptions = ?, next_run_at = ? WHERE seq = ?",
        attempts,
        interruptions,
        Date.now() - 1,
        seq,
      );
      state.storage.sql.exec(
        "INSERT INTO runs (job_seq, attempt, due_at, started_at, outcome) VALUES (?, ?, ?, ?, 'running')",
        seq,
        attempts,
        due_at,
        Date.now() - 100_000,
      );
    });

  it("an attempt cut short by a restart does not use up the last attempt (maxAttempts 1): it runs again after its lease", async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const created = await schedule(stub, { action: increment(counter), maxAttempts: 1 });
    await interruptedAttempt(stub, created.id, 1);
    await runDurableObjectAlarm(stub);
    const done = await job(stub, created.id);
    expect(done).toMatchObject({ status: "completed", attempts: 1, lastError: null });
    expect(done.runs.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, "succeeded"],
      [1, "interrupted"],
    ]);
    expect(await counterValue(counter)).toBe(1);
  });

  it(`fails a run interrupted by restarts more than ${MAX_INTERRUPTIONS} times in a row, without a further attempt`, async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const created = await schedule(stub, { action: increment(counter), maxAttempts: 2 });
    await interruptedAttempt(stub, created.id, 1, MAX_INTERRUPTIONS);
    await runDurableObjectAlarm(stub);
    const failed = await job(stub, created.id);
    expect(failed).toMatchObject({
      status: "failed",
      lastError: expect.stringContaining(`interrupted by a restart ${MAX_INTERRUPTIONS + 1} times in a row`),
    });
    expect(failed.runs).toEqual([expect.objectContaining({ attempt: 1, outcome: "interrupted" })]);
    expect(await counterValue(counter)).toBe(0);
  });
});

describe("retryDelayMs", () => {
  it("doubles per attempt, stays in the upper half of its window and is capped", () => {
    for (const [attempt, window] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [6, 32_000],
    ] as const) {
      expect(retryDelayMs(attempt, RETRY_BASE_MS, RETRY_CAP_MS, () => 0)).toBe(window / 2);
      expect(retryDelayMs(attempt, RETRY_BASE_MS, RETRY_CAP_MS, () => 0.999_999)).toBe(window);
    }
    expect(retryDelayMs(30, RETRY_BASE_MS, RETRY_CAP_MS, () => 1)).toBe(RETRY_CAP_MS);
    const samples = Array.from({ length: 50 }, () => retryDelayMs(4, RETRY_BASE_MS, RETRY_CAP_MS));
    expect(new Set(samples).size).toBeGreaterThan(1);
  });
});
