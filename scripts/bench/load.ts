import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { ChatClient } from "../lib/chat-client.ts";

export interface LoadOptions {
  readonly url: URL;
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Concurrent keep-alive connections, each sending one request at a time. */
  readonly connections: number;
  readonly durationMs: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

let nextClient = 0;
/**
 * Each bench socket is a distinct client (locally `CF-Connecting-IP` is taken from the request), so a room's
 * per-client socket cap does not apply to the crowd, as it would not to a crowd of real people.
 */
export function asNewClient(): { headers: Record<string, string> } {
  const i = ++nextClient;
  return { headers: { "cf-connecting-ip": `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` } };
}

/**
 * Resolves once none of `clients` has received a frame for `quietMs`. Presence is coalesced on a timer
 * (CHAT_LIMITS.presenceIntervalMs), so a crowd's last presence frame can still be on its way after the crowd has
 * opened; a timed round that starts before it arrives pays for it. Replaces the clients' frame handlers.
 */
export async function untilQuiet(clients: readonly ChatClient[], quietMs = 1_000): Promise<void> {
  let lastFrameAt = performance.now();
  for (const c of clients) {
    c.onFrame = (_frame, at) => {
      lastFrameAt = at;
    };
  }
  while (performance.now() - lastFrameAt < quietMs) await sleep(50);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A closed-loop HTTP load on loopback: `connections` clients, each sending its next request when one returns. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + o.durationMs;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = http.request(o.url, { method: o.method ?? "GET", agent, headers: o.headers }, (res) => {
        res.resume();
        res.on("end", () => {
          if ((res.statusCode ?? 500) >= 400) errors++;
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.end(o.body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  const elapsed = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    perSecond: latencies.length / (elapsed / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}
