import { env, evictDurableObject, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { PING_FRAME, PONG_FRAME } from "../../worker/chat/protocol.ts";
import type { ChatRoom, Connection } from "../../worker/objects/chat-room.ts";
import { closeAll, connect } from "./support/chat-client.ts";

afterEach(closeAll);

/**
 * workerd evicts a Durable Object after 10 s without events; one whose only connections are hibernatable
 * WebSockets leaves memory and keeps its sockets open. The pool's `evictDurableObject` does that on demand
 * (its `webSockets: "hibernate"` hibernates the sockets rather than closing them), so the tests need no
 * idle wait; each still proves the eviction happened (a mark left on the old instance is gone) before asserting.
 */
/** Sockets of the many-sockets wake test: more than a welcome or a presence frame names. */
const SOCKETS = 150;

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
  await bob.nextOf("welcome");
  for (const s of [alice, bob]) {
    while (!(await s.nextOf("presence")).joined.includes("bob"));
  }
  alice.send({ type: "message", text: "before the nap" });
  await alice.nextOf("message");
  await bob.nextOf("message");

  const mark = Symbol("instance before eviction");
  const before = await runInDurableObject(stub, (instance: ChatRoom, state) => {
    (instance as unknown as Record<symbol, boolean>)[mark] = true;
    return attachments(state);
  });
  const attachment = (user: string) => ({
    user,
    connectionId: expect.any(String),
    joinedAt: expect.any(Number),
    client: "unknown-client",
    resumeKey: expect.any(String),
    lastSeenAt: expect.any(Number),
  });
  expect(before).toEqual([attachment("alice"), attachment("bob")]);

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
    count: 3,
    members: ["alice", "bob", "carol"],
    history: [{ text: "before the nap" }, { text: "after the nap" }],
  });
  expect(await alice.next()).toEqual({ type: "presence", joined: ["carol"], left: [], count: 3 });
  bob.ws.close(1000, "bye");
  expect(await alice.next()).toEqual({ type: "presence", joined: [], left: ["bob"], count: 2 });
  expect(await carol.nextOf("presence")).toEqual({
    type: "presence",
    joined: ["carol"],
    left: [],
    count: 3,
  });
  expect(await carol.nextOf("presence")).toEqual({ type: "presence", joined: [], left: ["bob"], count: 2 });
}, 20_000);

it("rebuilds its connection registry when woken with many sockets, and broadcasts to each exactly once", async () => {
  const room = crypto.randomUUID();
  const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(room));
  const crowd = await Promise.all(
    Array.from({ length: SOCKETS }, (_, i) =>
      connect(room, `p${i}`, { client: `10.4.${i >> 8}.${i & 255}` }),
    ),
  );
  const last = crowd.at(-1)!;
  // Wait until the room has told everyone about everyone (its presence went quiet), then let it sleep.
  let seen = 0;
  while (seen < SOCKETS) seen = (await last.nextOf("presence")).count;
  const mark = Symbol("instance before eviction");
  await runInDurableObject(stub, (instance: ChatRoom) => {
    (instance as unknown as Record<symbol, boolean>)[mark] = true;
  });
  await evictDurableObject(stub, { webSockets: "hibernate" });
  for (const s of crowd) while (s.pending().length > 0) await s.next();

  // A message over HTTP wakes the room; the registry is rebuilt from getWebSockets() and the attachments.
  const res = await SELF.fetch(`https://platform.test/api/rooms/${room}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: "announcer", text: "good morning" }),
  });
  expect(res.status).toBe(201);
  const woken = await runInDurableObject(stub, (instance: ChatRoom) => ({
    sameInstance: (instance as unknown as Record<symbol, boolean>)[mark] === true,
    members: instance.members(),
  }));
  expect(woken.sameInstance, "the room was not evicted; nothing was proven").toBe(false);
  expect(woken.members.count).toBe(SOCKETS);
  const received = await Promise.all(crowd.map((s) => s.nextChat()));
  for (const frame of received) expect(frame).toMatchObject({ type: "message", text: "good morning" });
  // Exactly once: a second message is the very next frame everywhere, not a duplicate of the first.
  crowd[0]!.send({ type: "message", text: "and again" });
  const again = await Promise.all(crowd.map((s) => s.nextChat()));
  for (const frame of again) expect(frame).toMatchObject({ type: "message", user: "p0", text: "and again" });
  // Presence after the wake counts from the rebuilt registry.
  crowd[1]!.ws.close(1000, "bye");
  expect(await crowd[0]!.nextOf("presence")).toEqual({
    type: "presence",
    joined: [],
    left: ["p1"],
    count: SOCKETS - 1,
  });
}, 40_000);

it("announces a departure that wakes the room from hibernation", async () => {
  const room = crypto.randomUUID();
  const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(room));
  const alice = await connect(room, "alice", { client: "10.9.0.1" });
  const bob = await connect(room, "bob", { client: "10.9.0.2" });
  while (!(await bob.nextOf("presence")).joined.includes("bob"));
  while (!(await alice.nextOf("presence")).joined.includes("bob"));
  const mark = Symbol("instance before eviction");
  await runInDurableObject(stub, (instance: ChatRoom) => {
    (instance as unknown as Record<symbol, boolean>)[mark] = true;
  });
  await evictDurableObject(stub, { webSockets: "hibernate" });

  // alice's clean close is the event that wakes the room.
  alice.ws.close(1000, "bye");
  expect(await bob.nextOf("presence")).toEqual({ type: "presence", joined: [], left: ["alice"], count: 1 });
  const woken = await runInDurableObject(stub, (instance: ChatRoom) => ({
    sameInstance: (instance as unknown as Record<symbol, boolean>)[mark] === true,
    members: instance.members(),
  }));
  expect(woken.sameInstance, "the room was not evicted; nothing was proven").toBe(false);
  expect(woken.members).toEqual({ count: 1, members: ["bob"], next: null });
});
