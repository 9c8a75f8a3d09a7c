import { describe, expect, it } from "vitest";
import { callAsAdmin as call, uniqueName, useBuiltPlatform } from "../support/platform.ts";
import { eventually } from "../support/wait.ts";

let base: URL;
useBuiltPlatform((platform) => {
  base = platform.url;
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const jobs = (scheduler: string) => `/api/schedulers/${scheduler}/jobs`;
const increment = { type: "counter.increment", counter: "visits" };

describe("the scheduler contract over HTTP", () => {
  it("creates a job (201 with id, status, nextRunAt and a Location), then shows, lists and cancels it", async () => {
    const scheduler = uniqueName("s");
    const runAt = new Date(Date.now() + HOUR).toISOString();
    const created = await call(base, jobs(scheduler), { method: "POST", json: { runAt, action: increment } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: "scheduled",
      nextRunAt: runAt,
      schedule: { runAt },
      action: { type: "counter.increment", counter: "visits", by: 1 },
      maxAttempts: 5,
      attempts: 0,
      lastError: null,
    });
    const { id } = created.body;
    expect(created.headers.get("location")).toBe(`${jobs(scheduler)}/${id}`);

    const shown = await call(base, `${jobs(scheduler)}/${id}`);
    expect(shown).toMatchObject({
      status: 200,
      body: { id, status: "scheduled", nextRunAt: runAt, runs: [] },
    });

    const listed = await call(base, jobs(scheduler));
    expect(listed.body).toMatchObject({ name: scheduler, jobs: [{ id }], nextCursor: null });

    const cancelled = await call(base, `${jobs(scheduler)}/${id}`, { method: "DELETE" });
    expect(cancelled).toMatchObject({ status: 200, body: { id, status: "cancelled", nextRunAt: null } });
    // Cancelling again is harmless.
    expect((await call(base, `${jobs(scheduler)}/${id}`, { method: "DELETE" })).body.status).toBe(
      "cancelled",
    );
    expect((await call(base, `/api/schedulers/${scheduler}`)).body).toEqual({
      name: scheduler,
      jobs: { scheduled: 0, completed: 0, failed: 0, cancelled: 1 },
      alarmInvocations: 0,
      attempts: 0,
      nextAlarmAt: null,
    });
  });

  it("accepts runAt as epoch ms or ISO with an offset, delayMs, everyMs and cron", async () => {
    const scheduler = uniqueName("s");
    const at = Date.now() + HOUR;
    const post = (json: unknown) => call(base, jobs(scheduler), { method: "POST", json });
    const epoch = await post({ runAt: at, action: increment });
    expect(epoch.body.nextRunAt).toBe(new Date(at).toISOString());
    const offset = await post({ runAt: "2099-01-01T10:00:00+02:00", action: increment });
    expect(offset.status).toBe(400); // more than a year ahead
    const local = new Date(at + 3 * HOUR);
    const isoOffset = `${local.toISOString().slice(0, 19)}+01:00`;
    expect((await post({ runAt: isoOffset, action: increment })).body.nextRunAt).toBe(
      new Date(Date.parse(isoOffset)).toISOString(),
    );
    const delayed = await post({ delayMs: 60_000, action: increment });
    expect(Date.parse(delayed.body.nextRunAt) - Date.parse(delayed.body.createdAt)).toBe(60_000);
    const every = await post({ everyMs: 90_000, action: increment });
    expect(every.body).toMatchObject({ schedule: { everyMs: 90_000 } });
    const cron = await post({ cron: "0 9 * * 1-5", action: increment, maxAttempts: 20 });
    expect(cron.body).toMatchObject({
      status: "scheduled",
      schedule: { cron: "0 9 * * 1-5" },
      maxAttempts: 20,
    });
    expect(cron.body.nextRunAt).toMatch(/T09:00:00\.000Z$/);
    expect((await call(base, `/api/schedulers/${scheduler}`)).body.jobs.scheduled).toBe(5);
  });

  it("filters the list by status and pages through it with limit and cursor", async () => {
    const scheduler = uniqueName("s");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call(base, jobs(scheduler), {
        method: "POST",
        json: { delayMs: HOUR, action: increment },
      });
      ids.push(res.body.id);
    }
    await call(base, `${jobs(scheduler)}/${ids[1]}`, { method: "DELETE" });
    const scheduled = await call(base, `${jobs(scheduler)}?status=scheduled`);
    expect(scheduled.body.jobs.map((j: { id: string }) => j.id)).toEqual([ids[0], ids[2], ids[3], ids[4]]);
    const cancelled = await call(base, `${jobs(scheduler)}?status=cancelled`);
    expect(cancelled.body.jobs.map((j: { id: string }) => j.id)).toEqual([ids[1]]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { jobs: { id: string }[]; nextCursor: string | null } } = await call(
        base,
        `${jobs(scheduler)}?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.body.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.jobs.map((j) => j.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it("keeps schedulers apart by name", async () => {
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    const created = await call(base, jobs(a), { method: "POST", json: { delayMs: HOUR, action: increment } });
    expect((await call(base, jobs(b))).body.jobs).toEqual([]);
    expect((await call(base, `${jobs(b)}/${created.body.id}`)).status).toBe(404);
  });
});

describe("bad input is a 4xx JSON error and changes nothing", () => {
  const json = { "content-type": "application/json" };
  const body = (value: unknown): RequestInit => ({ body: JSON.stringify(value), headers: json });
  const hook = (extra: Record<string, unknown>) => ({
    type: "webhook",
    url: "http://127.0.0.1:9/hook",
    ...extra,
  });
  const cases: [string, () => RequestInit, number, string][] = [
    ["no body", () => ({}), 400, "missing_body"],
    [
      "text/plain",
      () => ({ body: "{}", headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    ],
    ["malformed JSON", () => ({ body: '{"delayMs":', headers: json }), 400, "invalid_json"],
    ["array body", () => body([1]), 400, "invalid_body"],
    ["no timing", () => body({ action: increment }), 400, "invalid_body"],
    ["two timings", () => body({ delayMs: 1000, everyMs: 1000, action: increment }), 400, "invalid_body"],
    ["no action", () => body({ delayMs: 1000 }), 400, "invalid_body"],
    ["unknown field", () => body({ delayMs: 1000, action: increment, priority: 1 }), 400, "invalid_body"],
    ["unknown action type", () => body({ delayMs: 1000, action: { type: "email" } }), 400, "invalid_body"],
    ["action without type", () => body({ delayMs: 1000, action: { counter: "x" } }), 400, "invalid_body"],
    ["action not an object", () => body({ delayMs: 1000, action: "increment" }), 400, "invalid_body"],
    [
      "counter missing",
      () => body({ delayMs: 1000, action: { type: "counter.increment" } }),
      400,
      "invalid_body",
    ],
    [
      "counter name invalid",
      () => body({ delayMs: 1000, action: { ...increment, counter: "a b" } }),
      400,
      "invalid_body",
    ],
    ["by 0", () => body({ delayMs: 1000, action: { ...increment, by: 0 } }), 400, "invalid_body"],
    [
      "by too large",
      () => body({ delayMs: 1000, action: { ...increment, by: 1_000_001 } }),
      400,
      "invalid_body",
    ],
    [
      "unknown action field",
      () => body({ delayMs: 1000, action: { ...increment, to: 3 } }),
      400,
      "invalid_body",
    ],
    [
      "runAt fractional",
      () => body({ runAt: Date.now() + HOUR + 0.5, action: increment }),
      400,
      "invalid_body",
    ],
    [
      "runAt ISO without zone",
      () => body({ runAt: "2030-01-01T00:00:00", action: increment }),
      400,
      "invalid_body",
    ],
    ["runAt not a time", () => body({ runAt: "tomorrow", action: increment }), 400, "invalid_body"],
    [
      "runAt in the past",
      () => body({ runAt: Date.now() - 60_000, action: increment }),
      400,
      "invalid_schedule",
    ],
    [
      "runAt ISO in the past",
      () => body({ runAt: "2001-01-01T00:00:00Z", action: increment }),
      400,
      "invalid_schedule",
    ],
    [
      "runAt over a year ahead",
      () => body({ runAt: Date.now() + 400 * DAY, action: increment }),
      400,
      "invalid_schedule",
    ],
    ["delayMs negative", () => body({ delayMs: -1, action: increment }), 400, "invalid_body"],
    ["delayMs over a year", () => body({ delayMs: 400 * DAY, action: increment }), 400, "invalid_body"],
    ["delayMs as string", () => body({ delayMs: "1000", action: increment }), 400, "invalid_body"],
    ["everyMs under 1000", () => body({ everyMs: 999, action: increment }), 400, "invalid_body"],
    ["everyMs fractional", () => body({ everyMs: 1000.5, action: increment }), 400, "invalid_body"],
    ["cron not a string", () => body({ cron: 5, action: increment }), 400, "invalid_body"],
    ["cron with six fields", () => body({ cron: "0 0 9 * * *", action: increment }), 400, "invalid_schedule"],
    ["cron garbage", () => body({ cron: "every day at 9", action: increment }), 400, "invalid_schedule"],
    ["cron out of range", () => body({ cron: "0 25 * * *", action: increment }), 400, "invalid_schedule"],
    ["cron that never runs", () => body({ cron: "0 0 31 2 *", action: increment }), 400, "invalid_schedule"],
    ["maxAttempts 0", () => body({ delayMs: 1000, maxAttempts: 0, action: increment }), 400, "invalid_body"],
    [
      "maxAttempts 21",
      () => body({ delayMs: 1000, maxAttempts: 21, action: increment }),
      400,
      "invalid_body",
    ],
    [
      "maxAttempts fractional",
      () => body({ delayMs: 1000, maxAttempts: 2.5, action: increment }),
      400,
      "invalid_body",
    ],
    [
      "webhook url not a URL",
      () => body({ delayMs: 1000, action: hook({ url: "not a url" }) }),
      400,
      "invalid_body",
    ],
    [
      "webhook ftp url",
      () => body({ delayMs: 1000, action: hook({ url: "ftp://127.0.0.1/x" }) }),
      400,
      "invalid_action",
    ],
    [
      "webhook file url",
      () => body({ delayMs: 1000, action: hook({ url: "file:///etc/passwd" }) }),
      400,
      "invalid_action",
    ],
    [
      "webhook method TRACE",
      () => body({ delayMs: 1000, action: hook({ method: "TRACE" }) }),
      400,
      "invalid_body",
    ],
    [
      "webhook GET with a body",
      () => body({ delayMs: 1000, action: hook({ method: "GET", body: "x" }) }),
      400,
      "invalid_action",
    ],
    [
      "webhook header with a newline",
      () => body({ delayMs: 1000, action: hook({ headers: { "X-A": "a\r\nX-B: b" } }) }),
      400,
      "invalid_body",
    ],
    [
      "webhook header name with a space",
      () => body({ delayMs: 1000, action: hook({ headers: { "X A": "a" } }) }),
      400,
      "invalid_body",
    ],
    [
      "webhook header not a string",
      () => body({ delayMs: 1000, action: hook({ headers: { "X-A": 1 } }) }),
      400,
      "invalid_body",
    ],
    [
      "webhook Idempotency-Key header",
      () => body({ delayMs: 1000, action: hook({ headers: { "Idempotency-Key": "mine" } }) }),
      400,
      "invalid_action",
    ],
    [
      "webhook timeoutMs 0",
      () => body({ delayMs: 1000, action: hook({ timeoutMs: 0 }) }),
      400,
      "invalid_body",
    ],
    [
      "webhook timeoutMs too long",
      () => body({ delayMs: 1000, action: hook({ timeoutMs: 60_001 }) }),
      400,
      "invalid_body",
    ],
    [
      "body over 64 KiB",
      () => body({ delayMs: 1000, action: hook({ body: "x".repeat(70_000) }) }),
      413,
      "payload_too_large",
    ],
  ];

  it.each(cases)("POST jobs: %s", async (_label, init, status, code) => {
    const scheduler = uniqueName("bad");
    const res = await call(base, jobs(scheduler), { method: "POST", ...init() });
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    expect(res.body.error.message.length).toBeGreaterThan(5);
    expect((await call(base, jobs(scheduler))).body.jobs).toEqual([]);
  });

  it("unknown job ids are 404 job_not_found for GET and DELETE", async () => {
    const scheduler = uniqueName("s");
    await call(base, jobs(scheduler), { method: "POST", json: { delayMs: HOUR, action: increment } });
    for (const id of [crypto.randomUUID(), "nope", "x".repeat(500)]) {
      for (const method of ["GET", "DELETE"]) {
        const res = await call(base, `${jobs(scheduler)}/${id}`, { method });
        expect(res.status, `${method} ${id}`).toBe(404);
        expect(res.body.error.code).toBe("job_not_found");
      }
    }
    expect((await call(base, `/api/schedulers/${scheduler}`)).body.jobs.scheduled).toBe(1);
  });

  it("cancelling a finished job is 409 job_finished and leaves it as it was", async () => {
    const scheduler = uniqueName("s");
    const created = await call(base, jobs(scheduler), {
      method: "POST",
      json: { delayMs: 0, action: { type: "counter.increment", counter: uniqueName("c") } },
    });
    const url = `${jobs(scheduler)}/${created.body.id}`;
    await eventually(
      async () => (await call(base, url)).body.status,
      (status) => status === "completed",
    );
    const res = await call(base, url, { method: "DELETE" });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("job_finished");
    expect((await call(base, url)).body.status).toBe("completed");
  });

  it.each([
    ["status unknown", "?status=done"],
    ["limit 0", "?limit=0"],
    ["limit over 1000", "?limit=1001"],
    ["limit not a number", "?limit=ten"],
    ["cursor not a number", "?cursor=abc"],
  ])("list query %s is 400 invalid_query", async (_label, query) => {
    const res = await call(base, `${jobs(uniqueName("s"))}${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_query");
  });

  it.each([
    ["too long", "n".repeat(65)],
    ["space", "a%20b"],
    ["unicode", "caf%C3%A9"],
  ])("scheduler name %s is 400 invalid_name on every route", async (_label, name) => {
    for (const [method, suffix] of [
      ["GET", ""],
      ["GET", "/jobs"],
      ["POST", "/jobs"],
      ["GET", "/jobs/x"],
      ["DELETE", "/jobs/x"],
    ] as const) {
      const res = await call(base, `/api/schedulers/${name}${suffix}`, {
        method,
        ...(method === "POST" ? { json: { delayMs: 1000, action: increment } } : {}),
      });
      expect(res.status, `${method} ${suffix}`).toBe(400);
      expect(res.body.error.code).toBe("invalid_name");
    }
  });

  it("wrong methods are 405 JSON with an Allow header", async () => {
    const cases: [string, string, string][] = [
      ["PUT", "/api/schedulers/a/jobs", "GET, HEAD, POST"],
      ["PATCH", "/api/schedulers/a/jobs/x", "DELETE, GET, HEAD"],
      ["POST", "/api/schedulers/a", "GET, HEAD"],
    ];
    for (const [method, p, allow] of cases) {
      const res = await call(base, p, { method });
      expect(res.status, `${method} ${p}`).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      expect(res.body.error.code).toBe("method_not_allowed");
    }
  });
});
