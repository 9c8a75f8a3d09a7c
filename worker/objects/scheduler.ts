import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { PermanentActionError } from "../scheduler/actions/types.ts";
import { withDeadline } from "../scheduler/concurrency.ts";
import type { JobSpec } from "../scheduler/job-input.ts";
import { JOB_STATUSES, type JobRow, type JobStatus, JobStore } from "../scheduler/job-store.ts";
import {
  ACTION_DEADLINE_MS,
  ALARM_BUDGET_MS,
  ALARM_CONCURRENCY,
  ATTEMPT_LEASE_MS,
  MAX_INTERRUPTIONS,
  MAX_MAX_ATTEMPTS,
  MAX_PENDING_JOBS,
  RETRY_BASE_MS,
  RETRY_CAP_MS,
} from "../scheduler/limits.ts";
import { checkAction, runAction } from "../scheduler/registry.ts";
import { firstRun, nextOccurrence, retryDelayMs } from "../scheduler/timing.ts";
import {
  type JobDetailView,
  type JobView,
  jobView,
  runView,
  type StoredAction,
  scheduleOf,
  type ViewAudience,
} from "../scheduler/views.ts";

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

/** A list page stops adding jobs past about this much JSON (the rest follows with the cursor). */
const MAX_PAGE_BYTES = 2 * 1024 * 1024;
const ROW_OVERHEAD_BYTES = 400;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A named job scheduler on the object's single alarm (the pattern of cloudflare/agents' schedules).
 *
 * The jobs table is the truth; the alarm is always derived from it: armed at the earliest next run of a scheduled
 * job, deleted when there is none. `alarm()` runs due jobs through a bounded pool (ALARM_CONCURRENCY slots) and
 * takes each newly due job as soon as a slot is free, so one slow job never holds up the others. Before an attempt
 * starts its count and a lease (the time it is retried if the object dies during it) are written, so a job is
 * never lost and, in the normal case, runs once per due time; an attempt cut short by a restart does not use up
 * an attempt (up to MAX_INTERRUPTIONS). Action failures are retried with exponential backoff and jitter up to the
 * job's maxAttempts; unexpected errors (storage) propagate so the runtime retries the whole alarm.
 *
 * Nothing is written until the first job is scheduled: a read of a scheduler that holds nothing answers the empty
 * state without creating its tables (reads are public and not rate limited).
 */
export class Scheduler extends DurableObject<Env> {
  private readonly store: JobStore;
  /**
   * Jobs with an attempt in flight in this instance (never started twice, whatever the alarm does meanwhile), each
   * with the time its slot frees at the latest: the attempt's start plus the action deadline.
   */
  private readonly running = new Map<string, number>();
  /** Whether the tables exist: false until the first job is scheduled. */
  private stored = false;
  /** Set while `alarm()` sleeps: wakes its loop early. */
  private wakeAlarm: (() => void) | null = null;
  /** A wake-up that came while the loop was not asleep (it must not be lost: the loop re-checks at once). */
  private wakePending = false;
  /** True while `alarm()` runs; attempts that outlive it re-arm the alarm themselves. */
  private inAlarm = false;
  /**
   * How long one `alarm()` takes new due jobs (ALARM_BUDGET_MS). An instance field only so that an in-runtime
   * test can shorten it on one object (`runInDurableObject`) instead of waiting out the real budget.
   */
  alarmBudgetMs = ALARM_BUDGET_MS;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new JobStore(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => {
      if (!this.store.hasSchema()) return;
      this.stored = true;
      this.store.migrate();
      // Restores the alarm if it was ever lost (e.g. the runtime gave up retrying a failing alarm).
      await this.rearm();
    });
  }

  /** Creates the tables on the first write. */
  private ensureStored(): void {
    if (this.stored) return;
    this.store.createSchema();
    this.stored = true;
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
    this.ensureStored();
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
    // A running alarm takes the new job as soon as it is due (and a slot is free).
    this.wake();
    return { ok: true, job: jobView(row, { admin: true }) };
  }

  /** A job and its recent runs; `audience` decides how much of a webhook's URL is shown. */
  get(id: string, audience: ViewAudience = { admin: false }): JobDetailView | null {
    if (!this.stored) return null;
    const row = this.store.get(id);
    if (!row) return null;
    const action = JSON.parse(row.action) as StoredAction;
    return {
      ...jobView(row, audience),
      runs: this.store.recentRuns(row.seq).map((run) => runView(run, action, audience)),
    };
  }

  list(options: {
    status?: JobStatus | undefined;
    cursor?: string | undefined;
    limit: number;
    admin?: boolean | undefined;
  }): JobPage {
    if (!this.stored) return { jobs: [], nextCursor: null };
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
    const audience = { admin: options.admin === true };
    return {
      jobs: page.map((row) => jobView(row, audience)),
      nextCursor: more ? String(page.at(-1)!.seq) : null,
    };
  }

  async cancel(id: string): Promise<CancelResult> {
    const row = this.stored ? this.store.get(id) : null;
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
    return { ok: true, job: jobView(this.store.get(id)!, { admin: true }) };
  }

  async stats(): Promise<SchedulerStats> {
    if (!this.stored) {
      const none = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
      return { jobs: none, alarmInvocations: 0, attempts: 0, nextAlarmAt: null };
    }
    const alarm = await this.ctx.storage.getAlarm();
    return {
      jobs: this.store.countByStatus(),
      alarmInvocations: this.store.stat("alarm_invocations"),
      attempts: this.store.stat("attempts"),
      nextAlarmAt: alarm === null ? null : new Date(alarm).toISOString(),
    };
  }

  override async alarm(): Promise<void> {
    if (!this.stored) return;
    this.store.bumpStat("alarm_invocations");
    const stopTakingAt = Date.now() + this.alarmBudgetMs;
    const inFlight = new Set<Promise<void>>();
    const errors: unknown[] = [];
    this.inAlarm = true;
    this.wakePending = false;
    try {
      for (;;) {
        // Fill the free slots with due jobs (a job in flight has its lease as next run, so it is not due).
        const free = ALARM_CONCURRENCY - this.running.size;
        // After an unexpected (storage) error no new job is started: it would most likely fail the same way.
        const due =
          free > 0 && Date.now() < stopTakingAt && errors.length === 0
            ? this.store.due(Date.now(), free + this.running.size).filter((job) => !this.running.has(job.id))
            : [];
        for (const job of due.slice(0, free)) {
          const attempt: Promise<void> = this.attempt(job.id)
            .catch((error: unknown) => {
              errors.push(error);
            })
            .finally(() => {
              inFlight.delete(attempt);
              this.wake();
            });
          inFlight.add(attempt);
        }
        if (inFlight.size === 0 || Date.now() >= stopTakingAt) break;
        if (errors.length > 0) {
          await Promise.all(inFlight);
          break;
        }
        // Keep the alarm pointing at the next due time meanwhile: if the object dies now, nothing is forgotten.
        await this.rearm();
        // Sleep until a slot frees, a job is scheduled, or (with a free slot) the next job falls due.
        const next = this.store.earliestNextRun();
        const untilDue =
          this.running.size < ALARM_CONCURRENCY && next !== null ? Math.max(0, next - Date.now()) : null;
        await this.sleep(
          untilDue === null ? stopTakingAt - Date.now() : Math.min(untilDue, stopTakingAt - Date.now()),
        );
      }
      this.store.pruneFinished();
    } finally {
      this.inAlarm = false;
      this.wakeAlarm = null;
      this.wakePending = false;
      // Also after an unexpected error: the alarm must point at the earliest job whatever happened. Attempts
      // still in flight (past the budget) finish in the background and re-arm when they settle.
      await this.rearm();
    }
    if (errors.length > 0) throw errors[0];
  }

  /** Tells the alarm loop that a slot freed or a job was scheduled. */
  private wake(): void {
    if (!this.inAlarm) return;
    if (this.wakeAlarm) this.wakeAlarm();
    else this.wakePending = true;
  }

  /** Resolves after `ms`, or earlier on `wake()` (at once if a wake-up came since the last sleep). */
  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeAlarm = null;
        resolve();
      }
      this.wakeAlarm = done;
    });
  }

  /** One attempt of a due job, and what follows from its outcome. */
  private async attempt(id: string): Promise<void> {
    // Re-read: a cancel or another attempt may have changed the job since the batch was selected.
    const job = this.store.get(id);
    const now = Date.now();
    if (job?.status !== "scheduled" || job.next_run_at === null || job.next_run_at > now) return;
    if (this.running.has(id)) return;
    // A run still marked running never recorded an outcome: the object restarted during that attempt (this
    // instance runs no attempt of this job). It gives its attempt back; only a run of restarts ends the job.
    let { attempts, interruptions } = job;
    if (this.store.hasUnfinishedRun(job.seq)) {
      attempts = Math.max(0, attempts - 1);
      interruptions += 1;
    }
    if (interruptions > MAX_INTERRUPTIONS || attempts >= job.max_attempts) {
      const interrupted = {
        message:
          interruptions > MAX_INTERRUPTIONS
            ? `attempts were interrupted by a restart ${interruptions} times in a row; giving up`
            : "the last attempt was interrupted by a restart",
        permanent: true,
      };
      this.store.atomically(() => {
        this.store.interruptRuns(job.seq);
        this.settle(job, job.attempts, interrupted, now);
      });
      this.log(job, job.attempts, interrupted.message);
      return;
    }
    const attempt = attempts + 1;
    const runId = this.store.beginAttempt(job, attempt, interruptions, now, now + ATTEMPT_LEASE_MS);
    this.running.set(id, now + ACTION_DEADLINE_MS);
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
    if (failure) this.log(job, attempt, failure.message);
    // Its slot is free: past the alarm's budget nobody else re-arms, so an attempt that outlived its alarm does
    // it itself (a job that waited for the slot is due, and the alarm fires for it at once).
    if (!this.inAlarm) await this.rearm();
  }

  /** One log line per failed attempt (error texts never hold a webhook's secret path or query). */
  private log(job: JobRow, attempt: number, message: string): void {
    console.warn(`scheduler: job ${job.id} attempt ${attempt}/${job.max_attempts} failed: ${message}`);
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
    if (next !== null)
      this.store.reschedule(job.seq, { dueAt: next, nextRunAt: next, attempts: 0, fresh: true }, now);
    else this.store.finish(job.seq, failure ? "failed" : "completed", now);
  }

  /**
   * When the alarm should next fire, or null when no job is scheduled: the earliest next run, never in the past
   * (a job already due runs as soon as the alarm can), and while every slot is busy not before a slot can free
   * (an earlier alarm could start nothing; an attempt that finishes sooner re-arms or wakes the loop itself).
   */
  private alarmTarget(now: number): number | null {
    const next = this.store.earliestNextRun();
    if (next === null) return null;
    if (this.running.size >= ALARM_CONCURRENCY) return Math.max(next, Math.min(...this.running.values()));
    return Math.max(next, now);
  }

  /**
   * Points the alarm at `alarmTarget`, or deletes it when no job is scheduled. The stored alarm is read every
   * time, never remembered: the runtime consumes alarms itself (one that fired, one re-set to the time that fired
   * from inside its own handler), so a remembered time can claim an alarm that is no longer armed. That is how a
   * pool full past the budget once wedged the scheduler: the alarm re-armed to a past due time with no free slot,
   * spun, and every later re-arm believed the remembered time and did nothing.
   */
  private async rearm(): Promise<void> {
    const target = this.alarmTarget(Date.now());
    const current = await this.ctx.storage.getAlarm();
    if (target === current) return;
    if (target === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(target);
  }
}
