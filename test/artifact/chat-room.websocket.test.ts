import { afterEach, describe, expect, it } from "vitest";
import { ChatClient, UpgradeRefused } from "../../scripts/lib/chat-client.ts";
import { call, uniqueName, useBuiltPlatform } from "../support/platform.ts";

let base: URL;
useBuiltPlatform((platform) => {
  base = platform.url;
});

const open: ChatClient[] = [];
async function join(room: string, user: string): Promise<ChatClient> {
  const client = await ChatClient.connect(base, room, user);
  open.push(client);
  return client;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe("chat over real WebSockets on the built bundle", () => {
  it("lets two clients exchange messages", async () => {
    const room = uniqueName("room");
    const alice = await join(room, "alice");
    expect(await alice.next()).toEqual({ type: "welcome", you: "alice", members: ["alice"], history: [] });
    const bob = await join(room, "bob");
    expect(await bob.next()).toEqual({ type: "welcome", you: "bob", members: ["alice", "bob"], history: [] });

    alice.sendMessage("hi bob");
    const first = { type: "message", id: 1, user: "alice", text: "hi bob", at: expect.any(String) };
    expect(await bob.next()).toEqual(first);
    bob.sendMessage("hi alice ✋");
    const second = { type: "message", id: 2, user: "bob", text: "hi alice ✋", at: expect.any(String) };
    expect(await alice.next()).toEqual({ type: "join", user: "bob" });
    expect(await alice.next()).toEqual(first);
    expect(await alice.next()).toEqual(second);
    expect(await bob.next()).toEqual(second);
  });

  it("tells the room who joins and who leaves", async () => {
    const room = uniqueName("room");
    const alice = await join(room, "alice");
    await alice.next();
    const bob = await join(room, "bob");
    expect(await alice.next()).toEqual({ type: "join", user: "bob" });
    const carol = await join(room, "carol");
    expect(await carol.next()).toMatchObject({ type: "welcome", members: ["alice", "bob", "carol"] });
    expect(await alice.next()).toEqual({ type: "join", user: "carol" });
    expect(await bob.nextOf("join")).toEqual({ type: "join", user: "carol" });
    await bob.close();
    expect(await alice.next()).toEqual({ type: "leave", user: "bob" });
    expect(await carol.next()).toEqual({ type: "leave", user: "bob" });
  });

  it("gives a late joiner the history", async () => {
    const room = uniqueName("room");
    const alice = await join(room, "alice");
    await alice.next();
    for (const text of ["one", "two", "three"]) {
      alice.sendMessage(text);
      await alice.nextOf("message");
    }
    await alice.close();
    const late = await join(room, "late");
    const welcome = await late.nextOf("welcome");
    expect(welcome.members).toEqual(["late"]);
    expect(welcome.history.map((m) => [m.id, m.user, m.text])).toEqual([
      [1, "alice", "one"],
      [2, "alice", "two"],
      [3, "alice", "three"],
    ]);
    const http = await call(base, `/api/rooms/${room}/messages?limit=2`);
    expect(http.body).toEqual({ room, messages: welcome.history.slice(1) });
  });

  it("delivers a message posted over HTTP to the sockets", async () => {
    const room = uniqueName("room");
    const alice = await join(room, "alice");
    await alice.next();
    const posted = await call(base, `/api/rooms/${room}/messages`, {
      method: "POST",
      json: { user: "deploybot", text: "v2 is live" },
    });
    expect(posted.status).toBe(201);
    expect(await alice.next()).toEqual({ type: "message", ...posted.body });
    expect(posted.body).toMatchObject({ user: "deploybot", text: "v2 is live" });
  });

  it("answers bad frames with error frames and keeps the socket usable", async () => {
    const room = uniqueName("room");
    const alice = await join(room, "alice");
    await alice.next();
    const bad: [string | Buffer, string][] = [
      ["{oops", "invalid_json"],
      ['{"type":"shout","text":"hi"}', "unknown_type"],
      ['{"type":"message","text":["hi"]}', "invalid_frame"],
      ['{"type":"message","text":""}', "empty_text"],
      [JSON.stringify({ type: "message", text: "x".repeat(5000) }), "text_too_long"],
      [Buffer.from('{"type":"message","text":"hi"}'), "binary_frame"],
    ];
    for (const [frame, code] of bad) {
      alice.socket.send(frame);
      expect(await alice.next()).toEqual({ type: "error", code, message: expect.any(String) });
    }
    alice.send({ type: "ping" });
    expect((await alice.next()) as unknown).toEqual({ type: "pong" });
    alice.sendMessage("still here");
    expect(await alice.next()).toMatchObject({ type: "message", id: 1, text: "still here" });
  });

  it("keeps the order of one socket's frames: the 21st in 10 s is refused, and it is the last one sent", async () => {
    const room = uniqueName("order");
    const alice = await join(room, "alice");
    await alice.nextOf("welcome");
    const sent = Array.from({ length: 21 }, (_, i) => `m${i + 1}`);
    for (const text of sent) alice.sendMessage(text);
    const frames = [];
    for (let i = 0; i < 21; i++) frames.push(await alice.next());
    expect(frames.slice(0, 20).map((f) => (f.type === "message" ? f.text : f.type))).toEqual(
      sent.slice(0, 20),
    );
    expect(frames[20]).toEqual({ type: "error", code: "rate_limited", message: expect.any(String) });
    const history = await call(base, `/api/rooms/${room}/messages?limit=50`);
    expect(history.body.messages.map((m: { text: string }) => m.text)).toEqual(sent.slice(0, 20));
    // Still open and usable: the next frame gets an answer (refused: still within the 10 s window).
    alice.sendMessage("too soon");
    expect(await alice.next()).toMatchObject({ type: "error", code: "rate_limited" });
  });

  it("delivers one broadcast to all of 200 clients in one room", async () => {
    const room = uniqueName("crowd");
    const clients: ChatClient[] = [];
    for (let batch = 0; batch < 200; batch += 50) {
      clients.push(
        ...(await Promise.all(Array.from({ length: 50 }, (_, i) => join(room, `user-${batch + i}`)))),
      );
    }
    const posted = await call(base, `/api/rooms/${room}/messages`, {
      method: "POST",
      json: { user: "announcer", text: "hello, all 200" },
    });
    expect(posted.status).toBe(201);
    const received = await Promise.all(clients.map((c) => c.nextOf("message")));
    expect(received).toHaveLength(200);
    for (const frame of received) expect(frame).toEqual({ type: "message", ...posted.body });
  });
});

describe("upgrade refusals over real HTTP", () => {
  it("is 426 JSON without Upgrade: websocket", async () => {
    const res = await call(base, "/api/rooms/lobby/ws?user=alice");
    expect(res.status).toBe(426);
    expect(res.body.error.code).toBe("upgrade_required");
  });

  it("refuses an invalid user name with 400 JSON", async () => {
    const refused = await ChatClient.connect(base, "lobby", "no spaces please").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_user", message: expect.any(String) } },
    });
  });

  it("refuses the 1,001st socket of a room with 503 JSON, and takes one again when a socket leaves", async () => {
    const room = uniqueName("full");
    // One user on every socket: a second socket of someone present is not announced, so filling the room costs
    // no join broadcasts.
    const clients: ChatClient[] = [];
    for (let batch = 0; batch < 1000; batch += 100) {
      clients.push(...(await Promise.all(Array.from({ length: 100 }, () => join(room, "crowd")))));
    }
    const refused = await ChatClient.connect(base, room, "one-too-many").catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 503, body: { error: { code: "room_full" } } });
    await clients[0]!.close();
    const admitted = await join(room, "next-in-line");
    expect(await admitted.next()).toMatchObject({ type: "welcome", you: "next-in-line" });
  }, 60_000);
});
