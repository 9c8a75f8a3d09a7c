import { describe, expect, it } from "vitest";
import { adminHeaders, call, uniqueName, useBuiltPlatform, usePlatforms } from "../support/platform.ts";

const start = usePlatforms();

let base: URL;
useBuiltPlatform((platform) => {
  base = platform.url;
});

async function counterAt(url: URL, name: string, value: number) {
  await call(url, `/api/counters/${name}/increment`, { method: "POST", json: { by: value } });
}

// Side by side: the rate limit's test waits out its 10 s window, and every test names its own objects on its own
// platform or on the file's one.
describe.concurrent("the platform's security over HTTP", () => {
  describe("admin routes need the admin token", () => {
    it.each([
      ["no Authorization header", {}, 'Bearer realm="admin"'],
      ["a Basic credential", { authorization: "Basic YWRtaW46YWRtaW4=" }, 'Bearer realm="admin"'],
      ["an empty bearer", { authorization: "Bearer " }, 'Bearer realm="admin"'],
      [
        "a wrong token",
        { authorization: "Bearer not-the-token" },
        'Bearer realm="admin", error="invalid_token"',
      ],
      [
        "a token prefix",
        { authorization: "Bearer test-admin-token" },
        'Bearer realm="admin", error="invalid_token"',
      ],
    ])(
      "%s: 401 with WWW-Authenticate, and the counter keeps its value",
      async (_label, headers, challenge) => {
        const name = uniqueName("admin");
        await counterAt(base, name, 7);
        const res = await call(base, `/api/counters/${name}`, { method: "DELETE", headers });
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe(challenge);
        expect(res.body.error.code).toBe("unauthorized");
        expect((await call(base, `/api/counters/${name}`)).body.count).toBe(7);
      },
    );

    it("resets with the right token", async () => {
      const name = uniqueName("admin");
      await counterAt(base, name, 7);
      const res = await call(base, `/api/counters/${name}`, { method: "DELETE", headers: adminHeaders });
      expect(res).toMatchObject({ status: 200, body: { name, count: 0 } });
    });

    it("an environment without ADMIN_TOKEN has no admin access at all (never open)", async () => {
      const closed = (await start({ env: { adminToken: undefined } })).url;
      const name = uniqueName("closed");
      await counterAt(closed, name, 3);
      for (const headers of [{}, adminHeaders, { authorization: "Bearer " }]) {
        const res = await call(closed, `/api/counters/${name}`, { method: "DELETE", headers });
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe("admin_not_configured");
      }
      expect((await call(closed, `/api/counters/${name}`)).body.count).toBe(3);
    });
  });

  describe("public writes are rate limited per client", () => {
    it("rejects the excess with 429 and Retry-After, changes nothing, and admits the client again after the period", async () => {
      const limited = (await start({ env: { publicWrites: { limit: 5, period: 10 } } })).url;
      const name = uniqueName("limited");
      // Until the first 429, within two windows' worth: the local limiter's fixed window may roll over mid-run.
      const statuses: number[] = [];
      for (let i = 0; i < 11 && statuses.at(-1) !== 429; i++) {
        statuses.push((await call(limited, `/api/counters/${name}/increment`, { method: "POST" })).status);
      }
      expect(statuses.at(-1)).toBe(429);
      const refused = await call(limited, `/api/counters/${name}/increment`, { method: "POST" });
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("10");
      expect(refused.body.error.code).toBe("rate_limited");
      // The same client's other public writes share the limit.
      const chat = await call(limited, `/api/rooms/${name}/messages`, {
        method: "POST",
        json: { user: "a", text: "hi" },
      });
      expect(chat.status).toBe(429);
      // Reads are not limited, and refused writes changed nothing.
      const count = (await call(limited, `/api/counters/${name}`)).body.count;
      expect(count).toBe(statuses.filter((s) => s === 200).length);
      // After the period the client is admitted again (bounded wait: two periods and a margin).
      const deadline = Date.now() + 25_000;
      let status = 429;
      while (status === 429 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        status = (await call(limited, `/api/counters/${name}/increment`, { method: "POST" })).status;
      }
      expect(status).toBe(200);
    }, 40_000);
  });

  describe("headers on every response", () => {
    it.each([
      ["JSON", "/health"],
      ["an error", "/nope"],
      ["the page", "/"],
    ])("%s carries nosniff, a frame policy and a strict CSP", async (_label, path) => {
      const res = await fetch(new URL(path, base));
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'.*script-src 'self'/);
    });
  });

  describe("CORS", () => {
    it("is same-origin by default: no Access-Control-Allow-Origin for another origin", async () => {
      const res = await fetch(new URL("/api/counters/x", base), {
        headers: { origin: "https://elsewhere.example" },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("allows exactly the configured origins", async () => {
      const open = (await start({ env: { corsAllowedOrigins: ["https://app.example"] } })).url;
      const allowed = await fetch(new URL("/api/counters/x", open), {
        headers: { origin: "https://app.example" },
      });
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
      const other = await fetch(new URL("/api/counters/x", open), {
        headers: { origin: "https://evil.example" },
      });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
      const preflight = await fetch(new URL("/api/counters/x/increment", open), {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-methods")).toMatch(/POST/);
    });
  });
});
