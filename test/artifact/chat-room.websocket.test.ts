import { afterEach, describe, expect, it } from "vitest";
import { ChatClient, UpgradeRefused } from "../../scripts/lib/chat-client.ts";
import { call, uniqueName, useBuiltPlatform } from "../support/platform.ts";

let base: URL;
useBuiltPlatform((platform) => {
  base = platform.url;
});

const open: ChatClient[] = [];
let clients = 0;
/** Opens a socket as a distinct client (`CF-Connecting-IP`), so the per-client cap counts only what a test means. */
async function join(room: string, user: string, options: { resumeKey?: string } = {}): Promise<ChatClient> {
  const i = ++clients;
  const client = await ChatClient.connect(base, room, user, {
    ...options,
    headers: { "cf-connecting-ip": `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
  });
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
    const welcome = { type: "welcome", resumeKey: expect.any(String), history: [] };
    expect(await alice.next()).toEqual({ ...welcome, you: "alice", count: 1, members: ["alice"] });
    const bob = await join(room, "bob");
    expect(await bob.next()).toEqual({ ...welcome, you: "bob", count: 2, members: ["alice", "bob"] });

    alice.sendMessage("hi bob");
    const first = { type: "message", id: 1, user: "alice", text: "hi bob", at: expect.any(String) };
    expect(await bob.nextChat()).toEqual(first);
    bob.sendMessage("hi alice ✋");
    const second = { type: "message", id: 2, user: "bob", text: "hi alice ✋", at: expect.any(String) };
    expect(await alice.nextChat()).toEqual(first);
    expect(await alice.nextChat()).toEqual(second);
    expect(await bob.nextChat()).toEqual(second);
  });

  it("tells the room who joins and who leaves, in presence frames with the count", async () => {
    const room = uniqueName("room");
    const alice = await join(room, "alice");
    await alice.next();
    expect(await alice.next()).toEqual({ type: "presence", joined: ["alice"], left: [], count: 1 });
    const bob = await join(room, "bob");
    expect(await alice.next()).toEqual({ type: "presence", joined: ["bob"], left: [], count: 2 });
    const carol = await join(room, "carol");
    expect(await carol.next()).toMatchObject({
      type: "welcome",
      count: 3,
      members: ["alice", "bob", "carol"],
    });
    expect(await alice.next()).toEqual({ type: "presence", joined: ["carol"], left: [], count: 3 });
    expect(await bob.nextOf("presence")).toMatchObject({ joined: ["bob"] });
    expect(await bob.nextOf("presence")).toEqual({ type: "presence", joined: ["carol"], left: [], count: 3 });
    await bob.close();
    expect(await alice.next()).toEqual({ type: "presence", joined: [], left: ["bob"], count: 2 });
    expect(await carol.nextOf("presence")).toMatchObject({ joined: ["carol"] });
    expect(await carol.next()).toEqual({ type: "presence", joined: [], left: ["bob"], count: 2 });
  });

  it("refuses a second socket under a present name without its resume key (409 name_taken)", async () => {
    const room = uniqueName("room");
    const alice = await join(room, "alice");
    const welcome = await alice.nextOf("welcome");
    const refused = await ChatClient.connect(base, room, "alice").catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 409, body: { error: { code: "name_taken" } } });
    const tab = await join(room, "alice", { resumeKey: welcome.resumeKey });
    expect(await tab.nextOf("welcome")).toMatchObject({ you: "alice", count: 1 });
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
    expect(await alice.nextChat()).toEqual({ type: "message", ...posted.body });
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
    // A socket takes 5 refused frames per 10 s (one more closes it): the sixth kind goes on a socket of its own.
    const bob = await join(room, "bob");
    await bob.nextOf("welcome");
    for (const [i, [frame, code]] of bad.entries()) {
      const socket = i < 5 ? alice : bob;
      socket.socket.send(frame);
      expect(await socket.nextChat()).toEqual({ type: "error", code, message: expect.any(String) });
    }
    alice.send({ type: "ping" });
    expect((await alice.nextChat()) as unknown).toEqual({ type: "pong" });
    alice.sendMessage("still here");
    expect(await alice.nextChat()).toMatchObject({ type: "message", id: 1, text: "still here" });
  });

  it("keeps the order of one socket's frames: the 21st in 10 s is refused, and it is the last one sent", async () => {
    const room = uniqueName("order");
    const alice = await join(room, "alice");
    await alice.nextOf("welcome");
    const sent = Array.from({ length: 21 }, (_, i) => `m${i + 1}`);
    for (const text of sent) alice.sendMessage(text);
    const frames = [];
    for (let i = 0; i < 21; i++) frames.push(await alice.nextChat());
    expect(frames.slice(0, 20).map((f) => (f.type === "message" ? f.text : f.type))).toEqual(
      sent.slice(0, 20),
    );
    expect(frames[20]).toEqual({ type: "error", code: "rate_limited", message: expect.any(String) });
    const history = await call(base, `/api/rooms/${room}/messages?limit=50`);
    expect(history.body.messages.map((m: { text: string }) => m.text)).toEqual(sent.slice(0, 20));
    // Still open and usable: the next frame gets an answer (refused: still within the 10 s window).
    alice.sendMessage("too soon");
    expect(await alice.nextChat()).toMatchObject({ type: "error", code: "rate_limited" });
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
    // A thousand people, each a distinct client: presence is coalesced, so filling the room costs a few
    // frames per socket, not one per pair.
    const clients: ChatClient[] = [];
    for (let batch = 0; batch < 1000; batch += 100) {
      clients.push(
        ...(await Promise.all(Array.from({ length: 100 }, (_, i) => join(room, `crowd-${batch + i}`)))),
      );
    }
    for (const c of clients) c.keep = false;
    const refused = await ChatClient.connect(base, room, "one-too-many").catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 503, body: { error: { code: "room_full" } } });
    await clients[0]!.close();
    const admitted = await join(room, "next-in-line");
    expect(await admitted.next()).toMatchObject({ type: "welcome", you: "next-in-line", count: 1000 });
  }, 60_000);
});

describe("the resume key out of the URL, over a real socket", () => {
  it("a second socket presents it as the `resume-key.<KEY>` subprotocol; the server answers `chat`", async () => {
    const { default: WebSocket } = await import("ws");
    const room = uniqueName("room");
    const alice = await join(room, "alice");
    const { resumeKey } = await alice.nextOf("welcome");
    const url = new URL(`/api/rooms/${room}/ws?user=alice`, base.href.replace(/^http/, "ws"));
    const tab = new WebSocket(url, ["chat", `resume-key.${resumeKey}`]);
    const welcome = new Promise<any>((resolve) =>
      tab.once("message", (data) => resolve(JSON.parse(String(data)))),
    );
    await new Promise((resolve, reject) => tab.once("open", resolve).once("error", reject));
    expect(tab.protocol).toBe("chat");
    expect(await welcome).toMatchObject({ type: "welcome", you: "alice", resumeKey });
    tab.close();
  });
});
