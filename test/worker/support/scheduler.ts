import { env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { JobSpec } from "../../../worker/scheduler/job-input.ts";
import type { JobView } from "../../../worker/scheduler/views.ts";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** A fresh, uniquely named Scheduler object. */
export const newScheduler = () => env.SCHEDULER.get(env.SCHEDULER.idFromName(crypto.randomUUID()));
export type SchedulerStub = ReturnType<typeof newScheduler>;

export const uniqueCounter = () => `c-${crypto.randomUUID()}`;
export const counterValue = (name: string) => env.COUNTER.get(env.COUNTER.idFromName(name)).get();

export const increment = (counter: string, by?: number) => ({
  type: "counter.increment",
  counter,
  ...(by === undefined ? {} : { by }),
});

/** A webhook that always fails to connect (nothing listens on port 1): a retryable failure without a server. */
export const unreachableWebhook = { type: "webhook", url: "http://127.0.0.1:1/hook" };

/** Schedules a job and asserts it was accepted. */
export async function schedule(stub: SchedulerStub, spec: Partial<JobSpec> & Pick<JobSpec, "action">) {
  const result = await stub.schedule({ schedule: { kind: "delay", delayMs: HOUR }, maxAttempts: 5, ...spec });
  if (!result.ok) expect.fail(`schedule refused: ${result.code} ${result.message}`);
  return result.job as JobView;
}

/**
 * Time travel without waiting: makes scheduled jobs due now by moving their next run into the past (the due time
 * of the run, and so its idempotency key, stays). Tests then fire the alarm with runDurableObjectAlarm.
 */
export async function makeDue(stub: SchedulerStub, ids?: readonly string[]) {
  await runInDurableObject(stub, (_instance, state) => {
    const past = Date.now() - 1;
    if (!ids) state.storage.sql.exec("UPDATE jobs SET next_run_at = ? WHERE status = 'scheduled'", past);
    else
      for (const id of ids) state.storage.sql.exec("UPDATE jobs SET next_run_at = ? WHERE id = ?", past, id);
  });
}

export const alarmAt = (stub: SchedulerStub) =>
  runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());

export async function job(stub: SchedulerStub, id: string) {
  const found = await stub.get(id);
  if (!found) expect.fail(`job ${id} not found`);
  return found;
}

/** Polls `check` until it holds, for at most `timeoutMs`: for what the runtime's own alarm does in real time. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) expect.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
