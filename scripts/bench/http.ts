import { apiClient } from "../lib/api-client.ts";
import { runLoad } from "./load.ts";
import type { Benchmark } from "./types.ts";

const CONNECTIONS = 50;
const DURATION_MS = 5_000;

/** Plain route vs a Durable Object write, side by side, and the final count checked exact. */
export const benchmark: Benchmark = {
  name: "http",
  async run({ platform, log }) {
    log(`GET /health, ${CONNECTIONS} connections, ${DURATION_MS / 1000} s`);
    const plain = await runLoad({
      url: new URL("/health", platform.url),
      connections: CONNECTIONS,
      durationMs: DURATION_MS,
    });
    const name = `bench-${Date.now()}`;
    log(`POST /api/counters/${name}/increment, ${CONNECTIONS} connections, ${DURATION_MS / 1000} s`);
    const writes = await runLoad({
      url: new URL(`/api/counters/${name}/increment`, platform.url),
      method: "POST",
      connections: CONNECTIONS,
      durationMs: DURATION_MS,
    });
    // Reads that check the run go through the typed client; the load itself stays raw (the client would weigh on it).
    const final = await (
      await apiClient(platform.url).api.counters[":name"].$get({ param: { name } })
    ).json();
    const ok = writes.requests - writes.errors;
    return [
      {
        metric: "plain route (GET /health)",
        value: `${plain.perSecond.toFixed(0)} req/s`,
        note: `p50 ${plain.p50Ms.toFixed(1)} ms, p99 ${plain.p99Ms.toFixed(1)} ms, ${plain.errors} errors`,
      },
      {
        metric: "counter increment (one DO)",
        value: `${writes.perSecond.toFixed(0)} req/s`,
        note: `p50 ${writes.p50Ms.toFixed(1)} ms, p99 ${writes.p99Ms.toFixed(1)} ms, ${writes.errors} errors`,
      },
      { metric: "increment / plain ratio", value: (writes.perSecond / plain.perSecond).toFixed(2) },
      {
        metric: "final count exact",
        value: final.count === ok ? "yes" : "NO",
        note: `${final.count} counted, ${ok} successful responses`,
      },
    ];
  },
};
