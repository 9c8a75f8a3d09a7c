import { CHAT_LIMITS } from "../../worker/chat/protocol.ts";
import { ChatClient } from "../lib/chat-client.ts";
import { percentile, runLoad } from "./load.ts";
import type { Benchmark, BenchRow } from "./types.ts";

const FANOUT_CLIENTS = 200;
const FANOUT_ROUNDS = 50;
const SENDERS = 10;
const THROUGHPUT_MS = 5_000;

/** Opens `count` sockets in batches (a burst of hundreds of upgrades at once only measures the accept queue). */
async function crowd(base: URL, room: string, count: number, user: (i: number) => string) {
  const clients: ChatClient[] = [];
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, (_, i) =>
      ChatClient.connect(base, room, user(start + i)),
    );
    clients.push(...(await Promise.all(batch)));
  }
  for (const c of clients) c.keep = false; // count on arrival, queue nothing
  return clients;
}

const closeAll = (clients: ChatClient[]) => Promise.all(clients.map((c) => c.close()));

/** Resolves when `done()` holds, checking on every frame any of `clients` receives. */
function until(clients: ChatClient[], done: () => boolean, onFrame: ChatClient["onFrame"]): Promise<void> {
  return new Promise((resolve) => {
    for (const c of clients) {
      c.onFrame = (frame, at) => {
        onFrame?.(frame, at);
        if (done()) resolve();
      };
    }
  });
}

/** One message to 200 sockets: time from the sender's send() to each socket's receipt, over many rounds. */
async function fanout(base: URL, log: (m: string) => void): Promise<BenchRow[]> {
  const room = `bench-fanout-${Date.now()}`;
  log(`fan-out: ${FANOUT_CLIENTS} sockets in one room, ${FANOUT_ROUNDS} messages one at a time`);
  const receivers = await crowd(base, room, FANOUT_CLIENTS, (i) => `reader-${i}`);
  // Several sending sockets take turns, so no single connection reaches the rate limit.
  const senders = await crowd(base, room, 5, (i) => `writer-${i}`);
  const latencies: number[] = [];
  let started = performance.now();
  // Round -1 warms up and drains the join frames of the crowd (frames arrive in order), so no round pays for them.
  for (let round = -1; round < FANOUT_ROUNDS; round++) {
    if (round === 0) {
      latencies.length = 0;
      started = performance.now();
    }
    const text = `fanout ${round}`;
    let sentAt = 0;
    let received = 0;
    const all = until(
      receivers,
      () => received === FANOUT_CLIENTS,
      (frame, at) => {
        if (frame.type === "message" && frame.text === text) {
          received++;
          latencies.push(at - sentAt);
        }
      },
    );
    sentAt = performance.now();
    senders[(round + senders.length) % senders.length]!.sendMessage(text);
    await all;
  }
  const elapsed = performance.now() - started;
  await closeAll([...receivers, ...senders]);
  latencies.sort((a, b) => a - b);
  return [
    {
      metric: `fan-out latency, 1 message to ${FANOUT_CLIENTS} sockets`,
      value: `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
      note: `${latencies.length} receipts over ${FANOUT_ROUNDS} messages; max ${latencies.at(-1)?.toFixed(1)} ms; all ${FANOUT_CLIENTS} clients in this one Node process`,
    },
    {
      metric: "fan-out deliveries",
      value: `${((latencies.length / elapsed) * 1000).toFixed(0)} frames/s`,
      note: "one message at a time, waiting for all receipts",
    },
  ];
}

/**
 * Messages per second through one room from 10 senders, each also connected so every message is broadcast to
 * 10 sockets. Over WebSockets a connection may send 20 frames per 10 s, so sustained load goes over HTTP
 * (`POST .../messages`, closed loop); a WebSocket burst uses each sender's whole allowance at once.
 */
async function throughput(base: URL, log: (m: string) => void): Promise<BenchRow[]> {
  const room = `bench-throughput-${Date.now()}`;
  const sockets = await crowd(base, room, SENDERS, (i) => `sender-${i}`);
  let delivered = 0;
  for (const s of sockets) s.onFrame = (f) => void (f.type === "message" && delivered++);

  log(`throughput: ${SENDERS} HTTP senders, ${THROUGHPUT_MS / 1000} s, broadcast to ${SENDERS} sockets`);
  const load = await runLoad({
    url: new URL(`/api/rooms/${room}/messages`, base),
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: "sender", text: "load" }),
    connections: SENDERS,
    durationMs: THROUGHPUT_MS,
  });
  const stored = load.requests - load.errors;
  // Every stored message must reach every socket; wait for stragglers still in flight.
  const deadline = performance.now() + 5_000;
  while (delivered < stored * SENDERS && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const history = (await (await fetch(new URL(`/api/rooms/${room}/messages?limit=1`, base))).json()) as {
    messages: { id: number }[];
  };

  log(`burst: ${SENDERS} WebSocket senders x ${CHAT_LIMITS.rateMessages} frames at once`);
  const burst = SENDERS * CHAT_LIMITS.rateMessages;
  let burstDelivered = 0;
  const allDelivered = until(
    sockets,
    () => burstDelivered === burst * SENDERS,
    (f) => {
      if (f.type === "message" && f.text.startsWith("burst ")) burstDelivered++;
    },
  );
  const burstStarted = performance.now();
  for (let i = 0; i < CHAT_LIMITS.rateMessages; i++) {
    for (const s of sockets) s.sendMessage(`burst ${i}`);
  }
  await allDelivered;
  const burstMs = performance.now() - burstStarted;
  await closeAll(sockets);

  return [
    {
      metric: `room throughput, ${SENDERS} HTTP senders`,
      value: `${load.perSecond.toFixed(0)} msg/s`,
      note: `p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms per post, ${load.errors} errors; each broadcast to ${SENDERS} sockets`,
    },
    {
      metric: "every message stored and delivered",
      value: delivered === stored * SENDERS && history.messages[0]?.id === stored ? "yes" : "NO",
      note: `${stored} posted, last id ${history.messages[0]?.id}, ${delivered} of ${stored * SENDERS} deliveries`,
    },
    {
      metric: `WebSocket burst, ${SENDERS} senders x ${CHAT_LIMITS.rateMessages}`,
      value: `${((burst / burstMs) * 1000).toFixed(0)} msg/s`,
      note: `${burst} messages to ${SENDERS} sockets in ${burstMs.toFixed(0)} ms; sustained WebSocket sending is capped at ${CHAT_LIMITS.rateMessages} per ${CHAT_LIMITS.rateWindowMs / 1000} s per connection`,
    },
  ];
}

export const benchmark: Benchmark = {
  name: "chat",
  async run({ platform, log }) {
    return [...(await fanout(platform.url, log)), ...(await throughput(platform.url, log))];
  },
};
