import * as z from "zod/mini";
import { DEFAULT_MAX_ATTEMPTS, MAX_HORIZON_MS, MAX_MAX_ATTEMPTS, MIN_EVERY_MS } from "./limits.ts";
import { actionSchema } from "./registry.ts";
import type { ScheduleRequest } from "./timing.ts";

const between = (min: number, max: number) => {
  const error = { error: `must be an integer from ${min} to ${max}` };
  return z.int(error).check(z.minimum(min, error), z.maximum(max, error));
};

const runAtError = {
  error: "must be epoch milliseconds (an integer) or an ISO 8601 time with a zone, like 2030-01-01T09:00:00Z",
};

const TIMINGS = ["runAt", "delayMs", "everyMs", "cron"] as const;

/**
 * The body of `POST /api/schedulers/:name/jobs`. Exactly one of runAt (epoch ms or ISO 8601 with a zone), delayMs,
 * everyMs or cron (5 fields, UTC); an action from the registry; maxAttempts 1..20 (default 5).
 */
export const createJobBody = z
  .strictObject({
    runAt: z.optional(
      z.union([z.int(runAtError), z.iso.datetime({ offset: true, ...runAtError })], runAtError),
    ),
    delayMs: z.optional(between(0, MAX_HORIZON_MS)),
    everyMs: z.optional(between(MIN_EVERY_MS, MAX_HORIZON_MS)),
    cron: z.optional(z.string({ error: "must be a string" }).check(z.maxLength(200))),
    action: actionSchema,
    maxAttempts: z._default(between(1, MAX_MAX_ATTEMPTS), DEFAULT_MAX_ATTEMPTS),
  })
  .check(
    z.refine((body) => TIMINGS.filter((key) => body[key] !== undefined).length === 1, {
      error: `give exactly one of ${TIMINGS.join(", ")}`,
    }),
  );

export type CreateJobBody = z.output<typeof createJobBody>;

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
