import type { Context } from "hono";
import { Hono } from "hono/tiny";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";
import type { AppEnv } from "../http/app-env.ts";
import { component, type RouteContract } from "../http/contract.ts";
import { ApiError } from "../http/errors.ts";
import { adminOnly } from "../http/guards.ts";
import { parseQuery } from "../http/query.ts";
import { stubByName } from "../http/stubs.ts";
import { int, intBetween, jsonBody, nameParam, nameSchema } from "../http/validation.ts";
import type { CancelResult, ScheduleResult } from "../objects/scheduler.ts";
import { createJobBody, toJobSpec } from "../scheduler/job-input.ts";
import { JOB_STATUSES } from "../scheduler/job-store.ts";

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** HTTP status for each reason the Scheduler object refuses a request. */
const STATUS: Record<Extract<ScheduleResult | CancelResult, { ok: false }>["code"], ContentfulStatusCode> = {
  invalid_action: 400,
  invalid_schedule: 400,
  payload_too_large: 413,
  too_many_jobs: 429,
  job_not_found: 404,
  job_finished: 409,
};

function scheduler(c: Context<AppEnv>) {
  const name = nameParam(c);
  return { name, stub: stubByName(c.env, "SCHEDULER", name) };
}

function refusal(result: { code: keyof typeof STATUS; message: string }): ApiError {
  return new ApiError(STATUS[result.code], result.code, result.message);
}

/** `?status=&limit=&cursor=` of the job list; anything malformed is 400 `invalid_query`. */
const listQuery = v.object({
  status: v.optional(v.picklist(JOB_STATUSES, `must be one of ${JOB_STATUSES.join(", ")}`)),
  limit: v.optional(intBetween(1, MAX_PAGE), DEFAULT_PAGE),
  cursor: v.optional(
    v.pipe(v.string(), v.regex(/^[1-9]\d{0,14}$/, "must be a nextCursor value returned by this route")),
  ),
});

/**
 * Whether a job read is the operator's. Reads are public and show webhook URLs without path and query; with a
 * valid admin token they show the full URL. A request that sends a token must send a valid one (401 otherwise),
 * so a mistyped token is noticed rather than silently answered with the public view.
 */
async function isAdminRead(c: Context<AppEnv>): Promise<boolean> {
  if (c.req.header("authorization") === undefined) return false;
  let admitted = false;
  await adminOnly(c, async () => {
    admitted = true;
  });
  return admitted;
}

/** `/api/schedulers/:name`: a named Scheduler object and its jobs. */
export const schedulers = new Hono<AppEnv>()
  .get("/:name", async (c) => {
    const { name, stub } = scheduler(c);
    const stats = await stub.stats();
    return c.json({ name, ...stats });
  })
  // Writes are the operator's: a job makes the platform act later (a webhook calls any allowed URL).
  .post("/:name/jobs", adminOnly, async (c) => {
    const { name, stub } = scheduler(c);
    const body = await jsonBody(c, createJobBody);
    const result: ScheduleResult = await stub.schedule(toJobSpec(body));
    if (!result.ok) throw refusal(result);
    return c.json(result.job, 201, { Location: `/api/schedulers/${name}/jobs/${result.job.id}` });
  })
  .get("/:name/jobs", async (c) => {
    const { name, stub } = scheduler(c);
    const query = parseQuery(c, listQuery, () => "invalid_query");
    const page = await stub.list({ ...query, admin: await isAdminRead(c) });
    return c.json({ name, ...page });
  })
  .get("/:name/jobs/:id", async (c) => {
    const { stub } = scheduler(c);
    const id = c.req.param("id");
    const job = await stub.get(id, { admin: await isAdminRead(c) });
    if (!job) {
      throw new ApiError(
        404,
        "job_not_found",
        `No job with id ${JSON.stringify(id.slice(0, 80))} in this scheduler.`,
      );
    }
    return c.json(job);
  })
  .delete("/:name/jobs/:id", adminOnly, async (c) => {
    const { stub } = scheduler(c);
    const result: CancelResult = await stub.cancel(c.req.param("id"));
    if (!result.ok) throw refusal(result);
    return c.json(result.job);
  });

/** The contract of these routes (see worker/http/contract.ts; never called by the worker). */
export function contract(): RouteContract[] {
  const params = { name: nameSchema };
  const jobParams = { name: nameSchema, id: v.string() };
  const time = v.nullable(v.string());
  const status = v.picklist(JOB_STATUSES);
  const jobEntries = {
    id: v.string(),
    status,
    schedule: v.union([
      v.object({ runAt: v.string() }),
      v.object({ everyMs: int() }),
      v.object({ cron: v.string() }),
    ]),
    action: v.looseObject({ type: v.string() }),
    maxAttempts: int(),
    attempts: int(),
    lastError: time,
    lastRunAt: time,
    nextRunAt: time,
    createdAt: v.string(),
    updatedAt: v.string(),
  };
  const job = component("Job", v.object(jobEntries));
  const run = v.object({
    attempt: int(),
    dueAt: v.string(),
    startedAt: v.string(),
    finishedAt: time,
    outcome: v.picklist(["running", "succeeded", "failed", "interrupted"]),
    error: time,
  });
  const count = int();
  const tag = "schedulers";
  const notFound = { 404: "`job_not_found`." };
  return [
    {
      method: "get",
      path: "/api/schedulers/:name",
      summary: "Job counts and alarm statistics",
      tag,
      params,
      ok: {
        200: {
          description: "The scheduler.",
          schema: v.object({
            name: v.string(),
            jobs: v.object({ scheduled: count, completed: count, failed: count, cancelled: count }),
            alarmInvocations: count,
            attempts: count,
            nextAlarmAt: time,
          }),
        },
      },
    },
    {
      method: "post",
      path: "/api/schedulers/:name/jobs",
      summary: "Schedule a job",
      description: "Exactly one of runAt, delayMs, everyMs, cron.",
      tag,
      params,
      body: { schema: createJobBody },
      ok: { 201: { description: "The job.", schema: job, headers: { Location: "The job's URL." } } },
      errors: {
        413: "`payload_too_large`: the action's JSON is too big.",
        429: "`too_many_jobs`; or `rate_limited` (admin attempts, with Retry-After).",
      },
      admin: true,
    },
    {
      method: "get",
      path: "/api/schedulers/:name/jobs",
      summary: "List jobs, one page at a time",
      tag,
      params,
      query: listQuery,
      ok: {
        200: {
          description: "A page; follow `nextCursor` while it is not null.",
          schema: v.object({ name: v.string(), jobs: v.array(job), nextCursor: time }),
        },
      },
    },
    {
      method: "get",
      path: "/api/schedulers/:name/jobs/:id",
      summary: "A job with its recent runs",
      tag,
      params: jobParams,
      ok: { 200: { description: "The job.", schema: v.object({ ...jobEntries, runs: v.array(run) }) } },
      errors: notFound,
    },
    {
      method: "delete",
      path: "/api/schedulers/:name/jobs/:id",
      summary: "Cancel a job",
      tag,
      params: jobParams,
      ok: { 200: { description: "The cancelled job.", schema: job } },
      errors: { ...notFound, 409: "`job_finished`." },
      admin: true,
    },
  ];
}
