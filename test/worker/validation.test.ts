import { env, SELF } from "cloudflare:test";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { parseClientFrame } from "../../worker/chat/protocol.ts";
import { describeIssues } from "../../worker/http/validation.ts";
import { createJobBody } from "../../worker/scheduler/job-input.ts";
import { checkAction } from "../../worker/scheduler/registry.ts";

/** The readable message of a job body the schema refuses (what a client reads in a 400 `invalid_body`). */
function jobMessage(body: unknown): string {
  const result = v.safeParse(createJobBody, body);
  expect(result.success).toBe(false);
  return result.success ? "" : describeIssues(result.issues);
}

const increment = { type: "counter.increment", counter: "x" };
const hook = (extra: object) => ({ type: "webhook", url: "https://hooks.example.com/x", ...extra });

describe("the messages of refused input", () => {
  it("name the field's path, then the message; at most three, each once", () => {
    expect(jobMessage({ delayMs: 1000, action: { ...increment, by: 0 } })).toBe(
      "action.by: must be an integer from 1 to 1000000",
    );
    // Fractional and out of range: two checks fail with one message, which is said once.
    expect(jobMessage({ delayMs: -1.5, action: increment })).toBe(
      "delayMs: must be an integer from 0 to 31622400000",
    );
    expect(jobMessage({ delayMs: "x", everyMs: "y", cron: 1, runAt: false, action: 1 }).split("; ")).toEqual([
      "runAt: must be epoch milliseconds (an integer) or an ISO 8601 time with a zone, like 2030-01-01T09:00:00Z",
      "delayMs: must be an integer from 0 to 31622400000",
      "everyMs: must be an integer from 1000 to 31622400000",
    ]);
  });

  it("say an unknown key of its object, and name it", () => {
    expect(jobMessage({ delayMs: 1000, action: increment, priority: 1 })).toBe(
      'Unrecognized key: "priority"',
    );
    expect(jobMessage({ delayMs: 1000, action: { ...increment, to: 3 } })).toBe(
      'action: Unrecognized key: "to"',
    );
  });

  it("say what the missing field's own schema says (its custom message included)", () => {
    expect(jobMessage({ delayMs: 1000 })).toBe("action: Invalid input: expected object, received undefined");
    expect(jobMessage({ delayMs: 1000, action: { type: "webhook" } })).toBe(
      "action.url: must be an absolute URL",
    );
    expect(jobMessage({ delayMs: 1000, action: { type: "counter.increment" } })).toBe(
      "action.counter: Invalid input: expected string, received undefined",
    );
  });

  it("word the issues no schema words itself", () => {
    expect(jobMessage({ cron: 5, action: increment })).toBe("cron: must be a string");
    expect(jobMessage({ cron: "x".repeat(201), action: increment })).toBe(
      "cron: Too big: expected string to have <=200 characters",
    );
    expect(jobMessage({ delayMs: 1000, action: hook({ headers: "x" }) })).toBe(
      "action.headers: Invalid input: expected record, received string",
    );
    expect(parseClientFrame('{"type":"message","text":42}')).toEqual({
      ok: false,
      code: "invalid_frame",
      message: "text: Invalid input: expected string, received number",
    });
  });
});

describe("arrays are not objects", () => {
  it("refuses an array where a body, an action or headers must be an object", () => {
    expect(jobMessage([])).toBe("Invalid input: expected object, received array");
    expect(jobMessage({ delayMs: 1000, action: [] })).toBe(
      "action: Invalid input: expected object, received array",
    );
    expect(jobMessage({ delayMs: 1000, action: hook({ headers: [] }) })).toBe(
      "action.headers: Invalid input: expected record, received array",
    );
    expect(parseClientFrame("[]")).toMatchObject({ ok: false });
  });

  it("answers 400 to `[]` as an increment's body and leaves the counter alone", async () => {
    const name = crypto.randomUUID();
    const res = await SELF.fetch(`https://platform.test/api/counters/${name}/increment`, {
      method: "POST",
      body: "[]",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: "invalid_body", message: "Invalid input: expected object, received array" },
    });
    expect(await env.COUNTER.get(env.COUNTER.idFromName(name)).get()).toBe(0);
  });
});

describe("webhook actions keep what they are given", () => {
  it("sends a JSON body with every key it had, `constructor` and `__proto__` included", () => {
    const body = JSON.parse('{"__proto__":{"a":1},"constructor":2,"list":[{"prototype":3}]}');
    const checked = checkAction(hook({ body }), env);
    expect(checked.ok).toBe(true);
    expect(JSON.stringify(checked.ok && checked.action)).toContain(JSON.stringify(body));
  });

  it("refuses header names that would be dropped instead of storing fewer headers", () => {
    for (const name of ["__proto__", "constructor", "prototype"]) {
      const headers = JSON.parse(`{"x-a":"1",${JSON.stringify(name)}:"x"}`);
      expect(checkAction(hook({ headers }), env)).toEqual({
        ok: false,
        code: "invalid_action",
        message: `headers: ${name} is not a header name a job can use`,
      });
    }
  });
});
