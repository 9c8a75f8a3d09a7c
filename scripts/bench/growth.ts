import { ChatClient } from "../lib/chat-client.ts";
import { asNewClient, percentile, untilQuiet } from "./load.ts";
import { type Benchmark, type BenchRow, figure } from "./types.ts";

/** Sockets in one room for the fan-out growth line. */
const FANOUT_SIZES = [10, 100, 500];
const FANOUT_ROUNDS = 30;
/** Sending sockets (also in the room) take turns, so none reaches the per-connection frame limit. */
const SENDERS = 5;
/** Pending jobs already in the scheduler when the cost per job is measured. */
const PENDING_SIZES = [100, 5000];
/** Jobs scheduled and run at each size to measure the cost per job. */
const PROBE_JOBS = 100;
const FILL_CONCURRENCY = 50;

const FANOUT_PANEL = "Chat fan-out latency by sockets in one room";
const SCHEDULER_PANEL = "Scheduler cost per job by pending jobs";

async function crowd(base: URL, room: string, count: number, prefix: string): Promise<ChatClient[]> {
  const clients: ChatClient[] = [];
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, (_, i) =>
      ChatClient.connect(base, room, `${prefix}-${start + i}`, asNewClient()),
    );
    clients.push(...(await Promise.all(batch)));
  }
  for (const c of clients) c.keep = false;
  return clients;
}

/** p50/p99 from send to receipt of one message to `size` sockets, over FANOUT_ROUNDS messages sent one at a time. */
async function fanoutAt(base: URL, size: number): Promise<{ p50: number; p99: number; receipts: number }> {
  const room = `growth-fanout-${size}-${Date.now()}`;
  const receivers = await crowd(base, room, size, "reader");
  const senders = await crowd(base, room, SENDERS, "writer");
  await untilQuiet([...receivers, ...senders]);
  const latencies: number[] = [];
  // Round -1 warms up (frames arrive in order, and the room is quiet), so no measured round pays for a first send.
  for (let round = -1; round < FANOUT_ROUNDS; round++) {
    const text = `growth ${size} ${round}`;
    let sentAt = 0;
    let received = 0;
    const samples: number[] = [];
    await new Promise<void>((resolve) => {
      for (const c of receivers) {
        c.onFrame = (frame, at) => {
          if (frame.type !== "message" || frame.text !== text) return;
          samples.push(at - sentAt);
          if (++received === size) resolve();
        };
      }
      sentAt = performance.now();
      senders[(round + SENDERS) % SENDERS]!.sendMessage(text);
    });
    if (round >= 0) latencies.push(...samples);
  }
  await Promise.all([...receivers, ...senders].map((c) => c.close()));
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), receipts: latencies.length };
}

async function fanoutGrowth(base: URL, log: (m: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of FANOUT_SIZES) {
    log(`fan-out growth: ${size} sockets, ${FANOUT_ROUNDS} messages one at a time`);
    const { p50, p99, receipts } = await fanoutAt(base, size);
    const plot = {
      panel: FANOUT_PANEL,
      x: size,
      xLabel: "sockets in the room",
      yLabel: "ms from send to receipt",
    };
    const note = `${receipts} receipts; ${SENDERS} more sockets send in turn; every client in this one Node process`;
    rows.push(
      figure({
        id: `growth.fanout-p50-${size}`,
        metric: `fan-out p50, ${size} sockets`,
        amount: p50,
        unit: "ms",
        note,
        plot: { ...plot, line: "p50" },
      }),
      figure({
        id: `growth.fanout-p99-${size}`,
        metric: `fan-out p99, ${size} sockets`,
        amount: p99,
        unit: "ms",
        goal: "grows at most linearly with sockets",
        plot: { ...plot, line: "p99", bound: "linear" },
      }),
    );
  }
  return rows;
}

/** POSTs each body to `url` with `concurrency` requests in flight; returns the elapsed ms. Any non-201 throws. */
async function postAll(
  url: URL,
  bodies: unknown[],
  concurrency: number,
  adminToken: string,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        if (res.status !== 201) throw new Error(`POST ${url.pathname}: ${res.status} ${text}`);
      }
    }),
  );
  return performance.now() - started;
}

interface SchedulerStats {
  jobs: { scheduled: number; completed: number; failed: number };
}

/**
 * With `pending` jobs waiting in one scheduler (due in an hour), schedules PROBE_JOBS more one at a time (the
 * schedule cost per job), all due at one instant, and times them until the last has run (the run cost per job).
 */
async function schedulerAt(base: URL, pending: number, adminToken: string, log: (m: string) => void) {
  const name = `growth-${pending}-${Date.now()}`;
  const jobs = new URL(`/api/schedulers/${name}/jobs`, base);
  const action = { type: "counter.increment", counter: `${name}-count` };
  const later = Date.now() + 60 * 60 * 1000;
  log(`scheduler growth: filling ${name} with ${pending} pending jobs`);
  await postAll(
    jobs,
    Array.from({ length: pending }, () => ({ runAt: later, action })),
    FILL_CONCURRENCY,
    adminToken,
  );

  // Due after the probe jobs are all stored: 60 ms a job leaves room even on a loaded machine (~5 ms idle).
  const dueAt = Date.now() + 3000 + PROBE_JOBS * 60;
  log(`scheduler growth: scheduling ${PROBE_JOBS} jobs one at a time next to ${pending} pending`);
  const scheduleMs = await postAll(
    jobs,
    Array.from({ length: PROBE_JOBS }, () => ({ runAt: dueAt, action })),
    1,
    adminToken,
  );
  if (Date.now() >= dueAt) throw new Error("scheduling the probe jobs outlasted their head start");

  log(`scheduler growth: waiting until the ${PROBE_JOBS} due jobs have run`);
  for (;;) {
    const stats = (await (await fetch(new URL(`/api/schedulers/${name}`, base))).json()) as SchedulerStats;
    if (stats.jobs.completed + stats.jobs.failed >= PROBE_JOBS) {
      if (stats.jobs.failed > 0 || stats.jobs.scheduled !== pending) {
        throw new Error(`unexpected job states after the run: ${JSON.stringify(stats.jobs)}`);
      }
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const done = (await (
    await fetch(new URL(`/api/schedulers/${name}/jobs?status=completed&limit=${PROBE_JOBS}`, base))
  ).json()) as { jobs: { updatedAt: string }[] };
  const lastDone = Math.max(...done.jobs.map((j) => Date.parse(j.updatedAt)));
  return { schedulePerJob: scheduleMs / PROBE_JOBS, runPerJob: (lastDone - dueAt) / PROBE_JOBS };
}

async function schedulerGrowth(base: URL, adminToken: string, log: (m: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const pending of PENDING_SIZES) {
    const { schedulePerJob, runPerJob } = await schedulerAt(base, pending, adminToken, log);
    const plot = {
      panel: SCHEDULER_PANEL,
      x: pending,
      xLabel: "pending jobs",
      yLabel: "ms per job",
      bound: "flat" as const,
    };
    rows.push(
      figure({
        id: `growth.schedule-per-job-${pending}`,
        metric: `schedule cost per job, ${pending} pending`,
        amount: schedulePerJob,
        unit: "ms",
        goal: "flat in pending jobs",
        note: `${PROBE_JOBS} POSTs one at a time, over HTTP (includes the round trip)`,
        plot: { ...plot, line: "schedule" },
        format: (ms) => `${ms.toFixed(2)} ms`,
      }),
      figure({
        id: `growth.run-per-job-${pending}`,
        metric: `run cost per job, ${pending} pending`,
        amount: runPerJob,
        unit: "ms",
        goal: "flat in pending jobs",
        note: `${PROBE_JOBS} jobs due at one instant: due time to last completion, divided by ${PROBE_JOBS}`,
        plot: { ...plot, line: "run" },
        format: (ms) => `${ms.toFixed(2)} ms`,
      }),
    );
  }
  return rows;
}

/** Growth lines (how cost grows with size, the chart's two lines): fan-out latency by room size, and scheduler cost per job by pending jobs. */
export const benchmark: Benchmark = {
  name: "growth",
  async run({ platform, adminToken, log }) {
    return [
      ...(await fanoutGrowth(platform.url, log)),
      ...(await schedulerGrowth(platform.url, adminToken, log)),
    ];
  },
};
