import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const BASE = "https://platform.test";

async function send(path: string, body: BodyInit, headers: Record<string, string> = {}, method = "POST") {
  const res = await SELF.fetch(`${BASE}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as any };
}

// "x" and 1,365 escaped lone surrogates: 4,096 bytes as first measured, 12,286 once stored as U+FFFD.
const surrogates = `x${"\\ud800".repeat(1365)}`;

describe("every string the API stores is well-formed Unicode", () => {
  it("refuses chat text with lone surrogates with 400 invalid_unicode and stores nothing", async () => {
    const room = crypto.randomUUID();
    const res = await send(`/api/rooms/${room}/messages`, `{"user":"u","text":"${surrogates}"}`);
    expect(res).toMatchObject({ status: 400, body: { error: { code: "invalid_unicode" } } });
    const history = (await (await SELF.fetch(`${BASE}/api/rooms/${room}/messages`)).json()) as any;
    expect(history.messages).toEqual([]);
  });

  it("refuses a lone surrogate anywhere in a job (a webhook body), naming where", async () => {
    const res = await send(
      `/api/schedulers/${crypto.randomUUID()}/jobs`,
      `{"delayMs":1000,"action":{"type":"webhook","url":"https://hooks.example.com/","body":{"note":"\\udfff"}}}`,
      { authorization: `Bearer ${env.ADMIN_TOKEN}` },
    );
    expect(res).toMatchObject({ status: 400, body: { error: { code: "invalid_unicode" } } });
    expect(res.body.error.message).toContain("action.body.note");
  });

  it("accepts a surrogate pair written as escapes (one emoji)", async () => {
    const res = await send(
      `/api/rooms/${crypto.randomUUID()}/messages`,
      '{"user":"u","text":"\\ud83d\\ude00"}',
    );
    expect(res).toMatchObject({ status: 201, body: { text: "\u{1f600}" } });
  });

  it("refuses a body that is not UTF-8 with 400 invalid_json", async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"user":"u","text":"'),
      0xc3,
      0x28,
      0x22,
      0x7d,
    ]);
    const res = await send(`/api/rooms/${crypto.randomUUID()}/messages`, bytes);
    expect(res).toMatchObject({ status: 400, body: { error: { code: "invalid_json" } } });
  });

  it.each(["utf-16", "UTF-16LE", "latin1", '"utf-32"'])("refuses charset=%s with 415", async (charset) => {
    const res = await send(`/api/counters/${crypto.randomUUID()}/increment`, '{"by":1}', {
      "content-type": `application/json; charset=${charset}`,
    });
    expect(res).toMatchObject({ status: 415, body: { error: { code: "unsupported_media_type" } } });
  });

  it.each(["utf-8", "UTF-8", '"utf-8"', "utf8"])("accepts charset=%s", async (charset) => {
    const res = await send(`/api/counters/${crypto.randomUUID()}/increment`, '{"by":2}', {
      "content-type": `application/json; charset=${charset}`,
    });
    expect(res).toMatchObject({ status: 200, body: { count: 2 } });
  });
});
