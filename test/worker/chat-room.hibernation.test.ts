import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { PING_FRAME, PONG_FRAME } from "../../worker/chat/protocol.ts";
import type { ChatRoom, Connection } from "../../worker/objects/chat-room.ts";
import { closeAll, connect } from "./support/chat-client.ts";

afterEach(closeAll);

/**
 * workerd evicts a Durable Object after 10 s without events; one whose only connections are hibernatable
 * WebSockets leaves memory and keeps its sockets open. The pool's `evictDurableObject` does that on demand
 * (its default `webSockets: "hibernate"` hibernates the sockets rather than closing them), so the test needs no
 * idle wait; it still proves the eviction happened (a mark left on the old instance is gone) before asserting.
 */
const attachments = (state: DurableObjectState) =>
  state
    .getWebSockets()
    .map((ws) => ws.deserializeAttachment() as Connection)
    .sort((a, b) => a.user.localeCompare(b.user));

it("keeps every socket's attachment through hibernation and the room works on after it", async () => {
  const room = crypto.randomUUID();
  const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(room));
  const alice = await connect(room, "alice");
  const bob = await connect(room, "bob");
  await alice.nextOf("join");
  await bob.nextOf("welcome");
  alice.send({ type: "message", text: "before the nap" });
  await alice.nextOf("message");
  await bob.nextOf("message");

  const mark = Symbol("instance before eviction");
  const before = await runInDurableObject(stub, (instance: ChatRoom, state) => {
    (instance as unknown as Record<symbol, boolean>)[mark] = true;
    return attachments(state);
  });
  expect(before).toEqual([
    { user: "alice", connectionId: expect.any(String), joinedAt: expect.any(Number) },
    { user: "bob", connectionId: expect.any(String), joinedAt: expect.any(Number) },
  ]);

  await evictDurableObject(stub, { webSockets: "hibernate" });

  // The heartbeat while hibernated: the runtime answers it without running the room's code.
  alice.send(PING_FRAME);
  expect((await alice.next()) as unknown).toEqual(JSON.parse(PONG_FRAME));

  const after = await runInDurableObject(stub, (instance: ChatRoom, state) => ({
    sameInstance: (instance as unknown as Record<symbol, boolean>)[mark] === true,
    attachments: attachments(state),
    autoResponded: state.getWebSockets("alice").map((ws) => state.getWebSocketAutoResponseTimestamp(ws)),
  }));
  expect(after.sameInstance, "the room was not evicted; nothing was proven").toBe(false);
  expect(after.attachments).toEqual(before);
  expect(after.autoResponded).toEqual([expect.any(Date)]);

  // The woken room still knows who is who, from the attachments alone.
  bob.send({ type: "message", text: "after the nap" });
  for (const s of [alice, bob]) {
    expect(await s.next()).toMatchObject({ type: "message", id: 2, user: "bob", text: "after the nap" });
  }
  const carol = await connect(room, "carol");
  expect(await carol.next()).toMatchObject({
    type: "welcome",
    you: "carol",
    members: ["alice", "bob", "carol"],
    history: [{ text: "before the nap" }, { text: "after the nap" }],
  });
  expect(await alice.next()).toEqual({ type: "join", user: "carol" });
  bob.ws.close(1000, "bye");
  expect(await alice.next()).toEqual({ type: "leave", user: "bob" });
  expect(await carol.nextOf("leave")).toEqual({ type: "leave", user: "bob" });
});
