import { DurableObject } from "cloudflare:workers";
import {
  CHAT_LIMITS,
  type ChatMessage,
  checkText,
  isUserName,
  PING_FRAME,
  PONG_FRAME,
  parseClientFrame,
  type Refusal,
  type ServerFrame,
  USER_RULE,
} from "../chat/protocol.ts";
import { SlidingWindowLimiter } from "../chat/rate-limiter.ts";
import type { Env } from "../env.ts";
import { errorBody } from "../http/errors.ts";

/**
 * What each socket carries through hibernation (`serializeAttachment`): when the runtime evicts an idle room and
 * wakes it for the next frame, this is all the room knows about the connection.
 */
export interface Connection {
  readonly user: string;
  /** Unique per socket: one user may hold several (two tabs). */
  readonly connectionId: string;
  /** Epoch milliseconds of the upgrade. */
  readonly joinedAt: number;
}

/** Result of posting a message over RPC: the stored message, or why it was refused (nothing stored). */
export type PostResult =
  | { readonly ok: true; readonly message: ChatMessage }
  | ({ readonly ok: false } & Refusal);

interface MessageRow extends Record<string, SqlStorageValue> {
  id: number;
  user: string;
  text: string;
  at: number;
}

const toMessage = (row: MessageRow): ChatMessage => ({
  id: row.id,
  user: row.user,
  text: row.text,
  at: new Date(row.at).toISOString(),
});

function isConnection(value: unknown): value is Connection {
  const c = value as Partial<Connection> | null;
  return typeof c?.user === "string" && typeof c.connectionId === "string" && typeof c.joinedAt === "number";
}

/**
 * A chat room: WebSocket clients through the Hibernation API, and its last messages in SQLite.
 *
 * `fetch` serves only the WebSocket upgrade; everything else is RPC (`post`, `history`). Sockets are accepted with
 * `ctx.acceptWebSocket`, so an idle room can leave memory while its sockets stay open: nothing here may rely on
 * instance fields surviving between events except the rate limiter (see rate-limiter.ts for why that is fine).
 */
export class ChatRoom extends DurableObject<Env> {
  private readonly limiter = new SlidingWindowLimiter(CHAT_LIMITS.rateMessages, CHAT_LIMITS.rateWindowMs);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(
        `CREATE TABLE IF NOT EXISTS messages (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          user TEXT NOT NULL,
          text TEXT NOT NULL,
          at INTEGER NOT NULL
        )`,
      );
    });
    // Heartbeats are answered by the runtime without waking a hibernated room.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  /** The WebSocket upgrade (the route has checked the room name). Refusals are the contract's JSON errors. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return refuse(426, "upgrade_required", "This route expects a WebSocket upgrade (Upgrade: websocket).");
    }
    const user = new URL(request.url).searchParams.get("user");
    if (!isUserName(user)) {
      return refuse(400, "invalid_user", `Join with ?user=NAME, where NAME is ${USER_RULE}.`);
    }
    if (this.ctx.getWebSockets().length >= CHAT_LIMITS.maxSockets) {
      return refuse(
        503,
        "room_full",
        `This room already has ${CHAT_LIMITS.maxSockets} connections; try again later.`,
      );
    }

    const present = this.connections();
    const { 0: client, 1: server } = new WebSocketPair();
    const self: Connection = { user, connectionId: crypto.randomUUID(), joinedAt: Date.now() };
    this.ctx.acceptWebSocket(server, [user]);
    server.serializeAttachment(self);

    send(server, {
      type: "welcome",
      you: user,
      members: [...new Set([user, ...present.map((c) => c.user)])].sort(),
      history: this.history(CHAT_LIMITS.welcomeHistory),
    });
    // One join per person: a second tab of someone already here is not news to the room.
    if (!present.some((c) => c.user === user)) this.broadcast({ type: "join", user }, self.connectionId);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const self = ws.deserializeAttachment() as unknown;
    if (!isConnection(self)) {
      // Only sockets this class accepted reach here, all with attachments; never guess who is talking.
      ws.close(1011, "connection state lost");
      return;
    }
    if (!this.limiter.allow(self.connectionId, Date.now())) {
      send(ws, {
        type: "error",
        code: "rate_limited",
        message: `Slow down: at most ${CHAT_LIMITS.rateMessages} frames per ${CHAT_LIMITS.rateWindowMs / 1000} s; this one was dropped.`,
      });
      return;
    }
    if (typeof data !== "string") {
      send(ws, { type: "error", code: "binary_frame", message: "Send frames as JSON text, not binary." });
      return;
    }
    const parsed = parseClientFrame(data);
    if (!parsed.ok) {
      send(ws, { type: "error", code: parsed.code, message: parsed.message });
      return;
    }
    if (parsed.frame.type === "ping") {
      ws.send(PONG_FRAME);
      return;
    }
    const result = this.post(self.user, parsed.frame.text);
    if (!result.ok) send(ws, { type: "error", code: result.code, message: result.message });
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.depart(ws);
    // Complete the closing handshake. web_socket_auto_reply_to_close (on from our compatibility date) does it for
    // accept()ed sockets, but a hibernatable socket still reaches this handler CLOSING in workerd 1.20260426, and
    // the peer would wait for our close frame. Where the runtime has replied already, close() is ignored.
    try {
      ws.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason);
    } catch {
      // Already closed.
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.depart(ws);
  }

  /**
   * Stores a message and sends it to every socket in the room, the sender's included (its copy carries the id and
   * server time). Used by the WebSocket frames and by `POST /api/rooms/:name/messages` over RPC.
   */
  post(user: string, text: string): PostResult {
    if (!isUserName(user)) return { ok: false, code: "invalid_user", message: `user must be ${USER_RULE}.` };
    const refusal = checkText(text);
    if (refusal) return { ok: false, ...refusal };
    const row = this.ctx.storage.sql
      .exec<MessageRow>(
        "INSERT INTO messages (user, text, at) VALUES (?, ?, ?) RETURNING id, user, text, at",
        user,
        text,
        Date.now(),
      )
      .one();
    // Ids only grow (AUTOINCREMENT), so the newest `historyKept` messages are exactly those above this bound.
    this.ctx.storage.sql.exec("DELETE FROM messages WHERE id <= ?", row.id - CHAT_LIMITS.historyKept);
    const message = toMessage(row);
    this.broadcast({ type: "message", ...message });
    return { ok: true, message };
  }

  /** The last `limit` messages, oldest first. */
  history(limit: number = CHAT_LIMITS.defaultLimit): ChatMessage[] {
    const bounded = Math.max(1, Math.min(Math.trunc(limit) || 1, CHAT_LIMITS.historyKept));
    return this.ctx.storage.sql
      .exec<MessageRow>("SELECT id, user, text, at FROM messages ORDER BY id DESC LIMIT ?", bounded)
      .toArray()
      .reverse()
      .map(toMessage);
  }

  /** User names with an open socket, each once, sorted. */
  members(): string[] {
    return [...new Set(this.connections().map((c) => c.user))].sort();
  }

  /** The open sockets and what they carry. A socket that is closing is no longer a member. */
  private connections(except?: string): (Connection & { readonly ws: WebSocket })[] {
    return this.ctx.getWebSockets().flatMap((ws) => {
      const c = ws.deserializeAttachment() as unknown;
      if (!isConnection(c) || c.connectionId === except || ws.readyState !== WebSocket.OPEN) return [];
      return [{ ...c, ws }];
    });
  }

  private broadcast(frame: ServerFrame, except?: string): void {
    const text = JSON.stringify(frame);
    for (const { ws } of this.connections(except)) {
      try {
        ws.send(text);
      } catch {
        // The peer went away between the check and the send; its close event does the bookkeeping.
      }
    }
  }

  private depart(ws: WebSocket): void {
    const self = ws.deserializeAttachment() as unknown;
    if (!isConnection(self)) return;
    this.limiter.forget(self.connectionId);
    const stillHere = this.connections(self.connectionId).some((c) => c.user === self.user);
    if (!stillHere) this.broadcast({ type: "leave", user: self.user }, self.connectionId);
  }
}

function send(ws: WebSocket, frame: ServerFrame): void {
  ws.send(JSON.stringify(frame));
}

function refuse(status: number, code: string, message: string): Response {
  return Response.json(errorBody(code, message), { status });
}
