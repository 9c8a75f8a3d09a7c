import { SELF } from "cloudflare:test";
import type { ServerFrame } from "../../../worker/chat/protocol.ts";

/** A client socket inside the test runtime, opened through the worker's real route, with a queue of frames. */
export interface TestSocket {
  readonly ws: WebSocket;
  /** The next frame not yet taken (waits for it). */
  next(): Promise<ServerFrame>;
  /** Takes frames until one of `type` arrives and returns it; the skipped ones are returned too, for asserting. */
  nextOf<T extends ServerFrame["type"]>(type: T): Promise<Extract<ServerFrame, { type: T }>>;
  /** The next frame that is not presence (arrivals and departures come on a timer of their own). */
  nextChat(): Promise<Exclude<ServerFrame, { type: "presence" }>>;
  /** Frames received and not yet taken. */
  pending(): readonly ServerFrame[];
  send(frame: unknown): void;
  /** Resolves when the socket is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

const opened: WebSocket[] = [];

/** The raw upgrade through the worker's route (for asserting on refusals). */
export function upgrade(room: string, user: string, options: ConnectOptions = {}): Promise<Response> {
  const url = new URL(`https://platform.test/api/rooms/${room}/ws`);
  url.searchParams.set("user", user);
  if (options.resumeKey !== undefined) url.searchParams.set("resumeKey", options.resumeKey);
  return SELF.fetch(url, {
    // What a real client sends (RFC 6455); the route refuses an upgrade without them (the runtime would).
    headers: {
      Upgrade: "websocket",
      "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version": "13",
      ...(options.client ? { "cf-connecting-ip": options.client } : {}),
      ...(options.protocols ? { "Sec-WebSocket-Protocol": options.protocols.join(", ") } : {}),
    },
  });
}

/** Closes every socket `connect` opened (call from `afterEach`), so no test leaves a peer hanging. */
/**
 * Closes every socket a test opened and waits for the room to answer each close, then a moment more: the room
 * finishes a departure (its presence frame, the client's socket count in ClientSockets) after the handshake, and work
 * still running in the runtime when a file's last test ends can outlive the test runner's connection to it.
 */
export async function closeAll(): Promise<void> {
  const closing = opened.splice(0).map(
    (ws) =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        const timer = setTimeout(resolve, 1000);
        ws.addEventListener("close", () => {
          clearTimeout(timer);
          resolve();
        });
        if (ws.readyState === WebSocket.OPEN) ws.close(1000, "test over");
      }),
  );
  await Promise.all(closing);
  await new Promise((resolve) => setTimeout(resolve, 50));
}

export interface ConnectOptions {
  /** Stands for the client's address (the per-client socket cap counts by it); absent = one shared client. */
  readonly client?: string;
  /** The `resumeKey` of a welcome, to open a second socket under a name in use (sent as `?resumeKey=`). */
  readonly resumeKey?: string;
  /** Subprotocols to offer (`Sec-WebSocket-Protocol`). */
  readonly protocols?: readonly string[];
}

export async function connect(room: string, user: string, options: ConnectOptions = {}): Promise<TestSocket> {
  const res = await upgrade(room, user, options);
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  ws.accept();
  opened.push(ws);
  const queue: ServerFrame[] = [];
  const waiters: ((frame: ServerFrame) => void)[] = [];
  ws.addEventListener("message", (event) => {
    const frame = JSON.parse(String(event.data)) as ServerFrame;
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else queue.push(frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason })),
  );
  const next = () => {
    const frame = queue.shift();
    return frame ? Promise.resolve(frame) : new Promise<ServerFrame>((resolve) => waiters.push(resolve));
  };
  return {
    ws,
    next,
    async nextOf(type) {
      for (;;) {
        const frame = await next();
        if (frame.type === type) return frame as never;
      }
    },
    async nextChat() {
      for (;;) {
        const frame = await next();
        if (frame.type !== "presence") return frame;
      }
    },
    pending: () => [...queue],
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    closed,
  };
}
