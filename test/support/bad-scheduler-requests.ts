import { adminHeaders, call } from "./platform.ts";

/** One request of the bad-input battery. */
export interface BadRequest {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** The scheduler the battery aims at; it holds one real job, so "unchanged" is a real check. */
export const BATTERY_SCHEDULER = `battery-${crypto.randomUUID().slice(0, 8)}`;

const admin = { ...adminHeaders, "content-type": "application/json" };
const inAnHour = () => Date.now() + 3_600_000;
const counterAction = { type: "counter.increment", counter: "battery-target" };

/** JSON text of arrays nested `depth` levels deep around a 1. */
export const nested = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;

/** Bad scheduler requests: bodies, timings, actions, ids and tokens. */
export function badSchedulerRequests(): BadRequest[] {
  const jobs = `/api/schedulers/${BATTERY_SCHEDULER}/jobs`;
  const bodies: [string, unknown][] = [
    ["no timing", { action: counterAction }],
    ["two timings", { delayMs: 1000, everyMs: 5000, action: counterAction }],
    ["runAt in the past", { runAt: Date.now() - 60_000, action: counterAction }],
    ["runAt over a year ahead", { runAt: Date.now() + 400 * 86_400_000, action: counterAction }],
    ["runAt not a date", { runAt: "tomorrow-ish", action: counterAction }],
    ["runAt boolean", { runAt: true, action: counterAction }],
    ["delayMs negative", { delayMs: -5, action: counterAction }],
    ["delayMs fraction", { delayMs: 1.5, action: counterAction }],
    ["delayMs string", { delayMs: "1000", action: counterAction }],
    ["everyMs below 1000", { everyMs: 999, action: counterAction }],
    ["cron with 6 fields", { cron: "* * * * * *", action: counterAction }],
    ["cron nonsense", { cron: "every tuesday", action: counterAction }],
    ["cron out of range", { cron: "61 * * * *", action: counterAction }],
    ["no action", { delayMs: 1000 }],
    ["unknown action", { delayMs: 1000, action: { type: "rm.rf" } }],
    ["action without type", { delayMs: 1000, action: { counter: "x" } }],
    ["counter action bad name", { delayMs: 1000, action: { type: "counter.increment", counter: "a b" } }],
    ["counter action bad by", { delayMs: 1000, action: { type: "counter.increment", counter: "x", by: 0 } }],
    ["webhook bad scheme", { delayMs: 1000, action: { type: "webhook", url: "ftp://example.com/x" } }],
    ["webhook not a URL", { delayMs: 1000, action: { type: "webhook", url: "not a url" } }],
    ["webhook javascript:", { delayMs: 1000, action: { type: "webhook", url: "javascript:alert(1)" } }],
    [
      "webhook credentials",
      { delayMs: 1000, action: { type: "webhook", url: "http://user:pw@127.0.0.1/x" } },
    ],
    [
      "webhook bad method",
      { delayMs: 1000, action: { type: "webhook", url: "http://127.0.0.1/x", method: "FETCH" } },
    ],
    ["maxAttempts 0", { delayMs: 1000, maxAttempts: 0, action: counterAction }],
    ["maxAttempts 21", { delayMs: 1000, maxAttempts: 21, action: counterAction }],
    ["extra field", { delayMs: 1000, action: counterAction, priority: "high" }],
    ["array body", [{ delayMs: 1000, action: counterAction }]],
    [
      "webhook __proto__ header",
      {
        delayMs: 1000,
        action: { type: "webhook", url: "http://127.0.0.1/x", headers: JSON.parse('{"__proto__":"x"}') },
      },
    ],
    [
      "webhook body nested 3,000 deep",
      { delayMs: 1000, action: { type: "webhook", url: "http://127.0.0.1/x" } },
    ],
    [
      "action too big",
      { delayMs: 1000, action: { type: "webhook", url: "http://127.0.0.1/x", body: "x".repeat(66_000) } },
    ],
  ];
  const cases: BadRequest[] = bodies.map(([label, body]) => ({
    label: `schedule: ${label}`,
    method: "POST",
    path: jobs,
    headers: admin,
    // JSON.stringify keeps an own `__proto__` key; the deep body is spliced in as text (a few KB).
    body: label.includes("nested")
      ? JSON.stringify(body).replace(/}}$/, `,"body":${nested(3000)}}}`)
      : JSON.stringify(body),
  }));
  const valid = JSON.stringify({ runAt: inAnHour(), action: counterAction });
  cases.push(
    {
      label: "schedule: no token",
      method: "POST",
      path: jobs,
      headers: { "content-type": "application/json" },
      body: valid,
    },
    {
      label: "schedule: wrong token",
      method: "POST",
      path: jobs,
      headers: { "content-type": "application/json", authorization: "Bearer x" },
      body: valid,
    },
    {
      label: "schedule: text/plain",
      method: "POST",
      path: jobs,
      headers: { ...adminHeaders, "content-type": "text/plain" },
      body: valid,
    },
    { label: "schedule: malformed", method: "POST", path: jobs, headers: admin, body: '{"delayMs":' },
    {
      label: "schedule: bad scheduler name",
      method: "POST",
      path: "/api/schedulers/a%20b/jobs",
      headers: admin,
      body: valid,
    },
    { label: "jobs: bad status filter", method: "GET", path: `${jobs}?status=exploded` },
    { label: "job: unknown id", method: "GET", path: `${jobs}/00000000-0000-4000-8000-000000000000` },
    { label: "job: garbage id", method: "GET", path: `${jobs}/%00%00` },
    {
      label: "cancel: unknown id",
      method: "DELETE",
      path: `${jobs}/00000000-0000-4000-8000-000000000000`,
      headers: adminHeaders,
    },
    { label: "cancel: no token", method: "DELETE", path: `${jobs}/00000000-0000-4000-8000-000000000000` },
    { label: "jobs: PUT", method: "PUT", path: jobs, headers: admin, body: valid },
    { label: "jobs: trailing slash", method: "GET", path: `${jobs}/` },
    { label: "scheduler: trailing slash", method: "GET", path: `/api/schedulers/${BATTERY_SCHEDULER}/` },
    { label: "schedule: trailing slash", method: "POST", path: `${jobs}/`, headers: admin, body: valid },
  );
  return cases;
}

/** The battery scheduler's jobs, after making sure it holds one real job an hour ahead. */
let seeded = false;
export async function schedulerState(base: URL): Promise<unknown> {
  const jobs = `/api/schedulers/${BATTERY_SCHEDULER}/jobs`;
  if (!seeded) {
    const created = await call(base, jobs, {
      method: "POST",
      headers: adminHeaders,
      json: { runAt: inAnHour(), action: counterAction },
    });
    if (created.status !== 201) throw new Error(`could not seed the battery's job: ${created.status}`);
    seeded = true;
  }
  return (await call(base, jobs)).body;
}
