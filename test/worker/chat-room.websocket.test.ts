import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_LIMITS, PONG_FRAME } from "../../worker/chat/protocol.ts";
import type { ChatRoom } from "../../worker/objects/chat-room.ts";
import { closeAll, connect, type TestSocket } from "./support/chat-client.ts";

afterEach(closeAll);

const roomStub = (room: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(room));

/** Sends the heartbeat and waits for its answer: proves the socket is still open and read in order. */
async function stillOpen(socket: TestSocket) {
  socket.send('{"type":"ping"}');
  const pong = (await socket.nextChat()) as unknown;
  expect(pong).toEqual(JSON.parse(PONG_FRAME));
}

describe("ChatRoom over WebSockets", () => {
  it("welcomes a client with its name, the members and the history", async () => {
    const room = crypto.randomUUID();
    await roomStub(room).post("earlier", "before anyone came");
    const alice = await connect(room, "alice");
    expect(await alice.next()).toEqual({
      type: "welcome",
      you: "alice",
      resumeKey: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      count: 1,
      members: ["alice"],
      history: [{ id: 1, user: "earlier", text: "before anyone came", at: expect.any(String) }],
    });
  });

  it("broadcasts a message to every other socket and echoes it to the sender with id and time", async () => {
    const room = crypto.randomUUID();
    const [alice, bob, carol] = [
      await connect(room, "alice"),
      await connect(room, "bob"),
      await connect(room, "carol"),
    ];
    for (const s of [alice, bob, carol]) await s.nextOf("welcome");
    alice.send({ type: "message", text: "hello, room" });
    const expected = { type: "message", id: 1, user: "alice", text: "hello, room", at: expect.any(String) };
    for (const s of [bob, carol, alice]) expect(await s.nextOf("message")).toEqual(expected);
    const [stored] = await roomStub(room).history(1);
    expect(new Date(stored!.at).toISOString()).toBe(stored!.at);
  });

  it("announces a person once in a presence frame, however many sockets they open, and their leaving when the last one closes", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    await alice.next();
    expect(await alice.next()).toEqual({ type: "presence", joined: ["alice"], left: [], count: 1 });
    const bob1 = await connect(room, "bob");
    const welcome = await bob1.next();
    expect(welcome).toMatchObject({ type: "welcome", count: 2, members: ["alice", "bob"] });
    expect(await alice.next()).toEqual({ type: "presence", joined: ["bob"], left: [], count: 2 });
    const resumeKey = welcome.type === "welcome" ? welcome.resumeKey : "";
    const bob2 = await connect(room, "bob", { resumeKey });
    expect(await bob2.next()).toMatchObject({
      type: "welcome",
      resumeKey,
      count: 2,
      members: ["alice", "bob"],
    });
    bob1.ws.close(1000, "bye");
    expect(await bob1.closed).toEqual({ code: 1000, reason: "bye" });
    // The close was handled before this frame: alice hears bob's message, and no presence (bob is still here).
    bob2.send({ type: "message", text: "from my other tab" });
    expect(await alice.next()).toMatchObject({ type: "message", user: "bob", text: "from my other tab" });
    bob2.ws.close(1000, "bye");
    expect(await alice.next()).toEqual({ type: "presence", joined: [], left: ["bob"], count: 1 });
    expect(await roomStub(room).members()).toEqual({ count: 1, members: ["alice"], next: null });
  });

  it("coalesces a crowd's arrivals into fewer presence frames than people, each name once to each socket", async () => {
    const room = crypto.randomUUID();
    const watcher = await connect(room, "watcher");
    await watcher.nextOf("presence");
    const crowd = await Promise.all(
      Array.from({ length: 30 }, (_, i) => connect(room, `p${i}`, { client: `10.0.0.${i}` })),
    );
    const named: string[] = [];
    let frames = 0;
    while (named.length < 30) {
      const presence = await watcher.nextOf("presence");
      frames++;
      expect(presence.left).toEqual([]);
      named.push(...presence.joined);
      expect(presence.count).toBe(1 + named.length);
    }
    expect(named.sort()).toEqual(crowd.map((_, i) => `p${i}`).sort());
    expect(frames).toBeLessThan(30);
    // A message goes out at once; nothing else is pending for the watcher.
    crowd[0]!.send({ type: "message", text: "all here" });
    expect(await watcher.next()).toMatchObject({ type: "message", text: "all here" });
    expect(watcher.pending()).toEqual([]);
  });

  it("sends a message before presence news that is still waiting for its interval", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    await alice.nextOf("presence");
    await runInDurableObject(roomStub(room), (instance: ChatRoom) => {
      // An arrival is pending (its frame waits for a timer) when the message is posted in the same event.
      (instance as unknown as { presence: { arrived(u: string): void } }).presence.arrived("ghost");
      // As the operator: alice is present, and a post in her name needs her key (the operator needs none).
      expect(instance.postAsOperator("alice", "not behind presence").ok).toBe(true);
    });
    expect(await alice.next()).toMatchObject({ type: "message", text: "not behind presence" });
    expect(await alice.next()).toEqual({ type: "presence", joined: ["ghost"], left: [], count: 1 });
  });

  it("keeps the last 1,000 messages and serves history oldest first", async () => {
    const room = crypto.randomUUID();
    const stub = roomStub(room);
    await runInDurableObject(stub, (instance: ChatRoom) => {
      for (let i = 1; i <= 1005; i++) expect(instance.post("bulk", `message ${i}`).ok).toBe(true);
    });
    const kept = await stub.history(CHAT_LIMITS.historyKept);
    expect(kept).toHaveLength(1000);
    expect(kept[0]).toMatchObject({ id: 6, text: "message 6" });
    expect(kept.at(-1)).toMatchObject({ id: 1005, text: "message 1005" });
    const rows = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages").one(),
    );
    expect(rows.n).toBe(1000);
    const alice = await connect(room, "alice");
    const welcome = await alice.nextOf("welcome");
    expect(welcome.history.map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => 956 + i));
    const older = await stub.history(3, { before: 956 });
    expect(older.map((m) => m.id)).toEqual([953, 954, 955]);
  });
});

describe("bad frames get an error frame and the socket stays usable", () => {
  const cases: [string, string | Uint8Array, string][] = [
    ["malformed JSON", "{not json", "invalid_json"],
    ["a JSON string", '"hello"', "unknown_type"],
    ["no type", '{"text":"hi"}', "unknown_type"],
    ["unknown type", '{"type":"shout","text":"hi"}', "unknown_type"],
    ["type not a string", '{"type":7}', "unknown_type"],
    ["message without text", '{"type":"message"}', "invalid_frame"],
    ["text not a string", '{"type":"message","text":42}', "invalid_frame"],
    ["unknown field", '{"type":"message","text":"hi","to":"bob"}', "invalid_frame"],
    ["empty text", '{"type":"message","text":""}', "empty_text"],
    ["blank text", '{"type":"message","text":" \\n\\t "}', "empty_text"],
    ["only NUL characters", '{"type":"message","text":"\\u0000\\u0000"}', "empty_text"],
    [
      "only zero-width characters",
      '{"type":"message","text":"\\u200b\\u200c\\u200d\\u2060\\ufeff"}',
      "empty_text",
    ],
    [
      "only invisible fillers",
      '{"type":"message","text":"\\u3164\\u115f\\u00ad\\ufe0f\\u2800"}',
      "empty_text",
    ],
    ["text over 4 KiB", JSON.stringify({ type: "message", text: "x".repeat(4097) }), "text_too_long"],
    [
      "multi-byte text over 4 KiB",
      JSON.stringify({ type: "message", text: "é".repeat(2049) }),
      "text_too_long",
    ],
    ["binary frame", new TextEncoder().encode('{"type":"message","text":"hi"}'), "binary_frame"],
  ];
  it.each(cases)("%s", async (_label, frame, code) => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    await alice.next();
    alice.ws.send(frame);
    expect(await alice.nextChat()).toEqual({ type: "error", code, message: expect.any(String) });
    alice.send({ type: "message", text: "still here" });
    expect(await alice.nextChat()).toMatchObject({ type: "message", id: 1, text: "still here" });
    expect(await roomStub(room).history(10)).toHaveLength(1);
  });

  it("accepts a text of exactly 4 KiB in multi-byte characters", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    await alice.next();
    alice.send({ type: "message", text: "é".repeat(2048) });
    expect(await alice.nextChat()).toMatchObject({ type: "message", text: "é".repeat(2048) });
  });

  it("answers a ping spelled differently from the heartbeat itself", async () => {
    const alice = await connect(crypto.randomUUID(), "alice");
    await alice.next();
    alice.send('{ "type": "ping" }');
    expect((await alice.nextChat()) as unknown).toEqual({ type: "pong" });
  });
});

describe("rate limit", () => {
  it("refuses the 21st frame in 10 s from one connection, keeps it open, and does not limit others", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    const bob = await connect(room, "bob");
    await alice.nextOf("welcome");
    await bob.nextOf("welcome");
    const sent = Array.from({ length: 21 }, (_, i) => `m${i + 1}`);
    for (const text of sent) alice.send({ type: "message", text });
    const frames = [];
    for (let i = 0; i < 21; i++) frames.push(await alice.nextChat());
    // What the room promises: exactly 20 of the 21 accepted, one refused, the socket still open. Not which one is
    // refused: under the vitest pool each webSocketMessage first awaits the pool's module loader (an outgoing
    // call), which opens the input gate, so frames may be handled out of order here. Over real WebSockets the
    // order is kept and the refused frame is the last one sent (test/artifact/chat-room.websocket.test.ts).
    const accepted = frames.filter((f) => f.type === "message").map((f) => f.text);
    expect(accepted).toHaveLength(20);
    expect(new Set(accepted).size).toBe(20);
    expect(accepted.every((text) => sent.includes(text))).toBe(true);
    expect(frames.filter((f) => f.type === "error")).toEqual([
      { type: "error", code: "rate_limited", message: expect.any(String) },
    ]);
    const refused = sent.find((text) => !accepted.includes(text));

    await stillOpen(alice); // the runtime answers the heartbeat; it does not count against the limit
    alice.send({ type: "message", text: "too soon" });
    expect(await alice.nextChat()).toMatchObject({ type: "error", code: "rate_limited" });

    for (let i = 0; i < 20; i++) await bob.nextOf("message"); // alice's twenty
    bob.send({ type: "message", text: "bob is not limited" });
    expect(await bob.nextOf("message")).toMatchObject({ user: "bob", text: "bob is not limited" });
    const texts = (await roomStub(room).history(50)).map((m) => m.text);
    expect(texts).toHaveLength(21);
    expect(texts.filter((t) => /^m\d+$/.test(t))).toHaveLength(20);
    expect(texts).not.toContain(refused);
    expect(texts).not.toContain("too soon");
  });
});
