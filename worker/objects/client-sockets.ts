import { DurableObject } from "cloudflare:workers";
import { CHAT_LIMITS } from "../chat/protocol.ts";
import type { Env } from "../env.ts";
import { stubById, stubByName } from "../http/stubs.ts";

/** Whether a client may open one more socket, and how many it holds across rooms. */
export type SocketAdmission = { readonly ok: true } | { readonly ok: false; readonly held: number };

interface SocketRow extends Record<string, SqlStorageValue> {
  connection_id: string;
  room_id: string;
}

/**
 * Clients are spread over this many objects by a hash of their key: one object per client would make every new
 * client's first socket create an object (a 1,000-client room filled about four times slower that way).
 */
const SHARDS = 64;

/** The object that counts `client`'s sockets (FNV-1a of the client key, modulo SHARDS). */
export function clientSocketsOf(env: Env, client: string) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < client.length; i++) hash = Math.imul(hash ^ client.charCodeAt(i), 0x01000193);
  return stubByName(env, "CLIENT_SOCKETS", `shard-${(hash >>> 0) % SHARDS}`);
}

/**
 * The open chat sockets of clients (a client is its key: an address, an IPv6 client's /64), across every room, so
 * that one client cannot hold more than `CHAT_LIMITS.socketsPerClientTotal` sockets however many rooms it spreads
 * them over. Rooms report each socket when they accept it (`admit`) and when it goes (`release`).
 *
 * A release can be lost (a room reset by a deploy drops its sockets without a close event), so the list is never
 * trusted at the limit: before refusing, it asks each room which of the client's listed sockets are still open and
 * forgets the others. An object with no sockets left holds no storage.
 */
export class ClientSockets extends DurableObject<Env> {
  private ready = false;

  private table(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.ready) {
      sql.exec(`CREATE TABLE IF NOT EXISTS sockets (
        connection_id TEXT PRIMARY KEY,
        client TEXT NOT NULL,
        room_id TEXT NOT NULL,
        opened_at INTEGER NOT NULL
      )`);
      sql.exec("CREATE INDEX IF NOT EXISTS sockets_by_client ON sockets (client)");
      this.ready = true;
    }
    return sql;
  }

  private held(client: string): number {
    return this.table()
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM sockets WHERE client = ?", client)
      .one().n;
  }

  /** Records a socket the room `roomId` is about to accept, unless the client already holds the most it may. */
  async admit(client: string, roomId: string, connectionId: string): Promise<SocketAdmission> {
    if (this.held(client) >= CHAT_LIMITS.socketsPerClientTotal) await this.forgetClosed(client);
    const held = this.held(client);
    if (held >= CHAT_LIMITS.socketsPerClientTotal) return { ok: false, held };
    this.table().exec(
      "INSERT OR IGNORE INTO sockets (connection_id, client, room_id, opened_at) VALUES (?, ?, ?, ?)",
      connectionId,
      client,
      roomId,
      Date.now(),
    );
    return { ok: true };
  }

  /** Forgets a socket that closed; an object with none left has its storage deleted. */
  async release(connectionId: string): Promise<void> {
    const sql = this.table();
    sql.exec("DELETE FROM sockets WHERE connection_id = ?", connectionId);
    if (sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sockets").one().n === 0) {
      await this.ctx.storage.deleteAll();
      this.ready = false;
    }
  }

  /** Asks every room the client holds sockets in which of them are still open, and forgets the others. */
  private async forgetClosed(client: string): Promise<void> {
    const rows = this.table()
      .exec<SocketRow>("SELECT connection_id, room_id FROM sockets WHERE client = ?", client)
      .toArray();
    const byRoom = new Map<string, string[]>();
    for (const row of rows) byRoom.set(row.room_id, [...(byRoom.get(row.room_id) ?? []), row.connection_id]);
    await Promise.all(
      [...byRoom].map(async ([roomId, ids]) => {
        const open = new Set(await stubById(this.env, "CHAT_ROOM", roomId).stub.openConnections(ids));
        for (const id of ids)
          if (!open.has(id)) this.table().exec("DELETE FROM sockets WHERE connection_id = ?", id);
      }),
    );
  }
}
