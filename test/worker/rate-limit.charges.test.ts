import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import { rateLimits } from "../../worker/manifest.ts";

const app = createApp();
type LimiterName = keyof typeof rateLimits;

/** The worker's env with every rate limiter replaced by one that allows everything and counts what it was asked. */
function countingEnv() {
  const spent: Record<string, number> = {};
  const limiters = Object.fromEntries(
    (Object.keys(rateLimits) as LimiterName[]).map((name) => [
      name,
      {
        limit: async () => {
          spent[name] = (spent[name] ?? 0) + 1;
          return { success: true };
        },
      },
    ]),
  );
  return { env: { ...env, ...limiters }, spent };
}

const upgradeHeaders = {
  Upgrade: "websocket",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
};

describe("every public request is charged exactly once", () => {
  const room = `charges-${crypto.randomUUID()}`;
  it.each([
    ["a read", "GET", `/api/rooms/${room}/messages?limit=200`, {}, { PUBLIC_READS: 1 }],
    [
      "a read with Upgrade: websocket",
      "GET",
      `/api/rooms/${room}/messages?limit=200`,
      upgradeHeaders,
      {
        PUBLIC_READS: 1,
      },
    ],
    [
      "a job list with Upgrade: websocket",
      "GET",
      `/api/schedulers/${room}/jobs?limit=1000`,
      upgradeHeaders,
      {
        PUBLIC_READS: 1,
      },
    ],
    ["a HEAD with Upgrade: websocket", "HEAD", `/api/counters/${room}`, upgradeHeaders, { PUBLIC_READS: 1 }],
    ["an upgrade", "GET", `/api/rooms/${room}/ws?user=alice`, upgradeHeaders, { PUBLIC_WRITES: 1 }],
    [
      "a GET of the upgrade route without the upgrade",
      "GET",
      `/api/rooms/${room}/ws?user=bob`,
      {},
      {
        PUBLIC_WRITES: 1,
      },
    ],
    ["a write", "POST", `/api/counters/${room}/increment`, {}, { PUBLIC_WRITES: 1 }],
  ])("%s", async (_what, method, path, headers, expected) => {
    const { env: counting, spent } = countingEnv();
    const res = await app.request(path, { method, headers }, counting);
    await res.body?.cancel();
    expect(res.status).toBeLessThan(500);
    expect(spent).toEqual(expected);
  });
});
