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
  /** Who opened it (the worker's client key: the address, an IPv6 client's /64), for the per-client caps. */
  readonly client: string;
  /** The key a second socket under the same name must present; shared by all sockets of one name. */
  readonly resumeKey: string;
  /** Epoch milliseconds of the last frame the client sent (heartbeats answered by the runtime not included). */
  readonly lastSeenAt: number;
  /** Set once the room has counted the socket's departure (it closed it itself, or saw it close). */
  readonly departed?: true;
}

/**
 * Reads an attachment. Sockets accepted by an earlier version carry only `user`, `connectionId` and `joinedAt`:
 * they keep working, with an empty resume key (no second socket may join under that name) and client "unknown".
 */
export function readConnection(value: unknown): Connection | undefined {
  const c = value as Partial<Connection> | null;
  if (typeof c?.user !== "string" || typeof c.connectionId !== "string" || typeof c.joinedAt !== "number") {
    return undefined;
  }
  return {
    user: c.user,
    connectionId: c.connectionId,
    joinedAt: c.joinedAt,
    client: typeof c.client === "string" ? c.client : "unknown-client",
    resumeKey: typeof c.resumeKey === "string" ? c.resumeKey : "",
    lastSeenAt: typeof c.lastSeenAt === "number" ? c.lastSeenAt : c.joinedAt,
    ...(c.departed === true ? { departed: true as const } : {}),
  };
}

/**
 * The room's open sockets, in memory. It is only a cache: the runtime's `getWebSockets()` and each socket's
 * attachment are the truth, and a room woken from hibernation rebuilds it from them (`fromSockets`). With it a
 * broadcast is one serialization and n sends, and a join or leave costs a few map lookups plus one sorted-array
 * insert, instead of deserializing every attachment again. Sockets are keyed by `connectionId` (from the
 * attachment), so nothing depends on the runtime handing out the same WebSocket object in every event.
 */
export class ConnectionRegistry {
  private readonly sockets = new Map<string, { ws: WebSocket; connection: Connection }>();
  private readonly users = new Map<string, { sockets: number; resumeKey: string }>();
  private readonly clients = new Map<string, number>();
  /** Distinct user names, sorted by code unit (names are ASCII), for the welcome and member pages. */
  private readonly names: string[] = [];

  /** Rebuilds the cache from the runtime's sockets; a socket that is closing or carries no attachment is skipped. */
  static fromSockets(sockets: readonly WebSocket[]): ConnectionRegistry {
    const registry = new ConnectionRegistry();
    for (const ws of sockets) {
      const c = readConnection(ws.deserializeAttachment());
      if (c && !c.departed && ws.readyState === WebSocket.OPEN) registry.add(ws, c);
    }
    return registry;
  }

  /** Adds a socket; true when it is its user's first (the person arrived). */
  add(ws: WebSocket, c: Connection): boolean {
    if (this.sockets.has(c.connectionId)) return false;
    this.sockets.set(c.connectionId, { ws, connection: c });
    this.clients.set(c.client, (this.clients.get(c.client) ?? 0) + 1);
    const user = this.users.get(c.user);
    if (user) {
      user.sockets++;
      return false;
    }
    this.users.set(c.user, { sockets: 1, resumeKey: c.resumeKey });
    this.names.splice(this.insertionPoint(c.user), 0, c.user);
    return true;
  }

  /** Removes a socket; says whether it was its user's last (the person left). Unknown sockets: undefined. */
  remove(
    connectionId: string,
  ): { readonly connection: Connection; readonly lastOfUser: boolean } | undefined {
    const entry = this.sockets.get(connectionId);
    if (!entry) return undefined;
    const c = entry.connection;
    this.sockets.delete(connectionId);
    const perClient = (this.clients.get(c.client) ?? 1) - 1;
    if (perClient > 0) this.clients.set(c.client, perClient);
    else this.clients.delete(c.client);
    const user = this.users.get(c.user)!;
    if (--user.sockets > 0) return { connection: c, lastOfUser: false };
    this.users.delete(c.user);
    this.names.splice(this.insertionPoint(c.user), 1);
    return { connection: c, lastOfUser: true };
  }

  has(connectionId: string): boolean {
    return this.sockets.has(connectionId);
  }

  /** Replaces what the cache holds for a socket (same user and client), e.g. a newer `lastSeenAt`. */
  update(c: Connection): void {
    const entry = this.sockets.get(c.connectionId);
    if (entry) entry.connection = c;
  }

  /** Every open socket with what it carries. */
  *entries(): IterableIterator<readonly [WebSocket, Connection]> {
    for (const { ws, connection } of this.sockets.values()) yield [ws, connection];
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  /** People present (distinct names). */
  get memberCount(): number {
    return this.names.length;
  }

  socketsOf(client: string): number {
    return this.clients.get(client) ?? 0;
  }

  /** The resume key of a present user, or undefined when nobody of that name is here. */
  resumeKeyOf(user: string): string | undefined {
    return this.users.get(user)?.resumeKey;
  }

  /** Up to `limit` names sorted after `after` (from the start without it), and the cursor of the next page. */
  page(limit: number, after?: string): { readonly names: string[]; readonly next: string | null } {
    let start = 0;
    if (after !== undefined) {
      start = this.insertionPoint(after);
      if (this.names[start] === after) start++;
    }
    const names = this.names.slice(start, start + limit);
    const next = start + limit < this.names.length ? names.at(-1)! : null;
    return { names, next };
  }

  /** Index of `name` in the sorted names, or where it would go. */
  private insertionPoint(name: string): number {
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.names[mid]! < name) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
