import http from "node:http";
import type { AddressInfo } from "node:net";
import { apiClient } from "../lib/api-client.ts";
import { startLocalPlatform } from "../lib/local-platform.ts";
import { percentile } from "./load.ts";
import { type Benchmark, type BenchRow, figure } from "./types.ts";

const JOBS = 1000;
const CONCURRENCY = 50;
/** Head start for the backlog case: every job is stored before the shared due time. */
const LEAD_MS = 5000;

interface Stats {
  jobs: { scheduled: number; completed: number; failed: number };
  alarmInvocations: number;
  attempts: number;
}

/** Sends `count` POSTs with `CONCURRENCY` keep-alive connections; returns the elapsed ms and sorted latencies. */
async function postMany(url: URL, count: number, body: () => unknown, expected: number, adminToken: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let next = 0;
  const post = (payload: string) =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        url,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            if (res.statusCode !== expected) {
              reject(
                new Error(`POST ${url.pathname}: ${res.statusCode} ${Buffer.concat(chunks).toString()}`),
              );
              return;
            }
            latencies.push(performance.now() - started);
            resolve();
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        next++;
        await post(JSON.stringify(body()));
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { elapsedMs, latencies: latencies.sort((a, b) => a - b) };
}

/**
 * 1,000 counter jobs into one scheduler, twice: all due at one instant (a backlog the alarm drains), and due
 * immediately as they are scheduled (a stream). Reports scheduling time, time until all have run, and the alarm
 * invocations the Scheduler itself counted (GET /api/schedulers/:name).
 */
export const benchmark: Benchmark = {
  name: "scheduler",
  async run({ build, platform, adminToken, log }) {
    const base = platform.url;
    // Reads that check the run go through the typed client; scheduling stays raw (it is what is timed).
    const api = apiClient(base);
    const rows: BenchRow[] = [];
    for (const mode of ["backlog", "stream"] as const) {
      const scheduler = `bench-${mode}-${Date.now()}`;
      const counter = `${scheduler}-count`;
      const dueAt = Date.now() + LEAD_MS;
      log(`${mode}: scheduling ${JOBS} jobs into ${scheduler}, ${CONCURRENCY} at a time`);
      const startedAt = Date.now();
      const { elapsedMs: scheduleMs, latencies } = await postMany(
        new URL(`/api/schedulers/${scheduler}/jobs`, base),
        JOBS,
        () => ({
          ...(mode === "backlog" ? { runAt: dueAt } : { delayMs: 0 }),
          action: { type: "counter.increment", counter },
        }),
        201,
        adminToken,
      );
      if (mode === "backlog" && Date.now() > dueAt) throw new Error("scheduling outlasted the head start");

      log(`${mode}: waiting until every job has run`);
      let stats: Stats;
      for (;;) {
        stats = await (await api.api.schedulers[":name"].$get({ param: { name: scheduler } })).json();
        if (stats.jobs.scheduled === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The last job's own completion time (its updatedAt), not the polling time.
      // (Raw fetch: the route's query is not typed, so hc cannot send ?limit=.)
      const list = (await (
        await fetch(new URL(`/api/schedulers/${scheduler}/jobs?limit=${JOBS}`, base))
      ).json()) as { jobs: { updatedAt: string }[] };
      const lastDone = Math.max(...list.jobs.map((j) => Date.parse(j.updatedAt)));
      const { count } = await (await api.api.counters[":name"].$get({ param: { name: counter } })).json();
      const from = mode === "backlog" ? dueAt : startedAt;
      rows.push(
        {
          metric: `${mode}: schedule ${JOBS} jobs`,
          value: `${scheduleMs.toFixed(0)} ms`,
          note: `${((JOBS / scheduleMs) * 1000).toFixed(0)} jobs/s over HTTP, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
        },
        {
          metric: `${mode}: until all have run`,
          value: `${lastDone - from} ms`,
          note:
            mode === "backlog"
              ? "from the shared due time to the last completion"
              : "from the first POST to the last completion (jobs due on arrival)",
        },
        {
          metric: `${mode}: alarm invocations`,
          value: String(stats.alarmInvocations),
          note: `${stats.attempts} attempts, ${stats.jobs.completed} completed, ${stats.jobs.failed} failed`,
        },
        {
          metric: `${mode}: counter exact`,
          value: count === JOBS && stats.attempts === JOBS ? "yes" : "NO",
          note: `${count} increments for ${JOBS} jobs`,
        },
      );
    }
    // Reference: the same client and concurrency on the simplest Durable Object write, to read the numbers above by.
    const reference = `bench-reference-${Date.now()}`;
    log(`reference: ${JOBS} counter increments`);
    const ref = await postMany(
      new URL(`/api/counters/${reference}/increment`, base),
      JOBS,
      () => ({ by: 1 }),
      200,
      adminToken,
    );
    rows.push(await latenessBesideHangingWebhooks({ build, adminToken, log }));
    rows.push(...(await latenessAfterFullPoolPastBudget({ build, adminToken, log })));
    rows.push({
      metric: `reference: ${JOBS} counter increments`,
      value: `${ref.elapsedMs.toFixed(0)} ms`,
      note: `same client and concurrency; p50 ${percentile(ref.latencies, 50).toFixed(1)} ms, p99 ${percentile(ref.latencies, 99).toFixed(1)} ms`,
    });
    return rows;
  },
};

const HANGING_WEBHOOKS = 10;
/** A job runs within about a second of its due time, even beside hanging webhooks (docs/performance.md). */
const LATENESS_GOAL_MS = 1000;

/**
 * How late a counter job runs while 10 webhooks of the same scheduler hang (their receiver never answers; each
 * holds its attempt for 20 s). Its own platform, because webhooks to a loopback receiver need the local rules.
 */
export async function latenessBesideHangingWebhooks({
  build,
  adminToken,
  log,
}: Pick<Parameters<Benchmark["run"]>[0], "build" | "adminToken" | "log">): Promise<BenchRow> {
  const held = new Set<http.ServerResponse>();
  const receiver = http.createServer((_req, res) => held.add(res));
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const { port } = receiver.address() as AddressInfo;
  const platform = await startLocalPlatform({
    bundlePath: build.bundlePath,
    env: { environment: "bench", buildId: build.buildId, adminToken, webhookAllowHttp: true },
  });
  const headers = { "content-type": "application/json", authorization: `Bearer ${adminToken}` };
  const scheduler = `bench-hang-${Date.now()}`;
  const jobs = new URL(`/api/schedulers/${scheduler}/jobs`, platform.url);
  const schedule = async (body: unknown) => {
    const res = await fetch(jobs, { method: "POST", headers, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`POST ${jobs.pathname}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  try {
    log(`lateness: ${HANGING_WEBHOOKS} webhooks that hang, then a counter job due 1 s later`);
    for (let i = 0; i < HANGING_WEBHOOKS; i++) {
      await schedule({
        delayMs: 0,
        maxAttempts: 1,
        action: { type: "webhook", url: `http://127.0.0.1:${port}/hang/${i}`, timeoutMs: 20_000 },
      });
    }
    while (held.size < HANGING_WEBHOOKS) await new Promise((resolve) => setTimeout(resolve, 50));
    const runAt = Date.now() + 1000;
    const { id } = await schedule({
      runAt,
      action: { type: "counter.increment", counter: `${scheduler}-c` },
    });
    let job: { status: string; lastRunAt: string | null };
    for (;;) {
      job = (await (await fetch(new URL(`${jobs.pathname}/${id}`, platform.url))).json()) as typeof job;
      if (job.status !== "scheduled") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lateMs = Date.parse(job.lastRunAt ?? "") - runAt;
    return {
      metric: `lateness beside ${HANGING_WEBHOOKS} hanging webhooks`,
      value: `${lateMs} ms`,
      note: `a counter job's start after its due time while ${HANGING_WEBHOOKS} webhook attempts of its scheduler hang (goal < ${LATENESS_GOAL_MS} ms: ${lateMs < LATENESS_GOAL_MS ? "met" : "NOT met"})`,
    };
  } finally {
    for (const res of held) res.destroy();
    receiver.closeAllConnections();
    receiver.close();
    await platform.dispose();
  }
}

/** Webhooks that fill every slot of the alarm's pool (ALARM_CONCURRENCY in worker/scheduler/limits.ts)... */
const FULL_POOL_WEBHOOKS = 32;
/** ...and answer only after this long: past the alarm's 30 s budget, within the webhooks' own 60 s timeout. */
const FULL_POOL_HOLD_MS = 33_000;

/**
 * A scheduler whose pool stays full past the alarm's budget: 32 webhooks whose receiver answers after 33 s, 2
 * counter jobs due at once that must wait for a slot, and, when the webhooks have answered, one more counter job
 * due now. Reports how late the waiting jobs ran after the receiver answered, and how late the new job ran after
 * its due time (a scheduler that wedged here once left all three scheduled for good). About 35 s.
 */
export async function latenessAfterFullPoolPastBudget({
  build,
  adminToken,
  log,
}: Pick<Parameters<Benchmark["run"]>[0], "build" | "adminToken" | "log">): Promise<BenchRow[]> {
  let answerAt = Number.POSITIVE_INFINITY;
  const held: http.ServerResponse[] = [];
  const receiver = http.createServer((_req, res) => {
    held.push(res);
    setTimeout(() => res.writeHead(200).end("late"), Math.max(0, answerAt - Date.now()));
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const { port } = receiver.address() as AddressInfo;
  const platform = await startLocalPlatform({
    bundlePath: build.bundlePath,
    env: { environment: "bench", buildId: build.buildId, adminToken, webhookAllowHttp: true },
  });
  const headers = { "content-type": "application/json", authorization: `Bearer ${adminToken}` };
  const scheduler = `bench-full-pool-${Date.now()}`;
  const jobs = new URL(`/api/schedulers/${scheduler}/jobs`, platform.url);
  const schedule = async (body: unknown) => {
    const res = await fetch(jobs, { method: "POST", headers, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`POST ${jobs.pathname}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  const ranAt = async (id: string, deadline: number) => {
    for (;;) {
      const job = (await (await fetch(new URL(`${jobs.pathname}/${id}`, platform.url))).json()) as {
        status: string;
        lastRunAt: string | null;
      };
      if (job.status !== "scheduled") return Date.parse(job.lastRunAt ?? "");
      if (Date.now() > deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** How long to wait for a job before calling it never run (a wedged scheduler never runs it). */
  const GIVE_UP_MS = 15_000;
  const late = (ms: number | null) => (ms === null ? GIVE_UP_MS : ms);
  try {
    log(
      `full pool: ${FULL_POOL_WEBHOOKS} webhooks answered after ${FULL_POOL_HOLD_MS / 1000} s, 2 counter jobs waiting`,
    );
    answerAt = Date.now() + FULL_POOL_HOLD_MS;
    for (let i = 0; i < FULL_POOL_WEBHOOKS; i++) {
      await schedule({
        delayMs: 0,
        maxAttempts: 1,
        action: { type: "webhook", url: `http://127.0.0.1:${port}/slow/${i}`, timeoutMs: 60_000 },
      });
    }
    while (held.length < FULL_POOL_WEBHOOKS) await new Promise((resolve) => setTimeout(resolve, 50));
    const waiting = [];
    for (let i = 0; i < 2; i++) {
      waiting.push(
        await schedule({ delayMs: 0, action: { type: "counter.increment", counter: `${scheduler}-c` } }),
      );
    }
    const waited = await Promise.all(waiting.map((job) => ranAt(job.id, answerAt + GIVE_UP_MS)));
    const waitingLate = Math.max(...waited.map((at) => late(at === null ? null : at - answerAt)));
    log("full pool: one more counter job due now");
    const dueAt = Date.now();
    const fresh = await schedule({
      delayMs: 0,
      action: { type: "counter.increment", counter: `${scheduler}-c` },
    });
    const freshAt = await ranAt(fresh.id, dueAt + GIVE_UP_MS);
    const freshLate = late(freshAt === null ? null : freshAt - dueAt);
    const met = (ms: number) => (ms < LATENESS_GOAL_MS ? "met" : "NOT met");
    const format = (ms: number) =>
      ms < GIVE_UP_MS ? `${ms.toFixed(0)} ms` : `never (${GIVE_UP_MS / 1000} s)`;
    return [
      figure({
        id: "scheduler.full-pool-waiting-lateness",
        metric: `full pool past the budget: waiting jobs' lateness`,
        amount: waitingLate,
        unit: "ms",
        format,
        goal: `< ${LATENESS_GOAL_MS} ms`,
        note: `2 counter jobs due while ${FULL_POOL_WEBHOOKS} webhooks held every slot for ${FULL_POOL_HOLD_MS / 1000} s (past the 30 s budget): the later start after the receiver answered (${met(waitingLate)})`,
      }),
      figure({
        id: "scheduler.full-pool-next-lateness",
        metric: `full pool past the budget: next job's lateness`,
        amount: freshLate,
        unit: "ms",
        format,
        goal: `< ${LATENESS_GOAL_MS} ms`,
        note: `a counter job due now, scheduled once the pool had drained: its start after its due time (${met(freshLate)})`,
      }),
    ];
  } finally {
    for (const res of held) res.destroy();
    receiver.closeAllConnections();
    receiver.close();
    await platform.dispose();
  }
}
