import type { JobRow, JobStatus, RunOutcome, RunRow } from "./job-store.ts";
import { redactUrl, redactUrlIn } from "./redact.ts";
import type { Schedule } from "./timing.ts";

/**
 * A stored action's JSON. Typed shallowly on purpose: a recursive JSON type sends the RPC and Hono response
 * typings into "excessively deep" instantiation.
 */
export type StoredAction = {
  readonly type: string;
  readonly [key: string]: string | number | boolean | null | object;
};

/** Who reads a job: anyone (the default), or the operator with the admin token. */
export interface ViewAudience {
  readonly admin: boolean;
}

/**
 * Job reads are public, and webhooks carry credentials: header values (Authorization, API keys) are never shown,
 * to anyone; the URL's path and query (Slack-style secret paths, `?token=`) only to an admin-authenticated read.
 * (Bodies are shown: put secrets in headers, not in bodies.)
 */
function redactedAction(action: StoredAction, audience: ViewAudience): StoredAction {
  let shown = action;
  const headers = action.headers;
  if (headers && typeof headers === "object" && !Array.isArray(headers)) {
    shown = {
      ...shown,
      headers: Object.fromEntries(Object.keys(headers).map((name) => [name, "[redacted]"])),
    };
  }
  if (!audience.admin && typeof action.url === "string") shown = { ...shown, url: redactUrl(action.url) };
  return shown;
}

/** Error texts written before URLs were redacted in them may still hold the URL: hide it from public reads. */
function shownError(error: string | null, action: StoredAction, audience: ViewAudience): string | null {
  return audience.admin || typeof action.url !== "string" ? error : redactUrlIn(error, action.url);
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A job as the API shows it. Times are ISO 8601 strings, null when there is none. */
export interface JobView {
  readonly id: string;
  readonly status: JobStatus;
  /** One of `{runAt}`, `{everyMs}`, `{cron}` (delayMs is shown as the runAt it became). */
  readonly schedule: { runAt: string } | { everyMs: number } | { cron: string };
  /**
   * The action as validated and stored (defaults filled in); webhook header values redacted, and the URL's path
   * and query too unless the read is admin-authenticated.
   */
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

export function jobView(row: JobRow, audience: ViewAudience = { admin: false }): JobView {
  const action = JSON.parse(row.action) as StoredAction;
  return {
    id: row.id,
    status: row.status,
    schedule: scheduleView(scheduleOf(row)),
    action: redactedAction(action, audience),
    maxAttempts: row.max_attempts,
    attempts: row.attempts,
    lastError: shownError(row.last_error, action, audience),
    lastRunAt: iso(row.last_run_at),
    nextRunAt: iso(row.next_run_at),
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

export function runView(row: RunRow, action: StoredAction, audience: ViewAudience): RunView {
  return {
    attempt: row.attempt,
    dueAt: iso(row.due_at)!,
    startedAt: iso(row.started_at)!,
    finishedAt: iso(row.finished_at),
    outcome: row.outcome,
    error: shownError(row.error, action, audience),
  };
}
