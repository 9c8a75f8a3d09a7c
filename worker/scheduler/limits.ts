/** The scheduler's limits and timings in one place: the README quotes them, the tests and routes import them. */

/** At most this many jobs in status `scheduled` per scheduler; the next one is refused with 429. */
export const MAX_PENDING_JOBS = 10_000;

/** Largest action (its JSON) a job may carry. */
export const MAX_ACTION_BYTES = 64 * 1024;

/** Jobs may not be scheduled further ahead than this (runAt, delayMs, everyMs, a cron's first run). */
export const MAX_HORIZON_MS = 366 * 24 * 60 * 60 * 1000;

/** Recurring jobs run at most once a second: `everyMs` below this is refused. */
export const MIN_EVERY_MS = 1000;

export const DEFAULT_MAX_ATTEMPTS = 5;
export const MAX_MAX_ATTEMPTS = 20;

/** Retry delays: `RETRY_BASE_MS * 2^(attempt-1)`, capped, then jittered into its upper half. */
export const RETRY_BASE_MS = 1000;
export const RETRY_CAP_MS = 15 * 60 * 1000;

/**
 * Every action run is abandoned (and counted as a failed attempt) after this long, so one hung call cannot hold
 * the alarm. Webhook timeouts are at most this.
 */
export const ACTION_DEADLINE_MS = 60_000;

/**
 * Before an attempt starts, the job's next run is pushed this far ahead. If the object dies mid-attempt (a deploy,
 * an eviction), the job is retried at that time instead of being lost; longer than any attempt can take.
 */
export const ATTEMPT_LEASE_MS = ACTION_DEADLINE_MS + 30_000;

/**
 * An attempt cut short by a restart (a deploy, an eviction: no outcome was recorded) does not use up an attempt;
 * it is retried when its lease ends. A run interrupted more often than this in a row fails, so a job that
 * crashes the object cannot loop for ever.
 */
export const MAX_INTERRUPTIONS = 5;

/** Attempts run concurrently in one scheduler, up to this many at a time; newly due jobs take slots as they free. */
export const ALARM_CONCURRENCY = 32;

/**
 * One alarm invocation stops taking new due jobs after this long and re-arms; attempts still in flight finish in
 * the background (under their lease), so each invocation stays bounded and no job waits for another.
 */
export const ALARM_BUDGET_MS = 30_000;

/** Runs (attempts) kept per job for `GET .../jobs/:id`; older ones are dropped. */
export const RUNS_KEPT_PER_JOB = 20;

/** Finished jobs (completed, failed, cancelled) kept per scheduler; the oldest beyond this are dropped. */
export const FINISHED_JOBS_KEPT = 10_000;

/** Longest error text kept with a job or run. */
export const MAX_ERROR_CHARS = 500;
