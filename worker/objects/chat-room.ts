import { DurableObject } from "cloudflare:workers";
import { PresenceBatcher } from "../chat/presence.ts";
import {
  byteLength,
  CHAT_LIMITS,
  CHAT_SUBPROTOCOL,
  type ChatMessage,
  checkText,
  HANDOFF_HEADERS,
  IDLE_CLOSE_CODE,
  isUserName,
  PING_FRAME,
  POLICY_CLOSE_CODE,
  PONG_FRAME,
  parseClientFrame,
  type Refusal,
  type ServerFrame,
  TOO_BIG_CLOSE_CODE,
  USER_RULE,
} from "../chat/protocol.ts";
import { SlidingWindowLimiter } from "../chat/rate-limiter.ts";
import { type Connection, ConnectionRegistry, readConnection } from "../chat/registry.ts";
import type { Env } from "../env.ts";
import { errorBody } from "../http/errors.ts";
import { clientSocketsOf } from "./client-sockets.ts";
import { tableExists } from "./sql.ts";

export type { Connection } from "../chat/registry.ts";

/** Result of posting a message over RPC: the stored message, or why it was refused (nothing stored). */
export type PostResult =
  | { readonly ok: true; readonly message: ChatMessage }
  | ({ readonly ok: false } & Refusal);

/** A page of the member list: everyone present is counted, at most `namesPerFrame` are named per page. */
export interface MemberPage {
  readonly count: number;
  readonly members: readonly string[];
  /** Pass as `after` (the route's `cursor`) for the next page; null on the last one. */
  readonly next: string | null;
}

export interface HistoryOptions {
  /** Only messages with a smaller id (paging back). */
  readonly before?: number;
  /** Stop before the JSON of the messages passes this many bytes (always at least one message). */
  readonly maxBytes?: number;
}

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

/** How stale a socket's stored `lastSeenAt` may get before a frame rewrites its attachment. */
const LAST_SEEN_PRECISION_MS = 1_000;

/**
 * A chat room: WebSocket clients through the Hibernation API, and its last messages in SQLite.
 *
 * `fetch` serves only the WebSocket upgrade; everything else is RPC (`post`, `history`, `members`). Sockets are
 * accepted with `ctx.acceptWebSocket`, so an idle room can leave memory while its sockets stay open. What the
 * instance keeps in memory is a cache (the connection registry, rebuilt from `getWebSockets()` and the attachments
 * on wake), presence not yet sent (at most one interval; a room with a pending timer is not idle, so it is never
 * evicted with news unsent) and the rate limiter (see rate-limiter.ts for why losing it is fine).
 *
 * Storage is created by the first write only (`post`, or the idle-check alarm of the first socket): reading a room
 * that holds nothing (history, members) answers the empty state without creating a database.
 */
export class ChatRoom extends DurableObject<Env> {
  private readonly limiter = new SlidingWindowLimiter(CHAT_LIMITS.rateMessages, CHAT_LIMITS.rateWindowMs);
  /** Refused frames per connection: a socket that keeps sending them is closed (see `refuseFrame`). */
  private readonly badFrames = new SlidingWindowLimiter(
    CHAT_LIMITS.badFramesPerWindow,
    CHAT_LIMITS.rateWindowMs,
  );
  private registryCache: ConnectionRegistry | undefined;
  private schemaReady = false;
  private idleCheckArmed = false;
  private readonly presence = new PresenceBatcher({
    intervalMs: CHAT_LIMITS.presenceIntervalMs,
    maxNames: CHAT_LIMITS.namesPerFrame,
    count: () => this.registry.memberCount,
    send: (frame) => this.broadcast(frame),
  });

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Heartbeats are answered by the runtime without waking a hibernated room; it records when it last did
    // (`getWebSocketAutoResponseTimestamp`), which is how the idle check knows a quiet socket is still alive.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  /** The open sockets: built from the runtime's list on first use after (re)construction, then kept current. */
  private get registry(): ConnectionRegistry {
    this.registryCache ??= ConnectionRegistry.fromSockets(this.ctx.getWebSockets());
    return this.registryCache;
  }

  /** The WebSocket upgrade (the route has checked the room name). Refusals are the contract's JSON errors. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return refuse(426, "upgrade_required", "This route expects a WebSocket upgrade (Upgrade: websocket).");
    }
    const url = new URL(request.url);
    const user = url.searchParams.get("user");
    if (!isUserName(user)) {
      return refuse(400, "invalid_user", `Join with ?user=NAME, where NAME is ${USER_RULE}.`);
    }
    const registry = this.registry;
    // The worker's client key (the one every limit uses: an IPv6 client is its /64), set by the worker itself.
    const client = request.headers.get(HANDOFF_HEADERS.client) ?? "unknown-client";
    const presented = request.headers.get(HANDOFF_HEADERS.resumeKey) ?? "";
    // A full room first lets go of sockets that went silent, so idle squatters cannot keep others out.
    if (registry.socketCount >= CHAT_LIMITS.maxSockets) this.closeIdle();
    const refused = this.admissionRefusal(user, client, presented);
    if (refused) return refused;

    // Then the client's sockets across rooms (a refused socket above was never counted there).
    const connectionId = crypto.randomUUID();
    const admission = await clientSocketsOf(this.env, client)
      .admit(client, this.ctx.id.toString(), connectionId)
      .catch((error: unknown) => {
        // The bound across rooms must not take chat down with it: admit, and say so in the log.
        console.warn(`chat: per-client socket count unavailable, admitting: ${String(error)}`);
        return { ok: true } as const;
      });
    if (!admission.ok) {
      return refuse(
        429,
        "too_many_sockets",
        `One client may hold at most ${CHAT_LIMITS.socketsPerClientTotal} sockets across all rooms; close one first.`,
      );
    }
    // Other events ran while the count answered: the room may have filled, or the name been taken, meanwhile.
    const refusedNow = this.admissionRefusal(user, client, presented);
    if (refusedNow) {
      this.releaseSocket(client, connectionId);
      return refusedNow;
    }
    const presentKey = registry.resumeKeyOf(user);
    const now = Date.now();
    const self: Connection = {
      user,
      connectionId,
      joinedAt: now,
      client,
      resumeKey: presentKey ?? newKey(),
      lastSeenAt: now,
    };
    const { 0: peer, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [user]);
    server.serializeAttachment(self);
    const arrived = registry.add(server, self);
    send(server, {
      type: "welcome",
      you: user,
      resumeKey: self.resumeKey,
      count: registry.memberCount,
      members: registry.page(CHAT_LIMITS.namesPerFrame).names,
      history: this.history(CHAT_LIMITS.welcomeHistory, { maxBytes: CHAT_LIMITS.welcomeHistoryBytes }),
    });
    // One arrival per person: a second tab of someone already here is not news to the room.
    if (arrived) this.presence.arrived(user);
    await this.armIdleCheck();
    const headers = new Headers({
      // No compression: a frame that inflates to megabytes would be inflated before the room could refuse it. An
      // empty value is the runtime's way to refuse permessage-deflate (workerd's web_socket_compression flag).
      "Sec-WebSocket-Extensions": "",
    });
    if (request.headers.get(HANDOFF_HEADERS.subprotocol) === CHAT_SUBPROTOCOL)
      headers.set("Sec-WebSocket-Protocol", CHAT_SUBPROTOCOL);
    return new Response(null, { status: 101, webSocket: peer, headers });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const self = this.connectionOf(ws);
    if (!self) {
      // Only sockets this class accepted reach here, all with attachments; never guess who is talking.
      ws.close(1011, "connection state lost");
      return;
    }
    const now = Date.now();
    this.seen(ws, self, now);
    // Bounded before anything else looks at it: no valid frame is this long, so it is not parsed at all.
    const size = typeof data === "string" ? data.length : data.byteLength;
    if (size > CHAT_LIMITS.maxFrameChars) {
      this.closeFor(ws, TOO_BIG_CLOSE_CODE, `frames are at most ${CHAT_LIMITS.maxFrameChars} characters`);
      return;
    }
    if (typeof data !== "string") {
      this.refuseFrame(ws, self, now, {
        code: "binary_frame",
        message: "Send frames as JSON text, not binary.",
      });
      return;
    }
    const parsed = parseClientFrame(data);
    if (!parsed.ok) {
      this.refuseFrame(ws, self, now, parsed);
      return;
    }
    if (parsed.frame.type === "ping") {
      ws.send(PONG_FRAME);
      return;
    }
    // Only accepted messages count toward the limit, so refused frames never extend a client's wait.
    if (!this.limiter.allows(self.connectionId, now)) {
      send(ws, {
        type: "error",
        code: "rate_limited",
        message: `Slow down: at most ${CHAT_LIMITS.rateMessages} messages per ${CHAT_LIMITS.rateWindowMs / 1000} s; this one was dropped.`,
      });
      return;
    }
    const result = this.publish(self.user, parsed.frame.text);
    if (result.ok) this.limiter.record(self.connectionId, now);
    else this.refuseFrame(ws, self, now, result);
  }

  /**
   * Answers a refused frame with an error frame; the one refused frame too many in a window closes the socket
   * (1008), so a client cannot make the room parse and refuse without end.
   */
  private refuseFrame(ws: WebSocket, self: Connection, now: number, refusal: Refusal): void {
    if (!this.badFrames.allows(self.connectionId, now)) {
      this.closeFor(
        ws,
        POLICY_CLOSE_CODE,
        `more than ${CHAT_LIMITS.badFramesPerWindow} refused frames in ${CHAT_LIMITS.rateWindowMs / 1000} s`,
      );
      return;
    }
    this.badFrames.record(self.connectionId, now);
    send(ws, { type: "error", code: refusal.code, message: refusal.message });
  }

  /** Closes a socket the room gives up on, and announces the departure at once (its close event may never come). */
  private closeFor(ws: WebSocket, code: number, reason: string): void {
    this.depart(ws);
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
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

  /** The idle check: close silent sockets, and look again in one idle period while any socket is open. */
  override async alarm(): Promise<void> {
    this.idleCheckArmed = false;
    this.closeIdle();
    if (this.registry.socketCount > 0) {
      await this.armIdleCheck();
      return;
    }
    // Nobody here: the room sleeps until its history expires, and then forgets it.
    const last = this.hasSchema()
      ? this.ctx.storage.sql.exec<{ at: number | null }>("SELECT MAX(at) AS at FROM messages").one().at
      : null;
    if (last === null || last <= Date.now() - CHAT_LIMITS.historyExpiryMs) {
      await this.ctx.storage.deleteAll();
      this.schemaReady = false;
    } else {
      await this.ctx.storage.setAlarm(last + CHAT_LIMITS.historyExpiryMs);
    }
  }

  /**
   * Closes (code 4408) every socket that sent no frame and no heartbeat for `idleCloseMs` before `now`, and returns
   * how many. A heartbeat answered by the runtime while the room slept counts: the runtime keeps its time.
   */
  closeIdle(now: number = Date.now()): number {
    const silentSince = now - CHAT_LIMITS.idleCloseMs;
    const idle = [...this.registry.entries()].filter(([ws, c]) => {
      const heartbeat = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      return Math.max(c.lastSeenAt, heartbeat) <= silentSince;
    });
    for (const [ws] of idle) {
      this.depart(ws);
      try {
        ws.close(IDLE_CLOSE_CODE, `silent for ${CHAT_LIMITS.idleCloseMs / 1000} s`);
      } catch {
        // Already closing.
      }
    }
    return idle.length;
  }

  /**
   * `POST /api/rooms/:name/messages` over RPC: posts as `user`, who must not be someone present in the room unless
   * `resumeKey` is the key of that person's welcome (as for a second socket), so nobody speaks in a present
   * person's name.
   */
  post(user: string, text: string, resumeKey?: string): PostResult {
    const presentKey = this.registry.resumeKeyOf(user);
    if (presentKey !== undefined && !sameKey(resumeKey ?? "", presentKey)) {
      return { ok: false, code: "name_taken", message: nameTakenMessage(user) };
    }
    return this.publish(user, text);
  }

  /**
   * An operator's post (the scheduler's `chat.post` action, scheduled with the admin token): trusted with any
   * name, present or not.
   */
  postAsOperator(user: string, text: string): PostResult {
    return this.publish(user, text);
  }

  /**
   * Stores a message and sends it to every socket in the room, the sender's included (its copy carries the id and
   * server time). It goes out at once, in this event: pending presence has a timer of its own and never delays a
   * message.
   */
  private publish(user: string, text: string): PostResult {
    if (!isUserName(user)) return { ok: false, code: "invalid_user", message: `user must be ${USER_RULE}.` };
    const refusal = checkText(text);
    if (refusal) return { ok: false, ...refusal };
    this.createSchema();
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
    // The alarm that will expire the history once the room is empty and quiet (see `alarm`).
    if (!this.idleCheckArmed) this.ctx.waitUntil(this.armIdleCheck());
    const message = toMessage(row);
    this.broadcast({ type: "message", ...message });
    return { ok: true, message };
  }

  /**
   * The last `limit` messages (before `options.before` when given), oldest first, cut to at most
   * `options.maxBytes` of message JSON (default `responseBytes`) by leaving out the oldest.
   */
  history(limit: number = CHAT_LIMITS.defaultLimit, options: HistoryOptions = {}): ChatMessage[] {
    if (!this.hasSchema()) return [];
    const bounded = Math.max(1, Math.min(Math.trunc(limit) || 1, CHAT_LIMITS.historyKept));
    const before = options.before ?? Number.MAX_SAFE_INTEGER;
    const maxBytes = Math.min(options.maxBytes ?? CHAT_LIMITS.responseBytes, CHAT_LIMITS.responseBytes);
    const rows = this.ctx.storage.sql.exec<MessageRow>(
      "SELECT id, user, text, at FROM messages WHERE id < ? ORDER BY id DESC LIMIT ?",
      before,
      bounded,
    );
    const newestFirst: ChatMessage[] = [];
    let bytes = 0;
    for (const row of rows) {
      const message = toMessage(row);
      bytes += byteLength(JSON.stringify(message));
      if (newestFirst.length > 0 && bytes > maxBytes) break;
      newestFirst.push(message);
    }
    return newestFirst.reverse();
  }

  /** Why an upgrade is refused by this room's own limits and names, or undefined when it may join. */
  private admissionRefusal(user: string, client: string, presented: string): Response | undefined {
    const registry = this.registry;
    if (registry.socketCount >= CHAT_LIMITS.maxSockets) {
      return refuse(
        503,
        "room_full",
        `This room already has ${CHAT_LIMITS.maxSockets} connections; try again later.`,
      );
    }
    if (registry.socketsOf(client) >= CHAT_LIMITS.socketsPerClient) {
      return refuse(
        429,
        "too_many_sockets",
        `One client may hold at most ${CHAT_LIMITS.socketsPerClient} sockets in a room; close one first.`,
      );
    }
    // No silent impersonation: a name in use takes a second socket only with the key its first welcome gave.
    const presentKey = registry.resumeKeyOf(user);
    if (presentKey !== undefined && !sameKey(presented, presentKey)) {
      return refuse(409, "name_taken", nameTakenMessage(user));
    }
    return undefined;
  }

  /** Which of these connection ids are open sockets of this room (asked by ClientSockets, see there). */
  openConnections(connectionIds: readonly string[]): string[] {
    return connectionIds.filter((id) => this.registry.has(id));
  }

  /** Tells the client's count that a socket went; never holds up or fails the room's own event. */
  private releaseSocket(client: string, connectionId: string): void {
    this.ctx.waitUntil(
      clientSocketsOf(this.env, client)
        .release(connectionId)
        .catch((error: unknown) =>
          console.warn(`chat: could not release a socket of ${client}: ${String(error)}`),
        ),
    );
  }

  /** Who is here: the count, and one page of names in sorted order after `after`. */
  members(after?: string): MemberPage {
    const registry = this.registry;
    const { names, next } = registry.page(CHAT_LIMITS.namesPerFrame, after);
    return { count: registry.memberCount, members: names, next };
  }

  private hasSchema(): boolean {
    if (!this.schemaReady) {
      this.schemaReady = tableExists(this.ctx.storage.sql, "messages");
    }
    return this.schemaReady;
  }

  private createSchema(): void {
    if (this.schemaReady) return;
    this.ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user TEXT NOT NULL,
        text TEXT NOT NULL,
        at INTEGER NOT NULL
      )`,
    );
    this.schemaReady = true;
  }

  private async armIdleCheck(): Promise<void> {
    if (this.idleCheckArmed) return;
    this.idleCheckArmed = true;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + CHAT_LIMITS.idleCloseMs);
    }
  }

  /** What a socket carries, from its attachment; a socket missing from the cache is put back in it. */
  private connectionOf(ws: WebSocket): Connection | undefined {
    const c = readConnection(ws.deserializeAttachment());
    if (c && !c.departed && !this.registry.has(c.connectionId) && ws.readyState === WebSocket.OPEN) {
      if (this.registry.add(ws, c)) this.presence.arrived(c.user);
    }
    return c;
  }

  /** Records that a client spoke, in its attachment too (so it survives hibernation), at most once a second. */
  private seen(ws: WebSocket, c: Connection, now: number): void {
    if (now - c.lastSeenAt < LAST_SEEN_PRECISION_MS) return;
    const updated = { ...c, lastSeenAt: now };
    ws.serializeAttachment(updated);
    this.registry.update(updated);
  }

  private broadcast(frame: ServerFrame): void {
    const text = JSON.stringify(frame);
    for (const [ws] of this.registry.entries()) {
      try {
        ws.send(text);
      } catch {
        // The peer went away between its close and our close event; that event does the bookkeeping.
      }
    }
  }

  /**
   * Forgets a socket that closed or was closed, and announces its person's departure when it was their last. Once
   * per socket: the attachment is marked, so a close event after the room closed the socket itself is ignored.
   * A room woken from hibernation by this very close has rebuilt its registry without the closing socket: the
   * person left if no other socket of theirs is open.
   */
  private depart(ws: WebSocket): void {
    const c = readConnection(ws.deserializeAttachment());
    if (!c || c.departed) return;
    try {
      ws.serializeAttachment({ ...c, departed: true });
    } catch {
      // A socket already closed takes no attachment; it has no later event either.
    }
    this.limiter.forget(c.connectionId);
    this.badFrames.forget(c.connectionId);
    this.releaseSocket(c.client, c.connectionId);
    const removed = this.registry.remove(c.connectionId);
    const lastOfUser = removed ? removed.lastOfUser : this.registry.resumeKeyOf(c.user) === undefined;
    if (lastOfUser) this.presence.departed(c.user);
  }
}

const KEY_BYTES = 16;

/** A resume key: 128 random bits, base64url. */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/**
 * Compares a presented key with the stored one in time that does not depend on where they differ (keys have a
 * fixed, public length). An empty stored key (a socket from before resume keys) matches nothing.
 */
function sameKey(given: string, expected: string): boolean {
  if (expected === "" || given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

function nameTakenMessage(user: string): string {
  return `Someone named ${user} is in this room. Pick another name, or present the resume key of your own welcome.`;
}

function send(ws: WebSocket, frame: ServerFrame): void {
  ws.send(JSON.stringify(frame));
}

function refuse(status: number, code: string, message: string): Response {
  return Response.json(errorBody(code, message), { status });
}
