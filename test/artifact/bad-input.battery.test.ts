import http from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CHAT_LIMITS, POLICY_CLOSE_CODE, TOO_BIG_CLOSE_CODE } from "../../worker/chat/protocol.ts";
import {
  type BadRequest,
  badSchedulerRequests,
  nested,
  schedulerState,
} from "../support/bad-scheduler-requests.ts";
import { adminHeaders, call, useBuiltPlatform } from "../support/platform.ts";

/**
 * A battery of generated bad requests and frames against the built bundle. Each must get a 4xx JSON error (or an
 * error frame), never a 5xx or a dropped socket, and the state of counters, rooms and jobs must be unchanged.
 */
let base: URL;
useBuiltPlatform((platform) => {
  base = platform.url;
});

const run = crypto.randomUUID().slice(0, 8);
const COUNTERS = { [`alpha-${run}`]: 11, [`beta-${run}`]: 22 } as const;
const ROOM = `room-${run}`;
const [TARGET] = Object.keys(COUNTERS) as [string];

const JSON_TYPE = { "content-type": "application/json" };
/** What a real WebSocket client sends to upgrade (RFC 6455). */
const UPGRADE = {
  connection: "Upgrade",
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

/** Names that break the rule, as they appear in a URL path. */
const BAD_NAMES = [
  "n".repeat(65),
  "a%20b",
  "a%2Fb",
  "caf%C3%A9",
  "%00",
  "%FF",
  "%E0%A4%A",
  "%3Cscript%3E",
  "a%3Bb",
  "%F0%9F%98%80",
  "a*b",
  "~tilde",
];

const BAD_COUNTER_BODIES: [string, string, Record<string, string>][] = [
  ["by 0", '{"by":0}', JSON_TYPE],
  ["by -1", '{"by":-1}', JSON_TYPE],
  ["by too big", '{"by":1000001}', JSON_TYPE],
  ["by huge", '{"by":1e308}', JSON_TYPE],
  ["by fraction", '{"by":0.5}', JSON_TYPE],
  ["by string", '{"by":"5"}', JSON_TYPE],
  ["by null", '{"by":null}', JSON_TYPE],
  ["by true", '{"by":true}', JSON_TYPE],
  ["by array", '{"by":[1]}', JSON_TYPE],
  ["by object", '{"by":{"n":1}}', JSON_TYPE],
  ["extra field", '{"by":1,"admin":true}', JSON_TYPE],
  ["proto key", '{"__proto__":{"by":5}}', JSON_TYPE],
  ["array body", "[1,2]", JSON_TYPE],
  ["number body", "5", JSON_TYPE],
  ["string body", '"by"', JSON_TYPE],
  ["null body", "null", JSON_TYPE],
  ["truncated JSON", '{"by":', JSON_TYPE],
  ["single quotes", "{'by':1}", JSON_TYPE],
  ["trailing comma", '{"by":1,}', JSON_TYPE],
  ["NaN literal", '{"by":NaN}', JSON_TYPE],
  ["text/plain", '{"by":1}', { "content-type": "text/plain" }],
  ["form body", "by=1", { "content-type": "application/x-www-form-urlencoded" }],
  ["multipart", "--x\r\n\r\n1\r\n--x--", { "content-type": "multipart/form-data; boundary=x" }],
  ["no content type", '{"by":1}', {}],
  ["json-ish type", '{"by":1}', { "content-type": "application/jsonp" }],
  ["huge body", `{"by":1,"pad":"${"x".repeat(70_000)}"}`, JSON_TYPE],
  ["nested 3,000 deep", `{"by":1,"pad":${nested(3000)}}`, JSON_TYPE],
  ["nested 65 deep", `{"by":1,"pad":${nested(64)}}`, JSON_TYPE],
];

const BAD_CHAT_BODIES: [string, string, Record<string, string>][] = [
  ["missing user", '{"text":"hi"}', JSON_TYPE],
  ["missing text", '{"user":"ann"}', JSON_TYPE],
  ["empty user", '{"user":"","text":"hi"}', JSON_TYPE],
  ["bad user", '{"user":"a b","text":"hi"}', JSON_TYPE],
  ["long user", `{"user":"${"u".repeat(33)}","text":"hi"}`, JSON_TYPE],
  ["empty text", '{"user":"ann","text":""}', JSON_TYPE],
  ["blank text", '{"user":"ann","text":"   "}', JSON_TYPE],
  ["only NUL text", '{"user":"ann","text":"\\u0000\\u0000"}', JSON_TYPE],
  ["only zero-width text", '{"user":"ann","text":"\\u200b\\u200d\\ufeff"}', JSON_TYPE],
  ["text too long", `{"user":"ann","text":"${"t".repeat(4097)}"}`, JSON_TYPE],
  ["text number", '{"user":"ann","text":42}', JSON_TYPE],
  ["extra field", '{"user":"ann","text":"hi","id":1}', JSON_TYPE],
  ["malformed", '{"user":"ann",', JSON_TYPE],
  ["text/plain", '{"user":"ann","text":"hi"}', { "content-type": "text/plain" }],
  ["no body", "", JSON_TYPE],
  ["huge body", `{"user":"ann","text":"${"x".repeat(70_000)}"}`, JSON_TYPE],
  ["nested 3,000 deep", `{"user":"ann","text":"hi","x":${nested(3000)}}`, JSON_TYPE],
  ["lone surrogates", `{"user":"ann","text":"x${"\\ud800".repeat(1365)}"}`, JSON_TYPE],
  ["a lone low surrogate", '{"user":"ann","text":"ok \\udc00"}', JSON_TYPE],
  ["a lone surrogate in a key", '{"user":"ann","text":"hi","\\ud800":1}', JSON_TYPE],
  ["charset utf-16", '{"user":"ann","text":"hi"}', { "content-type": "application/json; charset=utf-16" }],
  [
    "charset latin1",
    '{"user":"ann","text":"hi"}',
    { "content-type": "application/json; charset=iso-8859-1" },
  ],
];

function badRequests(): BadRequest[] {
  const cases: BadRequest[] = [];
  for (const name of BAD_NAMES) {
    cases.push(
      { label: `GET counter ${name}`, method: "GET", path: `/api/counters/${name}` },
      { label: `increment ${name}`, method: "POST", path: `/api/counters/${name}/increment` },
      { label: `decrement ${name}`, method: "POST", path: `/api/counters/${name}/decrement` },
      { label: `reset ${name}`, method: "DELETE", path: `/api/counters/${name}`, headers: adminHeaders },
      { label: `history ${name}`, method: "GET", path: `/api/rooms/${name}/messages` },
      { label: `members ${name}`, method: "GET", path: `/api/rooms/${name}/members` },
      {
        label: `post ${name}`,
        method: "POST",
        path: `/api/rooms/${name}/messages`,
        headers: JSON_TYPE,
        body: '{"user":"ann","text":"hi"}',
      },
      {
        label: `upgrade ${name}`,
        method: "GET",
        path: `/api/rooms/${name}/ws?user=ann`,
        headers: UPGRADE,
      },
    );
  }
  for (const [label, body, headers] of BAD_COUNTER_BODIES) {
    for (const action of ["increment", "decrement"]) {
      cases.push({
        label: `${action}: ${label}`,
        method: "POST",
        path: `/api/counters/${TARGET}/${action}`,
        headers,
        body,
      });
    }
  }
  for (const [label, body, headers] of BAD_CHAT_BODIES) {
    cases.push({
      label: `chat post: ${label}`,
      method: "POST",
      path: `/api/rooms/${ROOM}/messages`,
      headers,
      body,
    });
  }
  for (const limit of ["0", "-1", "201", "abc", "1.5", "", "1e2", "99999", "%20"]) {
    cases.push({
      label: `history limit ${limit}`,
      method: "GET",
      path: `/api/rooms/${ROOM}/messages?limit=${limit}`,
    });
  }
  for (const before of ["0", "-1", "abc", "1.5", "", "1e2", "%20"]) {
    cases.push({
      label: `history before ${before}`,
      method: "GET",
      path: `/api/rooms/${ROOM}/messages?before=${before}`,
    });
  }
  for (const cursor of ["", "a%20b", "u".repeat(33), "%00"]) {
    cases.push({
      label: `members cursor ${cursor.slice(0, 10)}`,
      method: "GET",
      path: `/api/rooms/${ROOM}/members?cursor=${cursor}`,
    });
  }
  for (const user of ["", "a%20b", "u".repeat(33), "%00", "caf%C3%A9"]) {
    cases.push({
      label: `upgrade user ${user.slice(0, 10)}`,
      method: "GET",
      path: `/api/rooms/${ROOM}/ws?user=${user}`,
      headers: UPGRADE,
    });
  }
  cases.push(
    { label: "upgrade without Upgrade header", method: "GET", path: `/api/rooms/${ROOM}/ws?user=ann` },
    {
      label: "upgrade without Sec-WebSocket-Key",
      method: "GET",
      path: `/api/rooms/${ROOM}/ws?user=ann`,
      headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13" },
    },
    {
      label: "upgrade with Sec-WebSocket-Version 8",
      method: "GET",
      path: `/api/rooms/${ROOM}/ws?user=ann`,
      headers: { ...UPGRADE, "sec-websocket-version": "8" },
    },
  );
  for (const id of ["x", "0".repeat(63), "0".repeat(65), "G".repeat(64), "A".repeat(64), "%00".repeat(3)]) {
    cases.push(
      { label: `by-id get ${id.slice(0, 8)}`, method: "GET", path: `/api/counters/by-id/${id}` },
      {
        label: `by-id increment ${id.slice(0, 8)}`,
        method: "POST",
        path: `/api/counters/by-id/${id}/increment`,
      },
      {
        label: `by-id reset ${id.slice(0, 8)}`,
        method: "DELETE",
        path: `/api/counters/by-id/${id}`,
        headers: adminHeaders,
      },
    );
  }
  for (const [label, headers] of [
    ["no token", {}],
    ["wrong token", { authorization: "Bearer nope" }],
    ["basic auth", { authorization: "Basic Zm9vOmJhcg==" }],
    ["token in query", {}],
    ["lowercase scheme only", { authorization: "bearer" }],
  ] as const) {
    cases.push({
      label: `reset: ${label}`,
      method: "DELETE",
      path: `/api/counters/${TARGET}?token=x`,
      headers,
    });
  }
  for (const [method, p] of [
    ["PUT", `/api/counters/${TARGET}`],
    ["PATCH", `/api/counters/${TARGET}`],
    ["GET", `/api/counters/${TARGET}/increment`],
    ["DELETE", `/api/counters/${TARGET}/increment`],
    ["PUT", "/api/counters"],
    ["DELETE", "/api/counters"],
    ["POST", "/health"],
    ["DELETE", `/api/rooms/${ROOM}/messages`],
    ["POST", `/api/rooms/${ROOM}/ws`],
    ["POST", "/"],
  ] as const) {
    cases.push({ label: `${method} ${p}`, method, path: p });
  }
  for (const p of TRAILING_SLASH_PATHS) cases.push({ label: `trailing slash ${p}`, method: "GET", path: p });
  for (const p of [
    "/api",
    "/api/",
    "/api/counter/x",
    "/api/counters/a/b/c",
    "/api/rooms",
    "/admin",
    "/.env",
    "/api/widgets/1",
  ]) {
    cases.push({ label: `unknown ${p}`, method: "GET", path: p });
  }
  cases.push(...badSchedulerRequests());
  return cases;
}

/** Every route's path with a trailing slash: one rule for all of them (404 not_found, README "Errors"). */
const TRAILING_SLASH_PATHS = [
  "/health/",
  `/api/counters/${TARGET}/`,
  `/api/counters/${TARGET}/increment/`,
  `/api/counters/${TARGET}/decrement/`,
  "/api/counters/",
  `/api/rooms/${ROOM}/messages/`,
  `/api/rooms/${ROOM}/ws/`,
  "/api/schedulers/zz/",
  "/api/schedulers/zz/jobs/",
  "/api/schedulers/zz/jobs/some-id/",
];

const BAD_FRAMES: (string | Buffer)[] = [
  "not json",
  "{",
  '"a string"',
  "42",
  "null",
  "[]",
  "{}",
  '{"type":"shout","text":"hi"}',
  '{"type":42}',
  '{"type":"message"}',
  '{"type":"message","text":""}',
  '{"type":"message","text":"   "}',
  '{"type":"message","text":7}',
  '{"type":"message","text":null}',
  `{"type":"message","text":"${"x".repeat(4097)}"}`,
  '{"type":"message","text":"hi","user":"someone-else"}',
  '{"type":"join","user":"mallory"}',
  '{"type":"welcome"}',
  Buffer.from([0, 1, 2, 3]),
  `{"type":"message","text":"x${"\\ud800".repeat(1365)}"}`,
  '{"type":"message","text":"\\udfff"}',
  '{"type":"message","text":"replaced \ufffd"}',
];

/** A raw HTTP request (fetch refuses some of what the battery sends, such as an Upgrade header). */
function send(c: BadRequest): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve) => {
    // A fresh connection per case: one case's ending can never be blamed on another.
    const req = http.request(
      new URL(c.path, base),
      { method: c.method, headers: c.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    // An upgrade the server accepted would be a failure of the battery, not a crash of the test.
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, contentType: "", text: "accepted an upgrade" });
    });
    // A dropped connection is a failure of that case (status 0), reported with the others.
    req.on("error", (error) =>
      resolve({ status: 0, contentType: "", text: `connection error: ${error.message}` }),
    );
    req.end(c.body);
  });
}

async function snapshot() {
  const counters: Record<string, number> = {};
  for (const name of Object.keys(COUNTERS))
    counters[name] = (await call(base, `/api/counters/${name}`)).body.count;
  const history = (await call(base, `/api/rooms/${ROOM}/messages?limit=200`)).body.messages;
  return { counters, history, scheduler: await schedulerState(base) };
}

describe("the bad-input battery", () => {
  let before: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    for (const [name, value] of Object.entries(COUNTERS)) {
      await call(base, `/api/counters/${name}/increment`, { method: "POST", json: { by: value } });
    }
    for (const text of ["one", "two", "three"]) {
      await call(base, `/api/rooms/${ROOM}/messages`, { method: "POST", json: { user: "seed", text } });
    }
    before = await snapshot();
  });

  const cases = badRequests();

  it("has at least 200 generated bad requests and frames", () => {
    expect(cases.length + BAD_FRAMES.length).toBeGreaterThanOrEqual(200);
  });

  it("answers every bad request with a 4xx JSON error, never a 5xx", async () => {
    const failures: string[] = [];
    for (const c of cases) {
      const res = await send(c);
      const text = res.text;
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const ok =
        res.status >= 400 &&
        res.status < 500 &&
        /^application\/json/.test(res.contentType) &&
        /^[a-z][a-z0-9_]*$/.test(body?.error?.code ?? "") &&
        typeof body?.error?.message === "string" &&
        body.error.message.length > 0;
      if (!ok) failures.push(`${c.label}: ${res.status} ${text.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
  });

  /** A socket of the battery's room with the frames it received. */
  async function fuzzer(user: string) {
    const url = new URL(`/api/rooms/${ROOM}/ws?user=${user}`, base);
    url.protocol = "ws:";
    const ws = new WebSocket(url);
    const frames: any[] = [];
    ws.on("message", (data) => frames.push(JSON.parse(String(data))));
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const errorCount = () => frames.filter((f) => f.type === "error").length;
    const waitFor = async (count: number) => {
      const deadline = Date.now() + 5_000;
      while (errorCount() < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    return { ws, frames, closed, waitFor };
  }

  it("answers every bad frame with an error frame and keeps the socket open and usable", async () => {
    // A socket takes CHAT_LIMITS.badFramesPerWindow refused frames per window (one more closes it, see below):
    // the frames go in batches of that size, each on a socket of its own, so each is judged on its own.
    const batch = CHAT_LIMITS.badFramesPerWindow;
    for (let start = 0; start < BAD_FRAMES.length; start += batch) {
      const { ws, frames, waitFor } = await fuzzer(`fuzzer-${start}`);
      const batchFrames = BAD_FRAMES.slice(start, start + batch);
      let sent = 0;
      for (const frame of batchFrames) {
        ws.send(frame);
        sent++;
        await waitFor(sent);
      }
      const errors = frames.filter((f) => f.type === "error");
      expect(errors).toHaveLength(batchFrames.length);
      for (const e of errors)
        expect(e).toEqual({
          type: "error",
          code: expect.stringMatching(/^[a-z_0-9]+$/),
          message: expect.any(String),
        });
      expect(frames.some((f) => f.type === "message")).toBe(false);
      expect(ws.readyState).toBe(WebSocket.OPEN);
      ws.close();
    }
  }, 60_000);

  it("closes a socket that keeps sending bad frames (1008), and one that sends an oversized frame (1009)", async () => {
    const noisy = await fuzzer("noisy");
    for (let i = 0; i <= CHAT_LIMITS.badFramesPerWindow; i++) noisy.ws.send("not json");
    expect(await noisy.closed).toBe(POLICY_CLOSE_CODE);
    const big = await fuzzer("big");
    big.ws.send(`{"type":"message","text":"${"x".repeat(CHAT_LIMITS.maxFrameChars)}"}`);
    expect(await big.closed).toBe(TOO_BIG_CLOSE_CODE);
    expect(big.frames.filter((f) => f.type === "error")).toEqual([]);
    // Invalid UTF-8 in a text frame (the runtime hands the room U+FFFD in its place): refused.
    const bytes = await fuzzer("bytes");
    bytes.ws.send(Buffer.from([...Buffer.from('{"type":"message","text":"'), 0xc3, 0x28, 0x22, 0x7d]), {
      binary: false,
    });
    await bytes.waitFor(1);
    expect(bytes.frames).toContainEqual(expect.objectContaining({ type: "error" }));
    bytes.ws.close();
  }, 30_000);

  it("answers a trailing slash with 404 not_found on every route, whatever the method", async () => {
    const wrong: string[] = [];
    for (const p of TRAILING_SLASH_PATHS) {
      for (const method of ["GET", "POST", "DELETE"]) {
        const res = await send({ label: p, method, path: p, headers: adminHeaders });
        const code = JSON.parse(res.text)?.error?.code;
        if (res.status !== 404 || code !== "not_found") wrong.push(`${method} ${p}: ${res.status} ${code}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("answers GET and HEAD with an empty chunked body as without one", async () => {
    const chunked = { "transfer-encoding": "chunked" };
    const wrong: string[] = [];
    for (const [method, p, status] of [
      ["GET", `/api/counters/${TARGET}`, 200],
      ["HEAD", `/api/counters/${TARGET}`, 200],
      ["GET", `/api/rooms/${ROOM}/messages`, 200],
      ["GET", "/api/schedulers/zz/jobs", 200],
      ["HEAD", "/api/schedulers/zz/jobs", 200],
      ["GET", "/api/schedulers/zz/jobs/00000000-0000-4000-8000-000000000000", 404],
      ["GET", "/health", 200],
    ] as const) {
      const res = await send({ label: p, method, path: p, headers: chunked });
      if (res.status !== status) wrong.push(`${method} ${p}: ${res.status} ${res.text.slice(0, 80)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("leaves counters, rooms and jobs exactly as they were", async () => {
    expect(await snapshot()).toEqual(before);
  });
});
