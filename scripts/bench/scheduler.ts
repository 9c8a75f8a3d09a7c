import http from "node:http";
import { apiClient } from "../lib/api-client.ts";
import { percentile } from "./load.ts";
import type { Benchmark, BenchRow } from "./types.ts";

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
  async run({ platform, adminToken, log }) {
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
    rows.push({
      metric: `reference: ${JOBS} counter increments`,
      value: `${ref.elapsedMs.toFixed(0)} ms`,
      note: `same client and concurrency; p50 ${percentile(ref.latencies, 50).toFixed(1)} ms, p99 ${percentile(ref.latencies, 99).toFixed(1)} ms`,
    });
    return rows;
  },
};
