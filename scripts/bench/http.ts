import { apiClient } from "../lib/api-client.ts";
import { runLoad } from "./load.ts";
import { workerdCpuSeconds } from "./server-cpu.ts";
import { type Benchmark, type BenchRow, figure } from "./types.ts";
import { haveWrk, requestsPerSecond, type Target } from "./wrk.ts";

const CONNECTIONS = 50;
const SECONDS = 2;
/** Rounds of every target, each round side by side, so a burst of load from elsewhere hits one round, not a route. */
const ROUNDS = 5;
/** The write path's goal against `/health` (it was 0.6 until that was met; the next goal is 0.8). */
const INCREMENT_GOAL = 0.8;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The counter write path against a plain route, side by side, and its decomposition from public routes only:
 * `POST /api/counters` is the rate limit without a Durable Object, `GET /api/counters/:name` the stub, RPC and
 * SQLite read, the increment without a body adds the write, the increment with `{"by":1}` adds the JSON body.
 * The cost of a step is the difference of workerd's CPU time per request (read from /proc around each run, so load
 * from elsewhere on the machine does not move it); where that cannot be read, of 1/throughput.
 */
export const benchmark: Benchmark = {
  name: "http",
  async run({ platform, log }) {
    const wrk = await haveWrk();
    const name = `bench-${Date.now()}`;
    const targets: Record<string, Target> = {
      health: { method: "GET", path: "/health" },
      rateLimit: { method: "POST", path: "/api/counters" },
      read: { method: "GET", path: `/api/counters/${name}` },
      increment: { method: "POST", path: `/api/counters/${name}/increment` },
      incrementBody: { method: "POST", path: `/api/counters/${name}/increment`, body: '{"by":1}' },
    };
    const rates: Record<string, number[]> = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
    const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
    let increments = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [key, target] of Object.entries(targets)) {
        log(`round ${round + 1}/${ROUNDS}: ${target.method} ${target.path} ${target.body ?? ""}`);
        const cpuBefore = workerdCpuSeconds();
        const r = await requestsPerSecond(platform.url, target, {
          connections: CONNECTIONS,
          seconds: SECONDS,
          wrk,
        });
        const cpuAfter = workerdCpuSeconds();
        rates[key]!.push(r.perSecond);
        if (cpuBefore !== undefined && cpuAfter !== undefined)
          cpu[key]!.push(((cpuAfter - cpuBefore) * 1e6) / r.requests);
        if (key.startsWith("increment")) increments += r.requests;
      }
    }
    // Reads that check the run go through the typed client; the load itself stays raw (the client would weigh on it).
    const api = apiClient(platform.url);
    const countOf = async (counter: string) =>
      (await (await api.api.counters[":name"].$get({ param: { name: counter } })).json()).count;
    const counted = await countOf(name);
    // wrk drops the requests in flight at its deadline (the server may have counted them): at most 50 per run.
    const cutOff = ROUNDS * 2 * CONNECTIONS;
    // Exactness with a client that reads every answer before it stops: count = answered increments, no more, no less.
    const exact = `${name}-exact`;
    log(
      `exactness: POST /api/counters/${exact}/increment, Node client, ${CONNECTIONS} connections, ${SECONDS} s`,
    );
    const load = await runLoad({
      url: new URL(`/api/counters/${exact}/increment`, platform.url),
      method: "POST",
      connections: CONNECTIONS,
      durationMs: SECONDS * 1000,
    });
    const exactCount = await countOf(exact);
    const ratios = (key: string) => rates[key]!.map((rate, i) => rate / rates.health![i]!);
    const haveCpu = Object.values(cpu).every((xs) => xs.length === ROUNDS);
    const usPerRequest = (key: string) =>
      haveCpu ? median(cpu[key]!) : median(rates[key]!.map((rate) => 1e6 / rate));
    const step = (from: string, to: string) => usPerRequest(to) - usPerRequest(from);
    const client = wrk ? "wrk -t2 -c50" : "Node client, 50 connections";
    const each = (key: string) =>
      `rounds: ${ratios(key)
        .map((r) => r.toFixed(2))
        .join(" ")}`;
    const rows: BenchRow[] = [
      figure({
        id: "http.health-rps",
        metric: "plain route (GET /health)",
        amount: median(rates.health!),
        unit: "req/s",
        note: `median of ${ROUNDS} rounds of ${SECONDS} s, ${client}: ${rates.health!.map((r) => r.toFixed(0)).join(" ")}`,
      }),
      figure({
        id: "http.increment-rps",
        metric: "counter increment (one DO)",
        amount: median(rates.increment!),
        unit: "req/s",
        note: rates.increment!.map((r) => r.toFixed(0)).join(" "),
      }),
      figure({
        id: "http.increment-ratio",
        metric: "increment / plain, side by side",
        amount: median(ratios("increment")),
        unit: "x",
        goal: `≥ ${INCREMENT_GOAL}`,
        note: each("increment"),
        format: (r) => r.toFixed(2),
      }),
      figure({
        id: "http.read-ratio",
        metric: "counter read / plain",
        amount: median(ratios("read")),
        unit: "x",
        note: each("read"),
        format: (r) => r.toFixed(2),
      }),
      ...(haveCpu
        ? [
            figure({
              id: "http.increment-cpu-ratio",
              metric: "increment / plain, by server CPU per request",
              amount: usPerRequest("health") / usPerRequest("increment"),
              unit: "x",
              note: `workerd CPU per request, median of ${ROUNDS} rounds: /health ${usPerRequest("health").toFixed(0)} µs, increment ${usPerRequest("increment").toFixed(0)} µs, read ${usPerRequest("read").toFixed(0)} µs`,
              format: (r) => r.toFixed(2),
            }),
          ]
        : []),
      {
        metric: "no answered increment lost",
        value: counted >= increments && counted <= increments + cutOff ? "yes" : "NO",
        note: `${counted} counted, ${increments} answered by wrk, which cuts off at most ${cutOff} in flight`,
      },
      {
        metric: "final count exact",
        value: load.errors === 0 && exactCount === load.requests ? "yes" : "NO",
        note: `${exactCount} counted, ${load.requests} answered, ${load.errors} errors (Node client, every answer read)`,
      },
    ];
    const parts: [string, string, string, string][] = [
      ["rate-limit", "rate limit (POST /api/counters − /health)", "health", "rateLimit"],
      ["rpc-read", "stub + RPC + SQLite read (GET counter − /health)", "health", "read"],
      ["write", "durable write (increment − read − rate limit)", "read", "increment"],
      ["body", 'JSON body {"by":1} (with body − without)', "increment", "incrementBody"],
    ];
    for (const [id, metric, from, to] of parts) {
      const amount = id === "write" ? step(from, to) - step("health", "rateLimit") : step(from, to);
      rows.push(
        figure({
          id: `http.cost-${id}`,
          metric: `cost: ${metric}`,
          amount,
          unit: "µs/req",
          note: haveCpu
            ? "difference of median workerd CPU time per request"
            : "difference of median server time per request (1/throughput)",
        }),
      );
    }
    return rows;
  },
};
