import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callAsAdmin as call,
  call as callPublic,
  startBuiltPlatform,
  uniqueName,
  useBuiltPlatform,
} from "../support/platform.ts";
import { eventually, sleep } from "../support/wait.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";

// Jobs really run on the object's alarm here: times are near-future and results are polled with a bound.
let base: URL;
let receiver: WebhookReceiver;
useBuiltPlatform((platform) => {
  base = platform.url;
});
beforeAll(async () => {
  // /flaky answers 503 twice, then 200; /gone 404; /slow never answers.
  receiver = await startWebhookReceiver((request, previous) => {
    if (request.path.startsWith("/flaky")) return previous < 2 ? 503 : 200;
    if (request.path.startsWith("/gone")) return 404;
    if (request.path.startsWith("/slow")) return "hang";
    return 200;
  });
});
afterAll(async () => {
  await receiver?.close();
});

const count = async (url: URL, counter: string) =>
  (await call(url, `/api/counters/${counter}`)).body.count as number;
const getJob = async (url: URL, scheduler: string, id: string) =>
  (await call(url, `/api/schedulers/${scheduler}/jobs/${id}`)).body;
const finished = (job: any) => job.status !== "scheduled";

async function post(url: URL, scheduler: string, json: unknown) {
  const res = await call(url, `/api/schedulers/${scheduler}/jobs`, { method: "POST", json });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; status: string; nextRunAt: string };
}

describe.concurrent("jobs run on time over the real alarm", () => {
  it("a one-off job increments a counter at its runAt, not before, and completes", async () => {
    const scheduler = uniqueName("once");
    const counter = uniqueName("c");
    const runAt = Date.now() + 1500;
    const created = await post(base, scheduler, {
      runAt: new Date(runAt).toISOString(),
      action: { type: "counter.increment", counter, by: 3 },
    });
    expect(created).toMatchObject({ status: "scheduled", nextRunAt: new Date(runAt).toISOString() });
    expect(await count(base, counter)).toBe(0);
    const job = await eventually(() => getJob(base, scheduler, created.id), finished);
    expect(job).toMatchObject({ status: "completed", attempts: 1, nextRunAt: null, lastError: null });
    expect(Date.parse(job.lastRunAt)).toBeGreaterThanOrEqual(runAt);
    expect(await count(base, counter)).toBe(3);
  });

  it("a webhook answered 503 twice is retried with the same Idempotency-Key until it succeeds", async () => {
    const scheduler = uniqueName("hook");
    const hook = `/flaky/${crypto.randomUUID()}`;
    const created = await post(base, scheduler, {
      delayMs: 0,
      action: {
        type: "webhook",
        url: new URL(hook, receiver.url).href,
        method: "PUT",
        headers: { "X-Trace": "abc" },
        body: { hello: "world" },
      },
    });
    const job = await eventually(() => getJob(base, scheduler, created.id), finished);
    expect(job).toMatchObject({
      status: "completed",
      attempts: 3,
      lastError: expect.stringContaining("503"),
    });
    expect(job.runs.map((r: { outcome: string }) => r.outcome)).toEqual(["succeeded", "failed", "failed"]);
    const calls = receiver.on(hook);
    expect(calls).toHaveLength(3);
    const keys = new Set(calls.map((c) => c.headers["idempotency-key"]));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(new RegExp(`^${created.id}:\\d+$`));
    for (const c of calls) {
      expect(c).toMatchObject({ method: "PUT", body: '{"hello":"world"}' });
      expect(c.headers).toMatchObject({ "content-type": "application/json", "x-trace": "abc" });
    }
    // Backed off: each retry waited longer than the one before (1 s then 2 s windows, jittered into upper halves).
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(400);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(900);
  });

  it("a webhook answered 404 fails at once; one that times out fails after its attempts", async () => {
    const scheduler = uniqueName("hook-fail");
    const gone = await post(base, scheduler, {
      delayMs: 0,
      action: { type: "webhook", url: new URL(`/gone/${crypto.randomUUID()}`, receiver.url).href },
    });
    const slow = await post(base, scheduler, {
      delayMs: 0,
      maxAttempts: 1,
      action: {
        type: "webhook",
        url: new URL(`/slow/${crypto.randomUUID()}`, receiver.url).href,
        timeoutMs: 300,
      },
    });
    expect(await eventually(() => getJob(base, scheduler, gone.id), finished)).toMatchObject({
      status: "failed",
      attempts: 1,
      lastError: expect.stringMatching(/answered 404/),
    });
    expect(await eventually(() => getJob(base, scheduler, slow.id), finished)).toMatchObject({
      status: "failed",
      attempts: 1,
      lastError: expect.stringMatching(/timed out after 300 ms/),
    });
  });

  it("a job due while other jobs of its scheduler hang still runs: it does not wait for them", async () => {
    const scheduler = uniqueName("busy");
    const counter = uniqueName("c");
    const tag = crypto.randomUUID();
    // Three webhooks whose receiver never answers (each holds its attempt for 20 s), then a counter job.
    const hanging = await Promise.all(
      Array.from({ length: 3 }, () =>
        post(base, scheduler, {
          delayMs: 0,
          maxAttempts: 1,
          action: {
            type: "webhook",
            url: new URL(`/slow/${tag}/${crypto.randomUUID()}`, receiver.url).href,
            timeoutMs: 20_000,
          },
        }),
      ),
    );
    // Each of them is in flight: the receiver holds its request.
    await eventually(
      async () => receiver.requests.filter((r) => r.path.startsWith(`/slow/${tag}/`)).length,
      (n) => n >= 3,
    );
    const quick = await post(base, scheduler, {
      delayMs: 500,
      action: { type: "counter.increment", counter },
    });
    const done = await eventually(() => getJob(base, scheduler, quick.id), finished);
    expect(done).toMatchObject({ status: "completed", attempts: 1 });
    // The hanging attempts were still in flight when it ran: not one of them has an outcome yet.
    for (const job of hanging) {
      expect(await getJob(base, scheduler, job.id)).toMatchObject({ status: "scheduled", lastError: null });
    }
  });

  it("job reads without the admin token show a webhook's URL without its path and query, in errors too", async () => {
    const scheduler = uniqueName("secret");
    const secretPath = `/gone/services/T0/B0/SECRET-${crypto.randomUUID()}?api_key=sk_live_X`;
    const url = new URL(secretPath, receiver.url).href;
    const created = await post(base, scheduler, { delayMs: 0, action: { type: "webhook", url } });
    expect(created).toMatchObject({ action: { url } });
    const failed = await eventually(() => getJob(base, scheduler, created.id), finished);
    expect(failed).toMatchObject({ status: "failed", action: { url } });
    const reads = [
      (await callPublic(base, `/api/schedulers/${scheduler}/jobs/${created.id}`)).body,
      (await callPublic(base, `/api/schedulers/${scheduler}/jobs`)).body.jobs[0],
    ];
    for (const job of reads) {
      expect(job.action.url).toBe(`${receiver.url.origin}/[redacted]`);
      expect(job.lastError).toMatch(/answered 404/);
      expect(JSON.stringify(job)).not.toMatch(/SECRET|sk_live|services/);
    }
    expect(JSON.stringify(failed.runs)).not.toMatch(/SECRET|sk_live/);
    // A wrong token is refused rather than answered with the public view.
    const wrong = await callPublic(base, `/api/schedulers/${scheduler}/jobs/${created.id}`, {
      headers: { authorization: "Bearer wrong" },
    });
    expect(wrong.status).toBe(401);
  });

  it("a recurring job fires repeatedly and stops when cancelled", async () => {
    const scheduler = uniqueName("every");
    const counter = uniqueName("c");
    const created = await post(base, scheduler, {
      everyMs: 1000,
      action: { type: "counter.increment", counter },
    });
    await eventually(
      () => count(base, counter),
      (n) => n >= 3,
    );
    const cancelled = await call(base, `/api/schedulers/${scheduler}/jobs/${created.id}`, {
      method: "DELETE",
    });
    expect(cancelled).toMatchObject({
      status: 200,
      body: { id: created.id, status: "cancelled", nextRunAt: null },
    });
    await sleep(300); // a run already in flight when the cancel arrived may still land
    const atCancel = await count(base, counter);
    await sleep(2500); // more than two periods
    expect(await count(base, counter)).toBe(atCancel);
    const stats = (await call(base, `/api/schedulers/${scheduler}`)).body;
    expect(stats).toMatchObject({ jobs: { scheduled: 0, cancelled: 1 }, nextAlarmAt: null });
  });

  it("1,000 jobs due within the same second all run exactly once", { timeout: 240_000 }, async () => {
    // All 1,000 must be stored before they fall due. Storing them takes about 3.5 s on an idle machine (npm run
    // bench), more than 8 s beside the rest of `npm test` on two cores, and more than 30 s was seen at a load
    // average of 19: start with a lead that `npm test` keeps and, if the machine was too slow for it (a job refused
    // as "in the past"), start over in a new scheduler with a longer one. Starting over costs more than waiting: the
    // file runs among the first, beside others, so the wait holds up nothing.
    let scheduler = "";
    let counter = "";
    for (const leadMs of [20_000, 90_000]) {
      scheduler = uniqueName("thousand");
      counter = uniqueName("c");
      const due = Date.now() + leadMs;
      let late = false;
      for (let batch = 0; batch < 10 && !late; batch++) {
        const statuses = await Promise.all(
          Array.from({ length: 100 }, async (_, i) => {
            const res = await call(base, `/api/schedulers/${scheduler}/jobs`, {
              method: "POST",
              json: { runAt: due + batch * 100 + i, action: { type: "counter.increment", counter } },
            });
            if (res.status !== 201 && !/in the past/.test(res.body?.error?.message ?? "")) {
              expect.fail(`unexpected answer ${res.status} ${JSON.stringify(res.body)}`);
            }
            return res.status;
          }),
        );
        late = statuses.some((status) => status !== 201);
      }
      if (!late) break;
      if (leadMs === 90_000) expect.fail("could not store 1,000 jobs within 90 s");
    }
    const stats = await eventually(
      async () => (await call(base, `/api/schedulers/${scheduler}`)).body,
      (s) => s.jobs.scheduled === 0,
      { timeoutMs: 45_000, intervalMs: 250 },
    );
    expect(stats).toMatchObject({ jobs: { scheduled: 0, completed: 1000, failed: 0 }, attempts: 1000 });
    expect(await count(base, counter)).toBe(1000);
    const list = (await call(base, `/api/schedulers/${scheduler}/jobs?status=completed&limit=1000`)).body;
    expect(list.jobs).toHaveLength(1000);
    expect(
      list.jobs.every(
        (j: { attempts: number; lastRunAt: string; schedule: { runAt: string } }) =>
          j.attempts === 1 && j.lastRunAt >= j.schedule.runAt,
      ),
    ).toBe(true);
  });
});

describe("persistence", () => {
  it("a job that falls due while Miniflare is stopped runs once after the restart", {
    timeout: 60_000,
  }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "scheduler-state-"));
    try {
      const scheduler = uniqueName("persist");
      const counter = uniqueName("c");
      const first = await startBuiltPlatform({ persistTo: dir });
      const runAt = Date.now() + 1500;
      const created = await post(first.url, scheduler, {
        runAt,
        action: { type: "counter.increment", counter },
      });
      await first.dispose();
      await sleep(Math.max(0, runAt + 500 - Date.now()));
      const second = await startBuiltPlatform({ persistTo: dir });
      try {
        const job = await eventually(() => getJob(second.url, scheduler, created.id), finished);
        expect(job).toMatchObject({ status: "completed", attempts: 1 });
        expect(Date.parse(job.lastRunAt)).toBeGreaterThan(runAt);
        await sleep(500);
        expect(await count(second.url, counter)).toBe(1);
        expect((await call(second.url, `/api/schedulers/${scheduler}`)).body).toMatchObject({
          jobs: { completed: 1, scheduled: 0 },
          attempts: 1,
          nextAlarmAt: null,
        });
      } finally {
        await second.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
