import { CHAT_LIMITS } from "../../worker/chat/protocol.ts";
import { ChatClient } from "../lib/chat-client.ts";
import { asNewClient, percentile, runLoad, untilQuiet } from "./load.ts";
import { type Benchmark, type BenchRow, figure } from "./types.ts";

const FANOUT_CLIENTS = 200;
const FANOUT_ROUNDS = 50;
const SENDERS = 10;
const THROUGHPUT_MS = 5_000;
/** Room sizes of the presence table (how presence frames grow with a room); the last is the room's cap. */
const FILL_SIZES = [100, 200, 500, CHAT_LIMITS.maxSockets] as const;
const FILL_MESSAGES = 10;
/** How long without a frame counts as quiet. */
const QUIET_MS = 1_000;
const STORM_LISTENERS = 200;
const STORM_JOINERS = 300;
const STORM_JOINS_PER_SECOND = 100;
const STORM_MESSAGE_EVERY_MS = 100;

/** Failed upgrades (reset or refused) that were tried again; reported so a number never hides them. */
let retriedUpgrades = 0;

async function connect(base: URL, room: string, user: string, compression = true): Promise<ChatClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ChatClient.connect(base, room, user, { ...asNewClient(), compression });
    } catch (error) {
      if (attempt === 3) throw error;
      retriedUpgrades++;
    }
  }
}

/** Opens `count` sockets in batches (a burst of hundreds of upgrades at once only measures the accept queue). */
async function crowd(
  base: URL,
  room: string,
  count: number,
  user: (i: number) => string,
  onFrame?: ChatClient["onFrame"],
  compression = true,
) {
  const clients: ChatClient[] = [];
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, (_, i) =>
      connect(base, room, user(start + i), compression).then((c) => {
        c.keep = false; // count on arrival, queue nothing
        c.onFrame = onFrame;
        return c;
      }),
    );
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until no frame has arrived for QUIET_MS (at most `limitMs`); `lastFrameAt` reads the latest arrival. */
async function quiet(lastFrameAt: () => number, limitMs = 120_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (performance.now() - lastFrameAt() < QUIET_MS && performance.now() < deadline) await sleep(50);
}

/** Sorted copy's p50 and p99, in ms with one decimal. */
function p50p99(latencies: number[]): { p50: number; p99: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
}

/** What filling one room to `sockets` costs, and what a message costs in it once quiet. */
export interface FillResult {
  readonly sockets: number;
  /** Every frame the room sent while filling (welcomes and presence), summed over all sockets. */
  readonly frames: number;
  /** From the first upgrade to the last socket's open (50 upgrades at a time). */
  readonly fillMs: number;
  /** From the last socket's open to the last frame of the fill. */
  readonly quietMs: number;
  /** Send-to-receipt of FILL_MESSAGES messages at each of the other sockets. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly receipts: number;
}

/**
 * Fills a new room to `sockets` (one sender and the listeners, each a distinct person and client), counts the frames
 * the room sends until it goes quiet, then sends FILL_MESSAGES messages one at a time and times each receipt.
 */
export async function measureFill(base: URL, sockets: number, compression = true): Promise<FillResult> {
  const room = `bench-fill-${sockets}-${Date.now()}`;
  let frames = 0;
  let lastFrameAt = performance.now();
  let text = "";
  let sentAt = 0;
  let received = 0;
  const latencies: number[] = [];
  const onFrame: ChatClient["onFrame"] = (frame, at) => {
    if (frame.type === "message") {
      if (frame.text === text) {
        received++;
        latencies.push(at - sentAt);
      }
      return;
    }
    frames++;
    lastFrameAt = at;
  };
  const fillStartedAt = performance.now();
  const listeners = await crowd(base, room, sockets - 1, (i) => `listener-${i}`, onFrame, compression);
  const [sender] = await crowd(base, room, 1, () => "sender", onFrame, compression);
  const lastOpenAt = performance.now();
  await quiet(() => lastFrameAt);
  const quietMs = Math.max(0, lastFrameAt - lastOpenAt);
  const fillFrames = frames;

  for (let round = 0; round < FILL_MESSAGES; round++) {
    text = `fill ${sockets} #${round}`;
    received = 0;
    sentAt = performance.now();
    sender!.sendMessage(text);
    const deadline = sentAt + 30_000;
    while (received < listeners.length && performance.now() < deadline) await sleep(1);
  }
  await closeAll([...listeners, sender!]);
  const { p50, p99 } = p50p99(latencies);
  return {
    sockets,
    frames: fillFrames,
    fillMs: Math.round(lastOpenAt - fillStartedAt),
    quietMs: Math.round(quietMs),
    p50Ms: p50,
    p99Ms: p99,
    receipts: latencies.length,
  };
}

export interface JoinStormResult {
  readonly listeners: number;
  readonly joiners: number;
  readonly messages: number;
  readonly receipts: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * STORM_LISTENERS sockets in a quiet room; then STORM_JOINERS more join at STORM_JOINS_PER_SECOND while two senders
 * take turns sending a message every STORM_MESSAGE_EVERY_MS (each under the per-connection rate limit). Times
 * every message from send to receipt at each listener: what a live event's audience sees while people arrive.
 */
export async function measureJoinStorm(base: URL): Promise<JoinStormResult> {
  const room = `bench-storm-${Date.now()}`;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let lastFrameAt = performance.now();
  const listeners = await crowd(
    base,
    room,
    STORM_LISTENERS,
    (i) => `listener-${i}`,
    (frame, at) => {
      lastFrameAt = at;
      if (frame.type !== "message") return;
      const sent = sentAt.get(frame.text);
      if (sent !== undefined) latencies.push(at - sent);
    },
  );
  const senders = await crowd(base, room, 2, (i) => `sender-${i}`);
  await quiet(() => lastFrameAt);

  const stormMs = (STORM_JOINERS / STORM_JOINS_PER_SECOND) * 1000;
  const started = performance.now();
  const joiners = Array.from({ length: STORM_JOINERS }, (_, i) =>
    sleep((i * 1000) / STORM_JOINS_PER_SECOND).then(() =>
      connect(base, room, `joiner-${i}`).then((c) => {
        c.keep = false;
        return c;
      }),
    ),
  );
  let sent = 0;
  while (performance.now() - started < stormMs) {
    const text = `storm ${sent}`;
    sentAt.set(text, performance.now());
    senders[sent % senders.length]!.sendMessage(text);
    sent++;
    await sleep(STORM_MESSAGE_EVERY_MS);
  }
  const joined = await Promise.all(joiners);
  const deadline = performance.now() + 30_000;
  while (latencies.length < sent * listeners.length && performance.now() < deadline) await sleep(10);
  await closeAll([...listeners, ...senders, ...joined]);
  const { p50, p99 } = p50p99(latencies);
  return {
    listeners: STORM_LISTENERS,
    joiners: STORM_JOINERS,
    messages: sent,
    receipts: latencies.length,
    p50Ms: p50,
    p99Ms: p99,
  };
}

/** The presence table and the join storm as result rows. */
async function presence(base: URL, log: (m: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const sockets of FILL_SIZES) {
    log(`fill: ${sockets} sockets in one room, then ${FILL_MESSAGES} messages`);
    const r = await measureFill(base, sockets);
    rows.push(
      {
        metric: `room fill to ${sockets} sockets`,
        value: `${r.frames} frames, quiet ${r.quietMs} ms`,
        note: `frames the room sent while filling (welcomes + presence); filled in ${r.fillMs} ms (50 upgrades at a time); quiet = last open to last frame`,
      },
      figure({
        id: `chat.message-p99.${sockets}`,
        metric: `message latency at ${sockets} sockets`,
        amount: r.p99Ms,
        unit: "ms",
        goal: sockets === CHAT_LIMITS.maxSockets ? "p99 < 100 ms" : undefined,
        format: () => `p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
        note: `${r.receipts} receipts of ${FILL_MESSAGES} messages, after the room went quiet; clients offer compression`,
      }),
    );
  }
  // The same cap without compression. Locally permessage-deflate is negotiated by Miniflare's entry worker (the
  // worker's compatibility flags do not reach it) whenever a client offers it, as `ws` and browsers do: then workerd
  // deflates every frame once per socket (a fifth of its CPU in a fan-out to 1,000, by perf) and this one Node
  // process inflates 999 frames per message (about 2.5 times the server's CPU for the same message). Clients that
  // offer no compression show what the room itself costs.
  for (const sockets of [200, CHAT_LIMITS.maxSockets]) {
    log(`fill: ${sockets} sockets in one room, clients offering no compression`);
    const r = await measureFill(base, sockets, false);
    rows.push(
      figure({
        id: `chat.message-p99-uncompressed.${sockets}`,
        metric: `message latency at ${sockets} sockets, clients offering no compression`,
        amount: r.p99Ms,
        unit: "ms",
        goal: sockets === CHAT_LIMITS.maxSockets ? "p99 < 100 ms" : undefined,
        format: () => `p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
        note: `${r.receipts} receipts of ${FILL_MESSAGES} messages; no frame compressed by workerd or inflated by the client`,
      }),
    );
  }
  log(`join storm: ${STORM_LISTENERS} listeners, ${STORM_JOINERS} join at ${STORM_JOINS_PER_SECOND}/s`);
  const s = await measureJoinStorm(base);
  rows.push({
    metric: "upgrades tried again after a failure",
    value: String(retriedUpgrades),
    note: "an upgrade reset or refused under load is retried (up to 3 tries); 0 means every socket opened first time",
  });
  rows.push({
    metric: `join storm: ${s.listeners} listeners, ${s.joiners} join at ${STORM_JOINS_PER_SECOND}/s`,
    value: `p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms`,
    note: `${s.receipts} of ${s.messages * s.listeners} receipts of ${s.messages} messages sent during the joins`,
  });
  return rows;
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
  await untilQuiet([...receivers, ...senders]);
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
    return [
      ...(await presence(platform.url, log)),
      ...(await fanout(platform.url, log)),
      ...(await throughput(platform.url, log)),
    ];
  },
};
