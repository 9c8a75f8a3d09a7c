import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { firstRun, nextOccurrence } from "../../worker/scheduler/timing.ts";
import {
  alarmAt,
  counterValue,
  HOUR,
  increment,
  job,
  MINUTE,
  makeDue,
  newScheduler,
  schedule,
  uniqueCounter,
} from "./support/scheduler.ts";

describe("recurring jobs", () => {
  it("an interval job runs, then is due again everyMs after its previous due time", async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const created = await schedule(stub, {
      schedule: { kind: "every", everyMs: 5 * MINUTE },
      action: increment(counter),
    });
    const firstDue = Date.parse(created.nextRunAt!);
    expect(firstDue - Date.parse(created.createdAt)).toBe(5 * MINUTE);
    for (const n of [1, 2, 3]) {
      await makeDue(stub);
      await runDurableObjectAlarm(stub);
      const next = await job(stub, created.id);
      expect(next).toMatchObject({ status: "scheduled", attempts: 0, schedule: { everyMs: 5 * MINUTE } });
      expect(Date.parse(next.nextRunAt!)).toBe(firstDue + n * 5 * MINUTE);
      expect(await alarmAt(stub)).toBe(firstDue + n * 5 * MINUTE);
    }
    expect(await counterValue(counter)).toBe(3);
    // Each run had its own due time (and so its own idempotency key).
    const dues = (await job(stub, created.id)).runs.map((r) => Date.parse(r.dueAt));
    expect(dues).toEqual([firstDue + 10 * MINUTE, firstDue + 5 * MINUTE, firstDue]);
  });

  it("a cron job runs at the next matching minute (UTC), then at the one after", async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const created = await schedule(stub, {
      schedule: { kind: "cron", cron: "30 * * * *" },
      action: increment(counter),
    });
    const first = new Date(created.nextRunAt!);
    expect(first.getUTCMinutes()).toBe(30);
    expect(first.getUTCSeconds()).toBe(0);
    expect(first.getTime() - Date.now()).toBeLessThanOrEqual(HOUR);
    await makeDue(stub);
    await runDurableObjectAlarm(stub);
    expect(await counterValue(counter)).toBe(1);
    expect(Date.parse((await job(stub, created.id)).nextRunAt!)).toBe(first.getTime() + HOUR);
  });

  it("skips the runs it missed instead of running them in a burst", async () => {
    const stub = newScheduler();
    const counter = uniqueCounter();
    const created = await schedule(stub, {
      schedule: { kind: "every", everyMs: MINUTE },
      action: increment(counter),
    });
    // As if the object had been unreachable for ten and a half minutes past the due time.
    const staleDue = Date.now() - 10.5 * MINUTE;
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE jobs SET due_at = ?, next_run_at = ? WHERE id = ?",
        staleDue,
        staleDue,
        created.id,
      );
    });
    await runDurableObjectAlarm(stub);
    expect(await counterValue(counter)).toBe(1);
    const next = Date.parse((await job(stub, created.id)).nextRunAt!);
    expect(next).toBe(staleDue + 11 * MINUTE);
    expect(next).toBeGreaterThan(Date.now());
  });

  it("a cancelled recurring job has no next run and leaves no alarm", async () => {
    const stub = newScheduler();
    const created = await schedule(stub, {
      schedule: { kind: "every", everyMs: MINUTE },
      action: increment(uniqueCounter()),
    });
    const cancelled = await stub.cancel(created.id);
    expect(cancelled).toMatchObject({ ok: true, job: { status: "cancelled", nextRunAt: null } });
    expect(await alarmAt(stub)).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });
});

describe("timing rules", () => {
  const now = Date.UTC(2030, 0, 1, 12, 0, 0, 500); // a Tuesday

  it.each([
    ["every minute", "* * * * *", Date.UTC(2030, 0, 1, 12, 1)],
    ["every 15 minutes", "*/15 * * * *", Date.UTC(2030, 0, 1, 12, 15)],
    ["9:00 on Mondays", "0 9 * * 1", Date.UTC(2030, 0, 7, 9, 0)],
    ["names", "0 0 1 JAN *", Date.UTC(2031, 0, 1)],
    ["day-of-month or day-of-week (either matches)", "0 0 13 * 5", Date.UTC(2030, 0, 4)],
  ])("cron %s (%s) first runs at the next match in UTC", (_label, cron, expected) => {
    expect(firstRun({ kind: "cron", cron }, now)).toEqual({
      ok: true,
      schedule: { kind: "cron", cron },
      at: expected,
    });
  });

  it.each([
    ["six fields", "0 0 9 * * *", /exactly 5 fields/],
    ["a nickname", "@daily", /exactly 5 fields/],
    ["empty", "  ", /exactly 5 fields/],
    ["minute out of range", "60 * * * *", /not valid/],
    ["letters", "a b c d e", /not valid/],
    ["a non-standard extension (L, last day of the month)", "0 0 L * *", /not valid/],
    ["never matches", "0 0 30 2 *", /never runs/],
    ["first run too far ahead", "0 0 29 2 *", /more than a year ahead/],
  ])("cron %s is refused", (_label, cron, message) => {
    const result = firstRun({ kind: "cron", cron }, now);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(message);
  });

  it("refuses one-off times in the past or more than a year ahead, and resolves delays on its own clock", () => {
    expect(firstRun({ kind: "once", runAt: now - 1 }, now)).toMatchObject({
      ok: false,
      message: /in the past/,
    });
    expect(firstRun({ kind: "once", runAt: now }, now)).toMatchObject({ ok: true, at: now });
    expect(firstRun({ kind: "once", runAt: now + 367 * 24 * HOUR }, now)).toMatchObject({
      ok: false,
      message: /more than a year ahead/,
    });
    expect(firstRun({ kind: "delay", delayMs: 0 }, now)).toEqual({
      ok: true,
      schedule: { kind: "once", runAt: now },
      at: now,
    });
    expect(firstRun({ kind: "every", everyMs: 999 }, now)).toMatchObject({ ok: false });
  });

  it("computes the next run of each kind after a run", () => {
    expect(nextOccurrence({ kind: "once", runAt: now }, now, now + 5)).toBeNull();
    expect(nextOccurrence({ kind: "every", everyMs: 1000 }, now, now + 10)).toBe(now + 1000);
    expect(nextOccurrence({ kind: "every", everyMs: 1000 }, now, now + 2500)).toBe(now + 3000);
    expect(nextOccurrence({ kind: "cron", cron: "0 * * * *" }, Date.UTC(2030, 0, 1, 12), now)).toBe(
      Date.UTC(2030, 0, 1, 13),
    );
  });
});
