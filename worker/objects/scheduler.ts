import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { PermanentActionError } from "../scheduler/actions/types.ts";
import { runPool, withDeadline } from "../scheduler/concurrency.ts";
import type { JobSpec } from "../scheduler/job-input.ts";
import { JOB_STATUSES, type JobRow, type JobStatus, JobStore } from "../scheduler/job-store.ts";
import {
  ACTION_DEADLINE_MS,
  ALARM_BUDGET_MS,
  ALARM_CONCURRENCY,
  ATTEMPT_LEASE_MS,
  MAX_MAX_ATTEMPTS,
  MAX_PENDING_JOBS,
  RETRY_BASE_MS,
  RETRY_CAP_MS,
} from "../scheduler/limits.ts";
import { checkAction, runAction } from "../scheduler/registry.ts";
import { firstRun, nextOccurrence, retryDelayMs } from "../scheduler/timing.ts";
import { type JobDetailView, type JobView, jobView, runView, scheduleOf } from "../scheduler/views.ts";

/** Result of scheduling a job: the stored job, or why it was refused (nothing stored). */
export type ScheduleResult =
  | { readonly ok: true; readonly job: JobView }
  | {
      readonly ok: false;
      readonly code: "invalid_action" | "invalid_schedule" | "payload_too_large" | "too_many_jobs";
      readonly message: string;
    };

/** Result of cancelling a job: the cancelled job, or why not (unchanged). */
export type CancelResult =
  | { readonly ok: true; readonly job: JobView }
  | { readonly ok: false; readonly code: "job_not_found" | "job_finished"; readonly message: string };

/** One page of `list`; pass `nextCursor` back as `cursor` for the next page (null: no more). */
export interface JobPage {
  readonly jobs: readonly JobView[];
  readonly nextCursor: string | null;
}

/** What a scheduler holds and how often its alarm has run. */
export interface SchedulerStats {
  readonly jobs: Readonly<Record<JobStatus, number>>;
  /** Times `alarm()` was invoked since the scheduler was created. */
  readonly alarmInvocations: number;
  /** Action attempts started, successful or not. */
  readonly attempts: number;
  readonly nextAlarmAt: string | null;
}

/** Due jobs taken per query inside one alarm invocation. */
const DUE_BATCH = 256;

/** A list page stops adding jobs past about this much JSON (the rest follows with the cursor). */
const MAX_PAGE_BYTES = 2 * 1024 * 1024;
const ROW_OVERHEAD_BYTES = 400;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A named job scheduler on the object's single alarm (the pattern of cloudflare/agents' schedules).
 *
 * The jobs table is the truth; the alarm is always derived from it: armed at the earliest next run of a scheduled
 * job, deleted when there is none. `alarm()` runs every due job, then re-arms. Before an attempt starts its count
 * and a lease (the time it is retried if the object dies during it) are written, so a job is never lost and, in
 * the normal case, runs once per due time. Action failures are retried with exponential backoff and jitter up to
 * the job's maxAttempts; unexpected errors (storage) propagate so the runtime retries the whole alarm.
 */
export class Scheduler extends DurableObject<Env> {
  private readonly store: JobStore;
  /** Jobs with an attempt in flight in this instance: never started twice, whatever the alarm does meanwhile. */
  private readonly running = new Set<string>();
  /**
   * The alarm time this instance last read or set; undefined when unknown. Only this object sets its alarm, so
   * the cache saves a storage round trip on most writes (scheduling into a busy scheduler rarely moves the alarm).
   */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new JobStore(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => {
      this.store.createSchema();
      // Restores the alarm if it was ever lost (e.g. the runtime gave up retrying a failing alarm).
      await this.rearm();
    });
  }

  async schedule(spec: JobSpec): Promise<ScheduleResult> {
    const now = Date.now();
    const checked = checkAction(spec.action, this.env);
    if (!checked.ok) return checked;
    const { maxAttempts } = spec;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_MAX_ATTEMPTS) {
      return {
        ok: false,
        code: "invalid_schedule",
        message: `maxAttempts must be an integer from 1 to ${MAX_MAX_ATTEMPTS}`,
      };
    }
    const first = firstRun(spec.schedule, now);
    if (!first.ok) return { ok: false, code: "invalid_schedule", message: first.message };
    if (this.store.countPending() >= MAX_PENDING_JOBS) {
      return {
        ok: false,
        code: "too_many_jobs",
        message: `This scheduler already has ${MAX_PENDING_JOBS} scheduled jobs; wait for some to run or cancel some.`,
      };
    }
    const row = this.store.insert({
      id: crypto.randomUUID(),
      schedule: first.schedule,
      action: JSON.stringify(checked.action),
      maxAttempts,
      dueAt: first.at,
      now,
    });
    await this.rearm();
    return { ok: true, job: jobView(row) };
  }

  get(id: string): JobDetailView | null {
    const row = this.store.get(id);
    if (!row) return null;
    return { ...jobView(row), runs: this.store.recentRuns(row.seq).map(runView) };
  }

  list(options: { status?: JobStatus | undefined; cursor?: string | undefined; limit: number }): JobPage {
    if (options.status !== undefined && !JOB_STATUSES.includes(options.status))
      return { jobs: [], nextCursor: null };
    const afterSeq = options.cursor ? Number(options.cursor) : 0;
    const rows = this.store.list({ status: options.status, afterSeq, limit: options.limit + 1 });
    // Actions may be up to 64 KiB each: a page also ends early at about MAX_PAGE_BYTES, so a full page of large
    // jobs stays a reasonable response (the cursor carries on from there).
    const page: JobRow[] = [];
    let bytes = 0;
    for (const row of rows.slice(0, options.limit)) {
      bytes += row.action.length + ROW_OVERHEAD_BYTES;
      if (page.length > 0 && bytes > MAX_PAGE_BYTES) break;
      page.push(row);
    }
    const more = rows.length > page.length;
    return { jobs: page.map(jobView), nextCursor: more ? String(page.at(-1)!.seq) : null };
  }

  async cancel(id: string): Promise<CancelResult> {
    const row = this.store.get(id);
    if (!row)
      return {
        ok: false,
        code: "job_not_found",
        message: `No job with id ${JSON.stringify(id.slice(0, 80))} in this scheduler.`,
      };
    if (row.status === "completed" || row.status === "failed") {
      return {
        ok: false,
        code: "job_finished",
        message: `Job ${id} has already ${row.status}; nothing to cancel.`,
      };
    }
    // Cancelling twice is harmless: the job stays cancelled.
    if (row.status === "scheduled") {
      this.store.finish(row.seq, "cancelled", Date.now());
      this.store.pruneFinished();
      await this.rearm();
    }
    return { ok: true, job: jobView(this.store.get(id)!) };
  }

  async stats(): Promise<SchedulerStats> {
    const alarm = await this.ctx.storage.getAlarm();
    return {
      jobs: this.store.countByStatus(),
      alarmInvocations: this.store.stat("alarm_invocations"),
      attempts: this.store.stat("attempts"),
      nextAlarmAt: alarm === null ? null : new Date(alarm).toISOString(),
    };
  }

  override async alarm(): Promise<void> {
    // The runtime has consumed the alarm that fired: forget what was cached.
    this.alarmAt = undefined;
    this.store.bumpStat("alarm_invocations");
    const started = Date.now();
    try {
      // Jobs that fall due while earlier ones run are taken in the same invocation, up to the time budget.
      while (Date.now() - started < ALARM_BUDGET_MS) {
        const due = this.store.due(Date.now(), DUE_BATCH).filter((job) => !this.running.has(job.id));
        if (due.length === 0) break;
        await runPool(due, ALARM_CONCURRENCY, (job) => this.attempt(job.id));
      }
      this.store.pruneFinished();
    } finally {
      // Also after an unexpected error: the alarm must point at the earliest job whatever happened.
      await this.rearm();
    }
  }

  /** One attempt of a due job, and what follows from its outcome. */
  private async attempt(id: string): Promise<void> {
    // Re-read: a cancel or another attempt may have changed the job since the batch was selected.
    const job = this.store.get(id);
    const now = Date.now();
    if (job?.status !== "scheduled" || job.next_run_at === null || job.next_run_at > now) return;
    if (this.running.has(id)) return;
    if (job.attempts >= job.max_attempts) {
      // The last allowed attempt was cut short by a restart (its lease ran out): the run has failed.
      const interrupted = { message: "the last attempt was interrupted by a restart", permanent: true };
      this.store.atomically(() => {
        this.store.interruptRuns(job.seq);
        this.settle(job, job.attempts, interrupted, now);
      });
      return;
    }
    const attempt = job.attempts + 1;
    const runId = this.store.beginAttempt(job, attempt, now, now + ATTEMPT_LEASE_MS);
    this.running.add(id);
    let failure: { message: string; permanent: boolean } | null = null;
    try {
      const runKey = `${job.id}:${job.due_at}`;
      await withDeadline(
        runAction(JSON.parse(job.action), this.env, { env: this.env, jobId: job.id, runKey, attempt }),
        ACTION_DEADLINE_MS,
        `the action did not finish within ${ACTION_DEADLINE_MS} ms`,
      );
    } catch (error) {
      failure = { message: messageOf(error), permanent: error instanceof PermanentActionError };
    } finally {
      this.running.delete(id);
    }
    const finished = Date.now();
    this.store.atomically(() => {
      this.store.finishRun(runId, failure ? "failed" : "succeeded", failure?.message ?? null, finished);
      this.settle(job, attempt, failure, finished);
    });
  }

  /** After an attempt: retry later, move a recurring job to its next run, or finish the job. */
  private settle(
    job: JobRow,
    attempt: number,
    failure: { message: string; permanent: boolean } | null,
    now: number,
  ): void {
    if (failure) {
      this.store.setLastError(job.seq, failure.message);
      if (!failure.permanent && attempt < job.max_attempts) {
        const retryAt = now + retryDelayMs(attempt, RETRY_BASE_MS, RETRY_CAP_MS);
        this.store.reschedule(job.seq, { dueAt: job.due_at, nextRunAt: retryAt, attempts: attempt }, now);
        return;
      }
    }
    // This run is over. A recurring job goes on to its next due time even when this run failed for good.
    const next = nextOccurrence(scheduleOf(job), job.due_at, now);
    if (next !== null) this.store.reschedule(job.seq, { dueAt: next, nextRunAt: next, attempts: 0 }, now);
    else this.store.finish(job.seq, failure ? "failed" : "completed", now);
  }

  /** Points the alarm at the earliest next run, or deletes it when no job is scheduled. */
  private async rearm(): Promise<void> {
    const next = this.store.earliestNextRun();
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (next === this.alarmAt) return;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
    this.alarmAt = next;
  }
}
