import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import {
  FINISHED_JOBS_KEPT,
  MAX_ACTION_BYTES,
  MAX_PENDING_JOBS,
  RUNS_KEPT_PER_JOB,
} from "../../worker/scheduler/limits.ts";
import { HOUR, increment, job, makeDue, newScheduler, schedule, uniqueCounter } from "./support/scheduler.ts";

const app = createApp();
const admin = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
const post = (scheduler: string, body: unknown) =>
  app.request(
    `/api/schedulers/${scheduler}/jobs`,
    { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...admin } },
    env,
  );

describe("limits", () => {
  it(`refuses the job after ${MAX_PENDING_JOBS} pending ones with 429 JSON, and accepts again once one is cancelled`, async () => {
    const name = `limits-${crypto.randomUUID()}`;
    const stub = env.SCHEDULER.get(env.SCHEDULER.idFromName(name));
    const first = await schedule(stub, { action: increment(uniqueCounter()) });
    // Fill up to the limit directly in the table: ten thousand requests would only make this test slow.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO jobs (id, status, kind, action, max_attempts, due_at, next_run_at, created_at, updated_at)
         SELECT 'bulk-' || i, 'scheduled', 'once', '{"type":"counter.increment","counter":"x","by":1}', 5, ?, ?, ?, ?
         FROM n`,
        MAX_PENDING_JOBS - 1,
        Date.now() + HOUR,
        Date.now() + HOUR,
        Date.now(),
        Date.now(),
      );
    });
    const body = { delayMs: 60_000, action: increment("c") };
    const refused = await post(name, body);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: { code: "too_many_jobs", message: expect.any(String) } });
    expect((await stub.stats()).jobs.scheduled).toBe(MAX_PENDING_JOBS);
    await app.request(`/api/schedulers/${name}/jobs/${first.id}`, { method: "DELETE", headers: admin }, env);
    expect((await post(name, body)).status).toBe(201);
    expect((await stub.stats()).jobs.scheduled).toBe(MAX_PENDING_JOBS);
  });

  it(`refuses an action over ${MAX_ACTION_BYTES} bytes (reachable over RPC; HTTP bodies stop at 64 KiB first)`, async () => {
    const stub = newScheduler();
    const action = { type: "webhook", url: "https://example.com/", body: "x".repeat(MAX_ACTION_BYTES) };
    const result = await stub.schedule({
      schedule: { kind: "delay", delayMs: HOUR },
      action,
      maxAttempts: 5,
    });
    expect(result).toMatchObject({ ok: false, code: "payload_too_large" });
    expect((await stub.stats()).jobs.scheduled).toBe(0);
    const fits = { ...action, body: "x".repeat(MAX_ACTION_BYTES - 200) };
    expect(
      await stub.schedule({ schedule: { kind: "delay", delayMs: HOUR }, action: fits, maxAttempts: 5 }),
    ).toMatchObject({
      ok: true,
    });
  });

  it("validates actions and maxAttempts sent over RPC as strictly as over HTTP", async () => {
    const stub = newScheduler();
    const spec = { schedule: { kind: "delay", delayMs: HOUR }, maxAttempts: 5 } as const;
    expect(await stub.schedule({ ...spec, action: { type: "nope" } })).toMatchObject({
      ok: false,
      code: "invalid_action",
    });
    expect(
      await stub.schedule({ ...spec, action: { type: "webhook", url: "file:///etc/passwd" } }),
    ).toMatchObject({
      ok: false,
      code: "invalid_action",
      message: expect.stringContaining("http or https"),
    });
    expect(await stub.schedule({ ...spec, maxAttempts: 0, action: increment("c") })).toMatchObject({
      ok: false,
      code: "invalid_schedule",
    });
    expect((await stub.stats()).jobs.scheduled).toBe(0);
  });

  it(`keeps the ${RUNS_KEPT_PER_JOB} most recent runs of a job`, async () => {
    const stub = newScheduler();
    const created = await schedule(stub, {
      schedule: { kind: "every", everyMs: 1000 },
      action: increment(uniqueCounter()),
    });
    for (let i = 0; i < RUNS_KEPT_PER_JOB + 3; i++) {
      await makeDue(stub);
      await runDurableObjectAlarm(stub);
    }
    const runs = (await job(stub, created.id)).runs;
    expect(runs).toHaveLength(RUNS_KEPT_PER_JOB);
    expect(runs.every((r) => r.outcome === "succeeded")).toBe(true);
    expect((await stub.stats()).attempts).toBe(RUNS_KEPT_PER_JOB + 3);
  });

  it(`keeps the ${FINISHED_JOBS_KEPT} most recently finished jobs and drops older ones`, async () => {
    const stub = newScheduler();
    const oldest = Date.now() - 10 * HOUR;
    const counter = uniqueCounter();
    // The first job creates the tables (a scheduler writes nothing before it).
    const fresh = await schedule(stub, { action: increment(counter) });
    // Finished jobs, oldest first, inserted directly: producing ten thousand real runs would only be slow.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO jobs (id, status, kind, action, max_attempts, due_at, attempts, created_at, updated_at)
         SELECT 'old-' || i, 'completed', 'once', '{"type":"counter.increment","counter":"x","by":1}', 5, ?, 1, ?, ? + i
         FROM n`,
        FINISHED_JOBS_KEPT + 5,
        oldest,
        oldest,
        oldest,
      );
    });
    await makeDue(stub);
    await runDurableObjectAlarm(stub);
    const stats = await stub.stats();
    expect(stats.jobs).toEqual({ scheduled: 0, completed: FINISHED_JOBS_KEPT, failed: 0, cancelled: 0 });
    expect(await stub.get("old-1")).toBeNull();
    expect(await stub.get("old-6")).toBeNull();
    expect(await stub.get("old-7")).not.toBeNull();
    expect((await job(stub, fresh.id)).runs).toHaveLength(1);
  });

  it("ends a list page early when its jobs carry large actions, and the cursor reaches them all", async () => {
    const stub = newScheduler();
    const big = { type: "webhook", url: "https://example.com/", body: "x".repeat(60_000) };
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await schedule(stub, { action: big })).id);
    const first = await stub.list({ limit: 1000 });
    expect(first.jobs.length).toBeGreaterThan(0);
    expect(first.jobs.length).toBeLessThan(40);
    expect(first.nextCursor).not.toBeNull();
    const seen = first.jobs.map((j) => j.id);
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await stub.list({ limit: 1000, cursor });
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(ids);
  });
});
