import type { JobRow, JobStatus, RunOutcome, RunRow } from "./job-store.ts";
import type { Schedule } from "./timing.ts";

/**
 * A stored action's JSON. Typed shallowly on purpose: a recursive JSON type sends the RPC and Hono response
 * typings into "excessively deep" instantiation.
 */
export type StoredAction = {
  readonly type: string;
  readonly [key: string]: string | number | boolean | null | object;
};

/**
 * Job reads are public, and webhook headers often carry credentials (Authorization, API keys): the API shows
 * which headers a job sends, never their values. (Bodies are shown: put secrets in headers, not in bodies.)
 */
function redactedAction(action: StoredAction): StoredAction {
  const headers = action.headers;
  if (!headers || typeof headers !== "object" || Array.isArray(headers)) return action;
  return { ...action, headers: Object.fromEntries(Object.keys(headers).map((name) => [name, "[redacted]"])) };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A job as the API shows it. Times are ISO 8601 strings, null when there is none. */
export interface JobView {
  readonly id: string;
  readonly status: JobStatus;
  /** One of `{runAt}`, `{everyMs}`, `{cron}` (delayMs is shown as the runAt it became). */
  readonly schedule: { runAt: string } | { everyMs: number } | { cron: string };
  /** The action as validated and stored (defaults filled in), webhook header values redacted. */
  readonly action: StoredAction;
  readonly maxAttempts: number;
  /** Attempts of the current (or last) run. */
  readonly attempts: number;
  readonly lastError: string | null;
  readonly lastRunAt: string | null;
  readonly nextRunAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One attempt of a job, newest first in `runs`. */
export interface RunView {
  readonly attempt: number;
  readonly dueAt: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly outcome: RunOutcome;
  readonly error: string | null;
}

export interface JobDetailView extends JobView {
  readonly runs: readonly RunView[];
}

export function scheduleOf(row: JobRow): Schedule {
  switch (row.kind) {
    case "once":
      return { kind: "once", runAt: row.due_at };
    case "every":
      return { kind: "every", everyMs: row.every_ms! };
    case "cron":
      return { kind: "cron", cron: row.cron! };
  }
}

function scheduleView(schedule: Schedule): JobView["schedule"] {
  switch (schedule.kind) {
    case "once":
      return { runAt: iso(schedule.runAt)! };
    case "every":
      return { everyMs: schedule.everyMs };
    case "cron":
      return { cron: schedule.cron };
  }
}

export function jobView(row: JobRow): JobView {
  return {
    id: row.id,
    status: row.status,
    schedule: scheduleView(scheduleOf(row)),
    action: redactedAction(JSON.parse(row.action)),
    maxAttempts: row.max_attempts,
    attempts: row.attempts,
    lastError: row.last_error,
    lastRunAt: iso(row.last_run_at),
    nextRunAt: iso(row.next_run_at),
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

export function runView(row: RunRow): RunView {
  return {
    attempt: row.attempt,
    dueAt: iso(row.due_at)!,
    startedAt: iso(row.started_at)!,
    finishedAt: iso(row.finished_at),
    outcome: row.outcome,
    error: row.error,
  };
}
