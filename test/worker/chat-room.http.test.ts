import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_LIMITS } from "../../worker/chat/protocol.ts";
import type { ChatRoom } from "../../worker/objects/chat-room.ts";
import { closeAll, connect } from "./support/chat-client.ts";

afterEach(closeAll);

const BASE = "https://platform.test";

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const res = await SELF.fetch(`${BASE}${path}`, {
    ...rest,
    ...(json !== undefined
      ? { body: JSON.stringify(json), headers: { "content-type": "application/json", ...rest.headers } }
      : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe("POST /api/rooms/:name/messages", () => {
  it("stores the message, returns it with 201 and broadcasts it to the room's sockets", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    await alice.next();
    await alice.nextOf("presence");
    const res = await call(`/api/rooms/${room}/messages`, {
      method: "POST",
      json: { user: "ops", text: "deploy at 5" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: 1, user: "ops", text: "deploy at 5", at: expect.any(String) });
    expect(await alice.next()).toEqual({ type: "message", ...res.body });
  });

  const bad: [string, unknown, string][] = [
    ["no text", { user: "ops" }, "invalid_body"],
    ["no user", { text: "hi" }, "invalid_body"],
    ["user with a space", { user: "o p", text: "hi" }, "invalid_body"],
    ["user too long", { user: "u".repeat(33), text: "hi" }, "invalid_body"],
    ["text not a string", { user: "ops", text: 5 }, "invalid_body"],
    ["unknown field", { user: "ops", text: "hi", at: 1 }, "invalid_body"],
    ["empty text", { user: "ops", text: "" }, "empty_text"],
    ["blank text", { user: "ops", text: "   " }, "empty_text"],
    ["only NUL characters", { user: "ops", text: "\u0000\u0000\u0000" }, "empty_text"],
    ["only zero-width characters", { user: "ops", text: "\u200b\u200c\u200d\ufeff" }, "empty_text"],
    ["only bidi marks and a soft hyphen", { user: "ops", text: "\u200e\u202e\u00ad" }, "empty_text"],
    ["only Hangul fillers and a braille blank", { user: "ops", text: "\u3164\u2800" }, "empty_text"],
    ["text over 4 KiB", { user: "ops", text: "x".repeat(4097) }, "text_too_long"],
  ];
  it.each(bad)("%s is 400 and stores nothing", async (_label, body, code) => {
    const room = crypto.randomUUID();
    const res = await call(`/api/rooms/${room}/messages`, { method: "POST", json: body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    expect((await call(`/api/rooms/${room}/messages`)).body.messages).toEqual([]);
  });
});

describe("GET /api/rooms/:name/messages", () => {
  it("returns the last N messages oldest first (default 50, at most 200)", async () => {
    const room = crypto.randomUUID();
    for (let i = 1; i <= 60; i++) {
      await call(`/api/rooms/${room}/messages`, { method: "POST", json: { user: "u", text: `m${i}` } });
    }
    const all = await call(`/api/rooms/${room}/messages`);
    expect(all.body.room).toBe(room);
    expect(all.body.messages.map((m: any) => m.text)).toEqual(
      Array.from({ length: 50 }, (_, i) => `m${i + 11}`),
    );
    const three = await call(`/api/rooms/${room}/messages?limit=3`);
    expect(three.body.messages.map((m: any) => m.id)).toEqual([58, 59, 60]);
    expect((await call(`/api/rooms/${room}/messages?limit=200`)).body.messages).toHaveLength(60);
  });

  it.each([
    ["an accented letter", "e\u0301"],
    ["an emoji sequence with a joiner", "\u{1f469}\u200d\u{1f4bb}"],
    ["a letter between zero-width spaces", "\u200bx\u200b"],
  ])("accepts %s", async (_label, text) => {
    const res = await call(`/api/rooms/${crypto.randomUUID()}/messages`, {
      method: "POST",
      json: { user: "ops", text },
    });
    expect(res.status).toBe(201);
    expect(res.body.text).toBe(text);
  });

  it("bounds a response by bytes as well as by count, and pages back with before=", async () => {
    const room = crypto.randomUUID();
    // Control characters escape to six bytes each in JSON: about 24 KiB per message.
    const heavy = "\u0001".repeat(CHAT_LIMITS.maxTextBytes);
    await runInDurableObject(env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(room)), (instance: ChatRoom) => {
      for (let i = 1; i <= 200; i++)
        expect(instance.post("bulk", `${i} ${heavy}`.slice(0, 4000)).ok).toBe(true);
    });
    const res = await SELF.fetch(`${BASE}/api/rooms/${room}/messages?limit=200`);
    const text = await res.text();
    expect(new TextEncoder().encode(text).byteLength).toBeLessThan(CHAT_LIMITS.responseBytes + 1024);
    const page = JSON.parse(text) as { messages: { id: number }[] };
    const ids = page.messages.map((m) => m.id);
    expect(ids.length).toBeGreaterThan(1);
    expect(ids.length).toBeLessThan(200);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => 201 - ids.length + i)); // the newest ones
    const older = await call(`/api/rooms/${room}/messages?limit=2&before=${ids[0]}`);
    expect(older.body.messages.map((m: any) => m.id)).toEqual([ids[0]! - 2, ids[0]! - 1]);

    const alice = await connect(room, "alice");
    const welcome = await alice.nextOf("welcome");
    const historyBytes = new TextEncoder().encode(JSON.stringify(welcome.history)).byteLength;
    expect(historyBytes).toBeLessThanOrEqual(CHAT_LIMITS.welcomeHistoryBytes);
    expect(welcome.history.at(-1)?.id).toBe(200);
  });

  it.each(["0", "-1", "1.5", "abc", ""])("before=%s is 400 invalid_before", async (before) => {
    const res = await call(`/api/rooms/r/messages?before=${before}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_before");
  });

  it("reads a room that holds nothing without creating its storage", async () => {
    const room = crypto.randomUUID();
    expect((await call(`/api/rooms/${room}/messages`)).body).toEqual({ room, messages: [] });
    expect((await call(`/api/rooms/${room}/members`)).body).toEqual({
      room,
      count: 0,
      members: [],
      next: null,
    });
    const stored = await runInDurableObject(
      env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(room)),
      (_instance, state) => ({
        tables: state.storage.sql.exec("SELECT name FROM sqlite_master").toArray(),
        bytes: state.storage.sql.databaseSize,
      }),
    );
    const untouched = await runInDurableObject(
      env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(crypto.randomUUID())),
      (_instance, state) => state.storage.sql.databaseSize,
    );
    expect(stored).toEqual({ tables: [], bytes: untouched });
    // The first write creates it.
    await call(`/api/rooms/${room}/messages`, { method: "POST", json: { user: "u", text: "first" } });
    expect((await call(`/api/rooms/${room}/messages`)).body.messages).toMatchObject([
      { id: 1, text: "first" },
    ]);
  });

  it.each(["0", "201", "-1", "1.5", "abc", "", "99999"])("limit=%s is 400 invalid_limit", async (limit) => {
    const res = await call(`/api/rooms/r/messages?limit=${limit}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_limit");
  });
});

describe("GET /api/rooms/:name/ws", () => {
  it("is 426 JSON without Upgrade: websocket", async () => {
    const res = await call("/api/rooms/lobby/ws?user=alice");
    expect(res.status).toBe(426);
    expect(res.headers.get("upgrade")).toBe("websocket");
    expect(res.body.error.code).toBe("upgrade_required");
  });

  it.each([
    ["missing", ""],
    ["empty", "?user="],
    ["with a space", "?user=a%20b"],
    ["too long", `?user=${"u".repeat(33)}`],
    ["non-ASCII", "?user=Jos%C3%A9"],
  ])("refuses a user name that is %s with 400 JSON", async (_label, query) => {
    const res = await SELF.fetch(`${BASE}/api/rooms/lobby/ws${query}`, { headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(400);
    expect(res.webSocket).toBeNull();
    expect(await res.json()).toEqual({ error: { code: "invalid_user", message: expect.any(String) } });
  });

  it("refuses an invalid room name with 400 invalid_name", async () => {
    const res = await SELF.fetch(`${BASE}/api/rooms/a%20b/ws?user=alice`, {
      headers: { Upgrade: "websocket" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe("invalid_name");
  });

  it("is 405 for other methods", async () => {
    const res = await call("/api/rooms/lobby/messages", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, POST");
  });
});

describe("a room nobody uses forgets its history", () => {
  const DAY = 24 * 60 * 60 * 1000;
  it(`deletes its storage ${CHAT_LIMITS.historyExpiryMs / DAY} days after the last message when no socket is open`, async () => {
    const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(crypto.randomUUID()));
    expect((await stub.post("ann", "remember me")).ok).toBe(true);
    // The alarm is armed by the post; while the last message is recent it only moves to its expiry.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const at = await runInDurableObject(
      stub,
      (_i, state) => state.storage.sql.exec<{ at: number }>("SELECT at FROM messages").one().at,
    );
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(
      at + CHAT_LIMITS.historyExpiryMs,
    );
    expect(await stub.history()).toHaveLength(1);
    // A month and a day later (the message's time moved back instead of waiting).
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE messages SET at = ?", Date.now() - CHAT_LIMITS.historyExpiryMs - DAY);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.history()).toEqual([]);
    const tables = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .toArray()
        .filter((t) => !t.name.startsWith("_cf") && t.name !== "sqlite_sequence"),
    );
    expect(tables).toEqual([]);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
    // The next post starts the room afresh.
    expect((await stub.post("ann", "hello again")).ok).toBe(true);
    expect(await stub.history()).toMatchObject([{ text: "hello again" }]);
  });
});
