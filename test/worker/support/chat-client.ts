import { SELF } from "cloudflare:test";
import type { ServerFrame } from "../../../worker/chat/protocol.ts";

/** A client socket inside the test runtime, opened through the worker's real route, with a queue of frames. */
export interface TestSocket {
  readonly ws: WebSocket;
  /** The next frame not yet taken (waits for it). */
  next(): Promise<ServerFrame>;
  /** Takes frames until one of `type` arrives and returns it; the skipped ones are returned too, for asserting. */
  nextOf<T extends ServerFrame["type"]>(type: T): Promise<Extract<ServerFrame, { type: T }>>;
  send(frame: unknown): void;
  /** Resolves when the socket is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

const opened: WebSocket[] = [];

/** Closes every socket `connect` opened (call from `afterEach`), so no test leaves a peer hanging. */
export function closeAll(): void {
  for (const ws of opened.splice(0)) {
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, "test over");
  }
}

export async function connect(room: string, user: string): Promise<TestSocket> {
  const res = await SELF.fetch(`https://platform.test/api/rooms/${room}/ws?user=${user}`, {
    // What a real client sends (RFC 6455); the route refuses an upgrade without them (the runtime would).
    headers: {
      Upgrade: "websocket",
      "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version": "13",
    },
  });
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
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    closed,
  };
}
