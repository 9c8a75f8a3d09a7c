import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_LIMITS } from "../../worker/chat/protocol.ts";
import { clientSocketsOf } from "../../worker/objects/client-sockets.ts";
import { closeAll, connect, upgrade } from "./support/chat-client.ts";
import { waitFor } from "./support/scheduler.ts";

afterEach(closeAll);

const ledger = (client: string) => clientSocketsOf(env, client);
const held = (client: string) =>
  runInDurableObject(ledger(client), (_i, state) => {
    const found = state.storage.sql
      .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sockets'")
      .toArray();
    return found.length === 0
      ? 0
      : state.storage.sql
          .exec<{ n: number }>("SELECT COUNT(*) AS n FROM sockets WHERE client = ?", client)
          .one().n;
  });

/** Opens `count` sockets of one client, `CHAT_LIMITS.socketsPerClient` per room, in fresh rooms. */
async function fill(client: string, count: number) {
  const sockets = [];
  let room = "";
  for (let i = 0; i < count; i++) {
    if (i % CHAT_LIMITS.socketsPerClient === 0) room = crypto.randomUUID();
    sockets.push(await connect(room, `u${i}`, { client }));
  }
  return sockets;
}

describe(`one client holds at most ${CHAT_LIMITS.socketsPerClientTotal} sockets across rooms`, () => {
  it("refuses the next socket in any room with 429 too_many_sockets, and admits again once one closes", async () => {
    const client = "192.0.2.77";
    const sockets = await fill(client, CHAT_LIMITS.socketsPerClientTotal);
    const refused = await upgrade(crypto.randomUUID(), "one-too-many", { client });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "too_many_sockets",
      message: expect.stringContaining("across all rooms"),
    });
    // Another client is not affected.
    expect((await connect(crypto.randomUUID(), "other", { client: "192.0.2.78" })).ws.readyState).toBe(
      WebSocket.OPEN,
    );

    sockets[0]!.ws.close(1000, "bye");
    await sockets[0]!.closed;
    await waitFor(async () => (await held(client)) < CHAT_LIMITS.socketsPerClientTotal);
    expect((await connect(crypto.randomUUID(), "room-for-me", { client })).ws.readyState).toBe(
      WebSocket.OPEN,
    );
  }, 30_000);

  it("forgets sockets whose release was lost (checked with their rooms at the limit), and forgets the client at zero", async () => {
    const client = "192.0.2.79";
    const sockets = await fill(client, CHAT_LIMITS.socketsPerClientTotal - 1);
    // A socket of a room that no longer has it (its release was lost, e.g. the room was reset by a deploy).
    const ghostRoom = env.CHAT_ROOM.idFromName(crypto.randomUUID()).toString();
    await runInDurableObject(ledger(client), (_i, state) => {
      state.storage.sql.exec(
        "INSERT INTO sockets (connection_id, client, room_id, opened_at) VALUES (?, ?, ?, ?)",
        "lost-release",
        client,
        ghostRoom,
        Date.now(),
      );
    });
    expect(await held(client)).toBe(CHAT_LIMITS.socketsPerClientTotal);
    sockets.push(await connect(crypto.randomUUID(), "admitted", { client }));
    expect(await held(client)).toBe(CHAT_LIMITS.socketsPerClientTotal);

    for (const s of sockets) s.ws.close(1000, "bye");
    await waitFor(async () => (await held(client)) === 0);
  }, 30_000);
});
