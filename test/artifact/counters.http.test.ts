import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { adminHeaders, call, startBuiltPlatform, uniqueName, useBuiltPlatform } from "../support/platform.ts";

let base: URL;
useBuiltPlatform((platform) => {
  base = platform.url;
});

describe("GET /health", () => {
  it("reports the environment, the bundle's build id, the answering version and the migration tag", async () => {
    const res = await call(base, "/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "ok",
      environment: "test",
      buildId: inject("buildId"),
      migrationTag: "v3",
    });
    // Miniflare's version-metadata binding answers like Cloudflare's: a version id (a UUID).
    expect(res.body.versionId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("the counter contract over HTTP", () => {
  it("counts a named counter up and down, reads and resets it", async () => {
    const name = uniqueName();
    expect((await call(base, `/api/counters/${name}`)).body).toEqual({ name, count: 0 });
    expect((await call(base, `/api/counters/${name}/increment`, { method: "POST" })).body).toEqual({
      name,
      count: 1,
    });
    const by = await call(base, `/api/counters/${name}/increment`, {
      method: "POST",
      json: { by: 1_000_000 },
    });
    expect(by).toMatchObject({ status: 200, body: { name, count: 1_000_001 } });
    const down = await call(base, `/api/counters/${name}/decrement`, { method: "POST", json: { by: 2 } });
    expect(down.body).toEqual({ name, count: 999_999 });
    expect((await call(base, `/api/counters/${name}/decrement`, { method: "POST" })).body).toEqual({
      name,
      count: 999_998,
    });
    expect((await call(base, `/api/counters/${name}`)).body).toEqual({ name, count: 999_998 });
    const reset = await call(base, `/api/counters/${name}`, { method: "DELETE", headers: adminHeaders });
    expect(reset.body).toEqual({
      name,
      count: 0,
    });
    expect((await call(base, `/api/counters/${name}`)).body).toEqual({ name, count: 0 });
  });

  it("accepts every character of the name rule, up to 64 characters", async () => {
    for (const name of ["A-z_0.9", "x", "n".repeat(64), "a..b", "-", "_.-"]) {
      const res = await call(base, `/api/counters/${name}/increment`, { method: "POST" });
      expect(res, name).toMatchObject({ status: 200, body: { name, count: 1 } });
    }
  });

  it("creates counters with unique ids and reaches them by id", async () => {
    const created = await call(base, "/api/counters", { method: "POST" });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{64}$/), count: 0 });
    const { id } = created.body as { id: string };
    const other = (await call(base, "/api/counters", { method: "POST" })).body.id;
    expect(other).not.toBe(id);
    expect(
      (await call(base, `/api/counters/by-id/${id}/increment`, { method: "POST", json: { by: 5 } })).body,
    ).toEqual({
      id,
      count: 5,
    });
    expect((await call(base, `/api/counters/by-id/${id}`)).body).toEqual({ id, count: 5 });
    expect((await call(base, `/api/counters/by-id/${other}`)).body).toEqual({ id: other, count: 0 });
  });

  it("keeps 400 concurrent increments exact: every response sees a distinct count", async () => {
    const name = uniqueName("concurrent");
    const results = await Promise.all(
      Array.from({ length: 400 }, () => call(base, `/api/counters/${name}/increment`, { method: "POST" })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const counts = results.map((r) => r.body.count as number).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect((await call(base, `/api/counters/${name}`)).body.count).toBe(400);
  });
});

describe("bad input is a 4xx JSON error and changes nothing", () => {
  const json = { "content-type": "application/json" };
  const cases: [string, string, RequestInit, number, string][] = [
    ["by 0", "increment", { body: '{"by":0}', headers: json }, 400, "invalid_body"],
    ["by negative", "increment", { body: '{"by":-1}', headers: json }, 400, "invalid_body"],
    ["by too large", "increment", { body: '{"by":1000001}', headers: json }, 400, "invalid_body"],
    ["by fractional", "decrement", { body: '{"by":1.5}', headers: json }, 400, "invalid_body"],
    ["by as string", "increment", { body: '{"by":"2"}', headers: json }, 400, "invalid_body"],
    ["by null", "increment", { body: '{"by":null}', headers: json }, 400, "invalid_body"],
    ["unknown field", "increment", { body: '{"by":1,"extra":true}', headers: json }, 400, "invalid_body"],
    ["array body", "increment", { body: "[1]", headers: json }, 400, "invalid_body"],
    ["malformed JSON", "increment", { body: '{"by":', headers: json }, 400, "invalid_json"],
    [
      "text/plain",
      "increment",
      { body: '{"by":1}', headers: { "content-type": "text/plain" } },
      415,
      "unsupported_media_type",
    ],
    ["no content type", "decrement", { body: '{"by":1}' }, 415, "unsupported_media_type"],
    [
      "huge body",
      "increment",
      { body: `{"by":1,"pad":"${"x".repeat(70_000)}"}`, headers: json },
      413,
      "payload_too_large",
    ],
  ];
  it.each(cases)("%s", async (_label, action, init, status, code) => {
    const name = uniqueName("bad");
    await call(base, `/api/counters/${name}/increment`, { method: "POST", json: { by: 3 } });
    const res = await call(base, `/api/counters/${name}/${action}`, { method: "POST", ...init });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    expect((await call(base, `/api/counters/${name}`)).body.count).toBe(3);
  });

  it.each([
    ["too long", "n".repeat(65)],
    ["slash", "a%2Fb"],
    ["space", "a%20b"],
    ["unicode", "caf%C3%A9"],
    ["percent", "100%25"],
    ["bad escape", "%E0%A4%A"],
  ])("name %s is 400 invalid_name", async (_label, segment) => {
    for (const [method, suffix] of [
      ["GET", ""],
      ["POST", "/increment"],
      ["DELETE", ""],
    ] as const) {
      // With the admin token, so DELETE reaches validation (without it, it is 401 before anything else).
      const res = await call(base, `/api/counters/${segment}${suffix}`, { method, headers: adminHeaders });
      expect(res.status, `${method} ${segment}${suffix}`).toBe(400);
      expect(res.body.error.code).toBe("invalid_name");
    }
  });

  it.each(["xyz", "0".repeat(64), "g".repeat(64), "A".repeat(64)])("id %s is 400 invalid_id", async (id) => {
    for (const [method, suffix] of [
      ["GET", ""],
      ["POST", "/increment"],
    ] as const) {
      const res = await call(base, `/api/counters/by-id/${id}${suffix}`, { method });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_id");
    }
  });

  it("unknown routes are 404 JSON", async () => {
    for (const p of ["/nope", "/api", "/api/counters/a/b/c", "/api/widgets/x"]) {
      const res = await call(base, p);
      expect(res.status, p).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
  });

  it("wrong methods are 405 JSON with an Allow header", async () => {
    const cases: [string, string, string][] = [
      ["PUT", "/api/counters/a", "DELETE, GET, HEAD"],
      ["GET", "/api/counters/a/increment", "POST"],
      ["PATCH", "/api/counters", "POST"],
      ["POST", "/health", "GET, HEAD"],
    ];
    for (const [method, p, allow] of cases) {
      const res = await call(base, p, { method });
      expect(res.status, `${method} ${p}`).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      expect(res.body.error.code).toBe("method_not_allowed");
    }
  });
});

describe("persistence", () => {
  it("keeps a counter's value across a Miniflare restart", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "platform-state-"));
    try {
      const name = uniqueName("persist");
      const first = await startBuiltPlatform({ persistTo: dir });
      await call(first.url, `/api/counters/${name}/increment`, { method: "POST", json: { by: 41 } });
      await first.dispose();
      const second = await startBuiltPlatform({ persistTo: dir });
      try {
        expect((await call(second.url, `/api/counters/${name}/increment`, { method: "POST" })).body).toEqual({
          name,
          count: 42,
        });
      } finally {
        await second.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
