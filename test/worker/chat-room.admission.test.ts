import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import { CHAT_LIMITS, IDLE_CLOSE_CODE, PING_FRAME } from "../../worker/chat/protocol.ts";
import type { ChatRoom, Connection } from "../../worker/objects/chat-room.ts";
import { closeAll, connect, type TestSocket, upgrade } from "./support/chat-client.ts";

afterEach(closeAll);

const roomStub = (room: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(room));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function welcomeOf(socket: TestSocket) {
  return socket.nextOf("welcome");
}

describe("a name in use (no silent impersonation)", () => {
  it("is 409 name_taken without the resume key of its welcome, and admitted with it", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    const { resumeKey } = await welcomeOf(alice);

    // One character off (never the key itself, whatever its last character is).
    const oneOff = `${resumeKey.slice(0, -1)}${resumeKey.endsWith("A") ? "B" : "A"}`;
    for (const key of [undefined, "", "x".repeat(22), oneOff]) {
      const res = await upgrade(room, "alice", key === undefined ? {} : { resumeKey: key });
      expect(res.status).toBe(409);
      expect(res.webSocket).toBeNull();
      expect(await res.json()).toEqual({ error: { code: "name_taken", message: expect.any(String) } });
    }

    const tab = await connect(room, "alice", { resumeKey });
    expect(await welcomeOf(tab)).toMatchObject({ you: "alice", resumeKey, count: 1 });
    tab.send({ type: "message", text: "from my second tab" });
    expect(await alice.nextChat()).toMatchObject({ user: "alice", text: "from my second tab" });
  });

  it("is free again once every socket of that name has closed, with a new key", async () => {
    const room = crypto.randomUUID();
    const first = await connect(room, "bob");
    const { resumeKey } = await welcomeOf(first);
    first.ws.close(1000, "bye");
    await first.closed;
    const second = await connect(room, "bob");
    const welcome = await welcomeOf(second);
    expect(welcome.resumeKey).not.toBe(resumeKey);
  });
});

describe("the per-client socket cap", () => {
  // 23 upgrades, each also counted across rooms (one more Durable Object call): more than the default 5 s on a
  // loaded machine.
  it(`refuses a client's socket beyond ${CHAT_LIMITS.socketsPerClient} in one room with 429, not other clients'`, {
    timeout: 20_000,
  }, async () => {
    const room = crypto.randomUUID();
    const client = "203.0.113.7";
    const mine = [];
    for (let i = 0; i < CHAT_LIMITS.socketsPerClient; i++)
      mine.push(await connect(room, `tab-${i}`, { client }));
    const refused = await upgrade(room, "one-more", { client });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      error: { code: "too_many_sockets", message: expect.any(String) },
    });

    const other = await connect(room, "someone-else", { client: "198.51.100.1" });
    expect(await welcomeOf(other)).toMatchObject({ count: CHAT_LIMITS.socketsPerClient + 1 });
    // Closing one of its sockets gives the client a place again.
    mine[0]!.ws.close(1000, "bye");
    await mine[0]!.closed;
    expect(await welcomeOf(await connect(room, "one-more", { client }))).toMatchObject({ you: "one-more" });
    // The same cap in another room is counted apart.
    expect(await welcomeOf(await connect(crypto.randomUUID(), "elsewhere", { client }))).toMatchObject({
      count: 1,
    });
  });
});

describe("silent sockets", () => {
  it("are closed with 4408 after the idle time; a heartbeat or a message keeps a socket open", async () => {
    const room = crypto.randomUUID();
    const stub = roomStub(room);
    const silent = await connect(room, "silent", { client: "10.1.0.1" });
    const pinger = await connect(room, "pinger", { client: "10.1.0.2" });
    const talker = await connect(room, "talker", { client: "10.1.0.3" });
    for (const s of [silent, pinger, talker]) await welcomeOf(s);
    const joinedBy = await runInDurableObject(stub, (_i, state) =>
      Math.max(...state.getWebSockets().map((ws) => (ws.deserializeAttachment() as Connection).joinedAt)),
    );
    // Activity counts only when it is later than this cutoff; a stored lastSeenAt moves at most once a second.
    await sleep(1_100);
    pinger.send(PING_FRAME); // answered by the runtime, which records the time
    expect((await pinger.nextChat()) as unknown).toEqual({ type: "pong" });
    talker.send({ type: "message", text: "still here" });
    await talker.nextOf("message");

    const now = joinedBy + 500 + CHAT_LIMITS.idleCloseMs;
    const closed = await runInDurableObject(stub, (instance: ChatRoom) => instance.closeIdle(now));
    expect(closed).toBe(1);
    expect(await silent.closed).toEqual({ code: IDLE_CLOSE_CODE, reason: expect.stringContaining("silent") });
    expect(await talker.nextOf("presence")).toMatchObject({ left: ["silent"], count: 2 });
    expect(await pinger.nextOf("presence")).toMatchObject({ left: ["silent"], count: 2 });
    expect(await stub.members()).toMatchObject({ count: 2, members: ["pinger", "talker"] });
  });

  it("are looked for by an alarm while the room has sockets", async () => {
    const room = crypto.randomUUID();
    const stub = roomStub(room);
    const alice = await connect(room, "alice");
    await welcomeOf(alice);
    const armed = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(armed).toBeGreaterThan(Date.now() + CHAT_LIMITS.idleCloseMs / 2);
    // The alarm closes nothing yet (alice joined just now) and looks again later.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();
    alice.send({ type: "message", text: "not closed" });
    expect(await alice.nextChat()).toMatchObject({ type: "message", text: "not closed" });
  });
});

describe("GET /api/rooms/:name/members", () => {
  it("pages the names of a room larger than a welcome names, with the count", async () => {
    const room = crypto.randomUUID();
    const names = Array.from(
      { length: CHAT_LIMITS.namesPerFrame + 20 },
      (_, i) => `u${String(i).padStart(3, "0")}`,
    );
    await Promise.all(names.map((user, i) => connect(room, user, { client: `10.2.${i >> 8}.${i & 255}` })));
    const last = await connect(room, "zz-last", { client: "10.3.0.1" });
    const welcome = await welcomeOf(last);
    expect(welcome.count).toBe(names.length + 1);
    expect(welcome.members).toEqual(names.slice(0, CHAT_LIMITS.namesPerFrame));

    const first = (await (await SELF.fetch(`https://platform.test/api/rooms/${room}/members`)).json()) as {
      room: string;
      count: number;
      members: string[];
      next: string | null;
    };
    expect(first).toEqual({
      room,
      count: names.length + 1,
      members: names.slice(0, CHAT_LIMITS.namesPerFrame),
      next: names[CHAT_LIMITS.namesPerFrame - 1],
    });
    const second = await (
      await SELF.fetch(`https://platform.test/api/rooms/${room}/members?cursor=${first.next}`)
    ).json();
    expect(second).toEqual({
      room,
      count: names.length + 1,
      members: [...names.slice(CHAT_LIMITS.namesPerFrame), "zz-last"],
      next: null,
    });
  }, 30_000);

  it("is 400 invalid_cursor for a cursor that is no user name", async () => {
    const res = await SELF.fetch("https://platform.test/api/rooms/lobby/members?cursor=a%20b");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_cursor");
  });
});

describe("posting over HTTP in the name of someone present", () => {
  const post = (room: string, body: unknown, headers: Record<string, string> = {}) =>
    SELF.fetch(`https://platform.test/api/rooms/${room}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("is 409 name_taken without her resume key, and posts with it (in the body or a Resume-Key header)", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    const { resumeKey } = await welcomeOf(alice);
    const spoofed = await post(room, { user: "alice", text: "I am alice, trust me" });
    expect(spoofed.status).toBe(409);
    expect(await spoofed.json()).toEqual({ error: { code: "name_taken", message: expect.any(String) } });
    const wrong = await post(room, {
      user: "alice",
      text: "still not",
      resumeKey: "x".repeat(resumeKey.length),
    });
    expect(wrong.status).toBe(409);
    expect(await roomStub(room).history()).toEqual([]);

    expect((await post(room, { user: "alice", text: "from curl", resumeKey })).status).toBe(201);
    expect((await post(room, { user: "alice", text: "by header" }, { "Resume-Key": resumeKey })).status).toBe(
      201,
    );
    expect(await alice.nextChat()).toMatchObject({ type: "message", user: "alice", text: "from curl" });
    expect(await alice.nextChat()).toMatchObject({ type: "message", user: "alice", text: "by header" });
    // Someone not present is free to post under any name, as before.
    expect((await post(room, { user: "bob", text: "hello" })).status).toBe(201);
  });
});

describe("the resume key in a subprotocol (out of the URL)", () => {
  it("admits a second socket with `resume-key.<KEY>` and answers the `chat` subprotocol", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    const { resumeKey } = await welcomeOf(alice);
    const refused = await upgrade(room, "alice", { protocols: ["chat", "resume-key.wrong"] });
    expect(refused.status).toBe(409);
    const res = await upgrade(room, "alice", { protocols: ["chat", `resume-key.${resumeKey}`] });
    expect(res.status).toBe(101);
    expect(res.headers.get("sec-websocket-protocol")).toBe("chat");
    res.webSocket!.accept();
    res.webSocket!.close(1000, "done");
  });

  it("refuses permessage-deflate: the 101 carries an empty Sec-WebSocket-Extensions", async () => {
    // The worker's own Response (over the wire the runtime drops the empty header once it has acted on it).
    const res = await createApp().request(
      `/api/rooms/${crypto.randomUUID()}/ws?user=carol`,
      {
        headers: {
          Upgrade: "websocket",
          "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
          "Sec-WebSocket-Version": "13",
          "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
        },
      },
      env,
    );
    expect(res.status).toBe(101);
    expect(res.headers.get("sec-websocket-extensions")).toBe("");
    res.webSocket!.accept();
    res.webSocket!.close(1000, "done");
  });
});

describe("one client key for every limit", () => {
  it("counts every address of one IPv6 /64 as one client in the per-room socket cap", {
    timeout: 20_000,
  }, async () => {
    const room = crypto.randomUUID();
    for (let i = 0; i < CHAT_LIMITS.socketsPerClient; i++)
      await connect(room, `v6-${i}`, { client: `2001:db8:7:7::${(i + 1).toString(16)}` });
    const refused = await upgrade(room, "one-more", { client: "2001:db8:7:7:ffff::1" });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("too_many_sockets");
    // Another /64 is another client.
    expect(await welcomeOf(await connect(room, "neighbour", { client: "2001:db8:7:8::1" }))).toMatchObject({
      you: "neighbour",
    });
  });
});
