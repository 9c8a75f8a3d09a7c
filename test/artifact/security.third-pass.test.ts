// Over real HTTP and WebSockets on the built bundle: limits that could be sidestepped, and names that could be
// spoken for, in a third adversarial review.
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { ChatClient } from "../../scripts/lib/chat-client.ts";
import { call, uniqueName, useBuiltPlatform, usePlatforms } from "../support/platform.ts";

const start = usePlatforms();
let base: URL;
useBuiltPlatform((platform) => {
  base = platform.url;
});

const from = (ip: string) => ({ "cf-connecting-ip": ip });

/** The status of a GET sent as is (fetch refuses an Upgrade header). */
function statusOf(url: URL, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("an Upgrade header does not skip the read limit", () => {
  it("a client at its read limit is refused, with or without Upgrade: websocket", async () => {
    const limited = (await start({ env: { rateLimits: { PUBLIC_READS: { limit: 2, period: 60 } } } })).url;
    const name = uniqueName("reads");
    const headers = { ...from("198.51.100.40"), upgrade: "websocket" };
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push(await statusOf(new URL(`/api/rooms/${name}/messages?limit=200`, limited), headers));
    expect(statuses).toContain(429);
    expect(await statusOf(new URL(`/api/schedulers/${name}/jobs?limit=1000`, limited), headers)).toBe(429);
  });
});

describe("posting in a present person's name", () => {
  it("is 409 name_taken over HTTP without her resume key, 201 with it", async () => {
    const room = uniqueName("room");
    const alice = await ChatClient.connect(base, room, "alice", { headers: from("10.77.0.1") });
    try {
      const { resumeKey } = await alice.nextOf("welcome");
      const path = `/api/rooms/${room}/messages`;
      const spoofed = await call(base, path, { method: "POST", json: { user: "alice", text: "it's me" } });
      expect(spoofed.status).toBe(409);
      expect(spoofed.body.error.code).toBe("name_taken");
      const own = await call(base, path, {
        method: "POST",
        json: { user: "alice", text: "it's me", resumeKey },
      });
      expect(own.status).toBe(201);
      expect(await alice.nextChat()).toMatchObject({ type: "message", user: "alice", text: "it's me" });
    } finally {
      await alice.close();
    }
  });
});

describe("API answers are not cached", () => {
  it.each(["/api/counters/x", "/api/rooms/x/messages", "/api/schedulers/x/jobs", "/api/nothing"])(
    "%s carries Cache-Control: no-store",
    async (path) => {
      expect((await call(base, path)).headers.get("cache-control")).toBe("no-store");
    },
  );
});
