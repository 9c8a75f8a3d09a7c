import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
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
