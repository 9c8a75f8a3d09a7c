import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";

const app = createApp();

describe("API answers are never cached", () => {
  it.each([
    ["a read", "GET", `/api/counters/nc-${crypto.randomUUID()}`],
    ["a write", "POST", `/api/counters/nc-${crypto.randomUUID()}/increment`],
    ["an error", "GET", "/api/counters/bad%20name"],
    ["an unknown route", "GET", "/api/nothing-here"],
  ])("%s carries Cache-Control: no-store", async (_what, method, path) => {
    const res = await app.request(path, { method }, env);
    await res.body?.cancel();
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});
