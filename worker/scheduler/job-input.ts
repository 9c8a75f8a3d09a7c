import * as v from "valibot";
import { int, intBetween, strictObject } from "../http/validation.ts";
import { DEFAULT_MAX_ATTEMPTS, MAX_HORIZON_MS, MAX_MAX_ATTEMPTS, MIN_EVERY_MS } from "./limits.ts";
import { actionSchema } from "./registry.ts";
import type { ScheduleRequest } from "./timing.ts";

const runAtError =
  "must be epoch milliseconds (an integer) or an ISO 8601 time with a zone, like 2030-01-01T09:00:00Z";

/**
 * An ISO 8601 date and time with seconds and a zone (`Z` or `±hh:mm`), a real calendar date: exactly what the API
 * has always accepted (zod's `iso.datetime({ offset: true })`), and what `Date.parse` reads the same everywhere.
 */
const LEAP_DAY = String.raw`(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29`;
const LONG_MONTH_DAY = String.raw`(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])`;
const SHORT_MONTH_DAY = String.raw`(?:0[469]|11)-(?:0[1-9]|[12]\d|30)`;
const FEBRUARY_DAY = String.raw`02-(?:0[1-9]|1\d|2[0-8])`;
const OTHER_DAY = String.raw`\d{4}-(?:${LONG_MONTH_DAY}|${SHORT_MONTH_DAY}|${FEBRUARY_DAY})`;
const TIME = String.raw`(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)`;
const ISO_DATE_TIME = new RegExp(`^(?:${LEAP_DAY}|${OTHER_DAY})T${TIME}$`);

const TIMINGS = ["runAt", "delayMs", "everyMs", "cron"] as const;

/**
 * The body of `POST /api/schedulers/:name/jobs`. Exactly one of runAt (epoch ms or ISO 8601 with a zone), delayMs,
 * everyMs or cron (5 fields, UTC); an action from the registry; maxAttempts 1..20 (default 5).
 */
export const createJobBody = v.pipe(
  strictObject({
    runAt: v.optional(
      v.union(
        [
          int(runAtError),
          // The format tells a client what the pattern does (the OpenAPI document leaves the long pattern out).
          v.pipe(v.string(), v.regex(ISO_DATE_TIME, runAtError), v.metadata({ format: "date-time" })),
        ],
        runAtError,
      ),
    ),
    delayMs: v.optional(intBetween(0, MAX_HORIZON_MS)),
    everyMs: v.optional(intBetween(MIN_EVERY_MS, MAX_HORIZON_MS)),
    cron: v.optional(v.pipe(v.string("must be a string"), v.maxLength(200))),
    action: actionSchema,
    maxAttempts: v.optional(intBetween(1, MAX_MAX_ATTEMPTS), DEFAULT_MAX_ATTEMPTS),
  }),
  v.check(
    (body) => TIMINGS.filter((key) => body[key] !== undefined).length === 1,
    `give exactly one of ${TIMINGS.join(", ")}`,
  ),
);

export type CreateJobBody = v.InferOutput<typeof createJobBody>;

/** What the Scheduler object is asked to store (it checks the times and the action again). */
export interface JobSpec {
  readonly schedule: ScheduleRequest;
  readonly action: unknown;
  readonly maxAttempts: number;
}

/** The body's one timing as a schedule request (a delay counts from when the Scheduler stores the job). */
export function toJobSpec(body: CreateJobBody): JobSpec {
  const { action, maxAttempts } = body;
  let schedule: ScheduleRequest;
  if (body.runAt !== undefined) {
    schedule = { kind: "once", runAt: typeof body.runAt === "number" ? body.runAt : Date.parse(body.runAt) };
  } else if (body.delayMs !== undefined) schedule = { kind: "delay", delayMs: body.delayMs };
  else if (body.everyMs !== undefined) schedule = { kind: "every", everyMs: body.everyMs };
  else schedule = { kind: "cron", cron: body.cron! };
  return { schedule, action, maxAttempts };
}
