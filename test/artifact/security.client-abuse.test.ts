// Abuse from a client the platform cannot trust, each block over real HTTP on the built bundle: reads spending a
// per-client limit and creating nothing, admin guessing, IPv6 address rotation, cross-site writes and WebSocket
// hijacking, non-JSON bodies, aborted bodies.
import { mkdtemp, readdir, stat } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { rateLimits } from "../../worker/manifest.ts";
import { adminHeaders, call, uniqueName, useBuiltPlatform, usePlatforms } from "../support/platform.ts";
import { eventually } from "../support/wait.ts";

const start = usePlatforms();

let base: URL;
useBuiltPlatform((platform) => {
  base = platform.url;
});

const from = (ip: string) => ({ "cf-connecting-ip": ip });

/**
 * Sends `attempt(i)` until one answers 429, at most `2 * limit + 1` times, and returns every status. The local
 * limiter counts in fixed windows, so a window may roll over mid-run: a limited client meets a 429 within two
 * windows' worth of requests, an unlimited one never does.
 */
async function untilLimited(limit: number, attempt: (i: number) => Promise<{ status: number }>) {
  const statuses: number[] = [];
  for (let i = 0; i < 2 * limit + 1 && statuses.at(-1) !== 429; i++) statuses.push((await attempt(i)).status);
  return statuses;
}

/** The status a WebSocket upgrade gets: 101 when the socket opens, else the refusal's status. */
function upgradeStatus(url: URL, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const { origin, ...rest } = headers;
    const socket = new WebSocket(new URL(path, url.href.replace(/^http/, "ws")), {
      headers: rest,
      ...(origin ? { origin } : {}),
    });
    socket.on("open", () => {
      socket.close();
      resolve(101);
    });
    socket.on("unexpected-response", (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    socket.on("error", reject);
  });
}

describe("reads are rate limited per client, more generously than writes", () => {
  it("the manifest gives reads a higher limit than writes", () => {
    expect(rateLimits.PUBLIC_READS.limit).toBeGreaterThan(rateLimits.PUBLIC_WRITES.limit);
  });

  it("refuses the reads over the limit with 429 and Retry-After, and counts no write as a read", async () => {
    const limited = (await start({ env: { rateLimits: { PUBLIC_READS: { limit: 3, period: 60 } } } })).url;
    const name = uniqueName("reads");
    const client = from("198.51.100.7");
    const paths = [`/api/counters/${name}`, `/api/rooms/${name}/messages`, `/api/schedulers/${name}/jobs`];
    const statuses = await untilLimited(3, (i) => call(limited, paths[i % 3]!, { headers: client }));
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((s) => s === 200)).toBe(true);
    const refused = await call(limited, `/api/counters/${name}`, { headers: client });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("rate_limited");
    expect(refused.headers.get("retry-after")).toBe(String(rateLimits.PUBLIC_READS.period));
    // Writes spend the write limit, not the read limit; another client still reads; /health is never limited.
    const write = await call(limited, `/api/counters/${name}/increment`, { method: "POST", headers: client });
    expect(write.status).toBe(200);
    expect((await call(limited, `/api/counters/${name}`, { headers: from("198.51.100.8") })).body.count).toBe(
      1,
    );
    expect((await call(limited, "/health", { headers: client })).status).toBe(200);
  });
});

describe("a read of a counter that holds nothing writes nothing", () => {
  it("GETs of new counter names commit no transaction; the first write does", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reads-no-storage-"));
    const persisted = (await start({ persistTo: dir })).url;
    // Each object's own database (<id>.sqlite, its write-ahead log beside it); workerd's metadata.sqlite is not
    // an object's storage. A committed write lands in the object's WAL first.
    const walBytes = async () => {
      const counters = join(dir, "do", "platform-Counter");
      const files = await readdir(counters).catch(() => [] as string[]);
      const sizes = await Promise.all(
        files
          .filter((f) => /^[0-9a-f]{64}\.sqlite-wal$/.test(f))
          .map(async (f) => (await stat(join(counters, f))).size),
      );
      return sizes.reduce((a, b) => a + b, 0);
    };
    for (let i = 0; i < 20; i++) {
      const name = uniqueName("never-written");
      expect((await call(persisted, `/api/counters/${name}`)).body).toEqual({ name, count: 0 });
    }
    // A reset of a never-written counter is a write by an admin, but still has nothing to store.
    const reset = await call(persisted, `/api/counters/${uniqueName("reset")}`, {
      method: "DELETE",
      headers: adminHeaders,
    });
    expect(reset.body.count).toBe(0);
    expect(await walBytes()).toBe(0);
    await call(persisted, `/api/counters/${uniqueName("written")}/increment`, { method: "POST" });
    expect(await walBytes()).toBeGreaterThan(0);
  });
});

describe("failed admin attempts are limited per client, so a token cannot be guessed", () => {
  it("after the limit even the right token gets 429 (no oracle), and other clients are unaffected", async () => {
    const limited = (await start({ env: { rateLimits: { ADMIN_ATTEMPTS: { limit: 5, period: 60 } } } })).url;
    const path = `/api/counters/${uniqueName("guess")}`;
    const guesser = from("203.0.113.9");
    const statuses = await untilLimited(5, (i) =>
      call(limited, path, { method: "DELETE", headers: { ...guesser, authorization: `Bearer wrong-${i}` } }),
    );
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((s) => s === 401)).toBe(true);
    const right = await call(limited, path, { method: "DELETE", headers: { ...guesser, ...adminHeaders } });
    expect(right.status).toBe(429);
    expect(right.headers.get("retry-after")).toBe(String(rateLimits.ADMIN_ATTEMPTS.period));
    const operator = await call(limited, path, {
      method: "DELETE",
      headers: { ...from("203.0.113.10"), ...adminHeaders },
    });
    expect(operator.status).toBe(200);
  });
});

describe("IPv6 clients are keyed by their /64, so rotating addresses escapes no limit", () => {
  it("rotating addresses inside one /64 meets the same limit; another /64 does not", async () => {
    const limited = (await start({ env: { publicWrites: { limit: 2, period: 60 } } })).url;
    const name = uniqueName("v6");
    const post = (ip: string) =>
      call(limited, `/api/counters/${name}/increment`, { method: "POST", headers: from(ip) });
    // Every request from a new address of the same /64, written in different but equal notations.
    const sameBlock = (i: number) =>
      i % 2 ? `2001:db8:1:2:${i.toString(16)}::1` : `2001:0db8:0001:0002::${i + 1}`;
    const statuses = await untilLimited(2, (i) => post(sameBlock(i)));
    expect(statuses.at(-1)).toBe(429);
    expect((await post("2001:db8:1:3::1")).status).toBe(200);
  });
});

describe("cross-site writes and WebSocket hijacking", () => {
  const evil = { origin: "https://evil.example" };

  it("refuses a write from another origin (403 JSON) and changes nothing", async () => {
    const name = uniqueName("csrf");
    // An empty-body POST is a "simple" request: a browser sends it cross-site without a preflight.
    const res = await call(base, `/api/counters/${name}/increment`, { method: "POST", headers: evil });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden_origin");
    const chat = await call(base, `/api/rooms/${name}/messages`, {
      method: "POST",
      headers: evil,
      json: { user: "mallory", text: "hi" },
    });
    expect(chat.status).toBe(403);
    expect((await call(base, `/api/counters/${name}`)).body.count).toBe(0);
    expect((await call(base, `/api/rooms/${name}/messages`)).body.messages).toEqual([]);
  });

  it("refuses a WebSocket upgrade from another origin, and from the opaque origin null", async () => {
    const room = uniqueName("ws");
    expect(await upgradeStatus(base, `/api/rooms/${room}/ws?user=admin`, evil)).toBe(403);
    expect(await upgradeStatus(base, `/api/rooms/${room}/ws?user=admin`, { origin: "null" })).toBe(403);
  });

  it("allows the platform's own origin, clients that send no Origin, and reads from anywhere", async () => {
    const name = uniqueName("own");
    const own = { origin: base.origin };
    expect(
      (await call(base, `/api/counters/${name}/increment`, { method: "POST", headers: own })).status,
    ).toBe(200);
    expect((await call(base, `/api/counters/${name}/increment`, { method: "POST" })).status).toBe(200);
    expect(await upgradeStatus(base, `/api/rooms/${name}/ws?user=alice`, own)).toBe(101);
    expect(await upgradeStatus(base, `/api/rooms/${name}/ws?user=bob`)).toBe(101);
    const read = await call(base, `/api/counters/${name}`, { headers: evil });
    expect(read).toMatchObject({ status: 200, body: { count: 2 } });
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows exactly the stack's CORS origins besides its own", async () => {
    const open = (await start({ env: { corsAllowedOrigins: ["https://app.example"] } })).url;
    const name = uniqueName("cors");
    const app = { origin: "https://app.example" };
    expect(
      (await call(open, `/api/counters/${name}/increment`, { method: "POST", headers: app })).status,
    ).toBe(200);
    expect(await upgradeStatus(open, `/api/rooms/${name}/ws?user=alice`, app)).toBe(101);
    expect(
      (await call(open, `/api/counters/${name}/increment`, { method: "POST", headers: evil })).status,
    ).toBe(403);
  });
});

describe("a POST with a body must be JSON (a cross-site form post needs no preflight)", () => {
  it.each([
    ["text/plain JSON", "text/plain", '{"by":5}'],
    ["a form", "application/x-www-form-urlencoded", "by=5"],
    ["whitespace as text/plain", "text/plain", "  "],
  ])("%s: 415 JSON, nothing changed", async (_label, type, body) => {
    const name = uniqueName("ct");
    const res = await call(base, `/api/counters/${name}/increment`, {
      method: "POST",
      headers: { "content-type": type },
      body,
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe("unsupported_media_type");
    expect((await call(base, `/api/counters/${name}`)).body.count).toBe(0);
  });

  it("an empty POST and a JSON POST still work", async () => {
    const name = uniqueName("ct");
    expect((await call(base, `/api/counters/${name}/increment`, { method: "POST" })).body.count).toBe(1);
    const json = await call(base, `/api/counters/${name}/increment`, { method: "POST", json: { by: 2 } });
    expect(json.body.count).toBe(3);
  });
});

describe("a client that aborts its body gets a quiet 400, not an error with a stack", () => {
  it("gets a quiet answer: one log line per abort, no 'unhandled error', no stack", async () => {
    const output: string[] = [];
    const quiet = (
      await start({
        handleStructuredLogs(log) {
          output.push(`${log.message}\n`);
        },
      })
    ).url;
    const aborts = 5;
    for (let i = 0; i < aborts; i++) {
      await new Promise<void>((resolve) => {
        const req = request(new URL(`/api/rooms/${uniqueName("abort")}/messages`, quiet), {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": "1000" },
        });
        req.on("error", () => resolve());
        req.write('{"user":"a","text":"');
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
    }
    const lines = () => output.join("").split("\n").filter(Boolean);
    await eventually(
      async () => lines().filter((l) => l.includes("request body aborted")).length,
      (n) => n >= aborts,
      { timeoutMs: 10_000 },
    ).catch(() => undefined);
    expect(lines().filter((l) => l.includes("request body aborted"))).toHaveLength(aborts);
    expect(lines().join("\n")).not.toMatch(/unhandled error|^\s+at /m);
    expect(lines()).toHaveLength(aborts);
    // The platform carries on.
    expect((await call(quiet, "/health")).status).toBe(200);
  });
});
