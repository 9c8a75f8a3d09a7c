import WebSocket from "ws";
import type { ServerFrame } from "../../worker/chat/protocol.ts";

/** Why an upgrade was refused: the HTTP status and the contract's JSON body. */
export class UpgradeRefused extends Error {
  override readonly name = "UpgradeRefused";
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`upgrade refused with ${status}: ${JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * A real WebSocket client of a chat room (the `ws` package), for the artifact tests and the benchmark. Frames are
 * queued as they arrive, so a test takes them in order with `next()` and never misses one sent early.
 */
export class ChatClient {
  private readonly queue: ServerFrame[] = [];
  private readonly waiters: { resolve: (f: ServerFrame) => void; reject: (e: Error) => void }[] = [];
  private closedWith: { code: number; reason: string } | undefined;
  /** Called for every frame as it arrives (before it is queued), with the arrival time from performance.now(). */
  onFrame: ((frame: ServerFrame, receivedAt: number) => void) | undefined;
  /** Set to false to drop frames instead of queueing them (load tests that only count). */
  keep = true;
  readonly closed: Promise<{ code: number; reason: string }>;

  readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data, isBinary) => {
      const receivedAt = performance.now();
      if (isBinary) return;
      const frame = JSON.parse(String(data)) as ServerFrame;
      this.onFrame?.(frame, receivedAt);
      if (!this.keep) return;
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(frame);
      else this.queue.push(frame);
    });
    this.closed = new Promise((resolve) =>
      socket.on("close", (code, reason) => {
        this.closedWith = { code, reason: String(reason) };
        for (const w of this.waiters.splice(0)) w.reject(new Error(`socket closed (${code}) while waiting`));
        resolve(this.closedWith);
      }),
    );
  }

  /** The room's WebSocket URL on a platform base URL. */
  static url(base: URL, room: string, user: string): URL {
    const url = new URL(`/api/rooms/${encodeURIComponent(room)}/ws`, base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("user", user);
    return url;
  }

  /**
   * Opens a socket; rejects with `UpgradeRefused` (status and JSON body) when the server refuses the upgrade.
   * `headers` go with the upgrade request: locally `CF-Connecting-IP` stands for a distinct client (Miniflare keeps
   * a client's own value; Cloudflare's edge overwrites it).
   */
  static connect(
    base: URL,
    room: string,
    user: string,
    options: {
      readonly headers?: Record<string, string>;
      readonly resumeKey?: string;
      /** Offer permessage-deflate, as browsers do (default); false to offer no compression. */
      readonly compression?: boolean;
    } = {},
  ): Promise<ChatClient> {
    return new Promise((resolve, reject) => {
      const url = ChatClient.url(base, room, user);
      if (options.resumeKey !== undefined) url.searchParams.set("resumeKey", options.resumeKey);
      const socket = new WebSocket(url, {
        headers: options.headers,
        perMessageDeflate: options.compression ?? true,
      });
      const client = new ChatClient(socket);
      socket.once("open", () => resolve(client));
      // Not once: ws may emit a second error (e.g. a reset after a refused upgrade), which must not crash the process.
      socket.on("error", reject);
      socket.once("unexpected-response", (_req, res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // keep the text
          }
          reject(new UpgradeRefused(res.statusCode ?? 0, body));
          socket.terminate();
        });
      });
    });
  }

  next(): Promise<ServerFrame> {
    const frame = this.queue.shift();
    if (frame) return Promise.resolve(frame);
    if (this.closedWith) return Promise.reject(new Error(`socket closed (${this.closedWith.code})`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Skips frames until one of `type` arrives. */
  async nextOf<T extends ServerFrame["type"]>(type: T): Promise<Extract<ServerFrame, { type: T }>> {
    for (;;) {
      const frame = await this.next();
      if (frame.type === type) return frame as Extract<ServerFrame, { type: T }>;
    }
  }

  /** The next frame that is not presence (arrivals and departures come on a timer of their own). */
  async nextChat(): Promise<Exclude<ServerFrame, { type: "presence" }>> {
    for (;;) {
      const frame = await this.next();
      if (frame.type !== "presence") return frame;
    }
  }

  /** Frames received and not yet taken. */
  pending(): readonly ServerFrame[] {
    return [...this.queue];
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  sendMessage(text: string): void {
    this.send({ type: "message", text });
  }

  async close(code = 1000, reason = "bye"): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(code, reason);
    await this.closed;
  }
}
