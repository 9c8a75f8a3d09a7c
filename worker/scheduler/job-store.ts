import { tableExists } from "../objects/sql.ts";
import { FINISHED_JOBS_KEPT, MAX_ERROR_CHARS, RUNS_KEPT_PER_JOB } from "./limits.ts";
import type { Schedule } from "./timing.ts";

/** `scheduled` until it has no next run: then `completed`, `failed` (its last run used up its attempts) or `cancelled`. */
export const JOB_STATUSES = ["scheduled", "completed", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** How one attempt ended; `running` while it runs, `interrupted` when the object died during it. */
export type RunOutcome = "running" | "succeeded" | "failed" | "interrupted";

/** A row of the jobs table. */
export interface JobRow {
  /** Insertion order; the list cursor. */
  readonly seq: number;
  readonly id: string;
  readonly status: JobStatus;
  readonly kind: Schedule["kind"];
  /** everyMs of an interval job, else null. */
  readonly every_ms: number | null;
  readonly cron: string | null;
  readonly action: string;
  readonly max_attempts: number;
  /** Due time of the current run (a one-off job's runAt). Part of the run's idempotency key. */
  readonly due_at: number;
  /** When the alarm next takes the job: the due time, a retry time, or an attempt's lease. Null once finished. */
  readonly next_run_at: number | null;
  /** Attempts of the current run (reset when a recurring job moves to its next run). */
  readonly attempts: number;
  /** Attempts of the current run cut short by a restart; they do not count as attempts (reset with them). */
  readonly interruptions: number;
  readonly last_error: string | null;
  readonly last_run_at: number | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly [column: string]: SqlStorageValue;
}

export interface RunRow {
  readonly attempt: number;
  readonly due_at: number;
  readonly started_at: number;
  readonly finished_at: number | null;
  readonly outcome: RunOutcome;
  readonly error: string | null;
  readonly [column: string]: SqlStorageValue;
}

const clip = (text: string) =>
  text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;

/**
 * The Scheduler's SQLite tables: the jobs table is the truth about every job (the alarm is only derived from it),
 * a bounded history of runs per job, and a few counters. All statements are synchronous, so each method is atomic
 * within the object.
 */
export class JobStore {
  private readonly storage: DurableObjectStorage;
  private readonly sql: SqlStorage;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
    this.sql = storage.sql;
  }

  /** Runs `fn` as one SQLite transaction: if it throws, none of its writes happen. */
  atomically<T>(fn: () => T): T {
    return this.storage.transactionSync(fn);
  }

  /**
   * Whether this scheduler has ever stored anything. A read of a scheduler that holds nothing answers the empty
   * state without writing: the schema is created by the first write (a GET must not create stored objects).
   */
  hasSchema(): boolean {
    return tableExists(this.sql, "jobs");
  }

  /** Columns added after the first release, for tables created before them. */
  migrate(): void {
    const columns = this.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('jobs')").toArray();
    if (!columns.some((column) => column.name === "interruptions")) {
      this.sql.exec("ALTER TABLE jobs ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0");
    }
  }

  createSchema(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS jobs (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      status TEXT NOT NULL,
      kind TEXT NOT NULL,
      every_ms INTEGER,
      cron TEXT,
      action TEXT NOT NULL,
      max_attempts INTEGER NOT NULL,
      due_at INTEGER NOT NULL,
      next_run_at INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0,
      interruptions INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      last_run_at INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS jobs_by_status_next ON jobs (status, next_run_at)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      job_seq INTEGER NOT NULL,
      attempt INTEGER NOT NULL,
      due_at INTEGER NOT NULL,
      started_at INTEGER NOT NULL,
      finished_at INTEGER,
      outcome TEXT NOT NULL,
      error TEXT
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS runs_by_job ON runs (job_seq, id)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS stats (name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
  }

  insert(job: {
    id: string;
    schedule: Schedule;
    action: string;
    maxAttempts: number;
    dueAt: number;
    now: number;
  }): JobRow {
    const { schedule } = job;
    return this.sql
      .exec<JobRow>(
        `INSERT INTO jobs (id, status, kind, every_ms, cron, action, max_attempts, due_at, next_run_at, attempts,
           created_at, updated_at)
         VALUES (?, 'scheduled', ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING *`,
        job.id,
        schedule.kind,
        schedule.kind === "every" ? schedule.everyMs : null,
        schedule.kind === "cron" ? schedule.cron : null,
        job.action,
        job.maxAttempts,
        job.dueAt,
        job.dueAt,
        job.now,
        job.now,
      )
      .one();
  }

  get(id: string): JobRow | null {
    return this.sql.exec<JobRow>("SELECT * FROM jobs WHERE id = ?", id).toArray()[0] ?? null;
  }

  countPending(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE status = 'scheduled'").one().n;
  }

  countByStatus(): Record<JobStatus, number> {
    const counts = { scheduled: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const row of this.sql.exec<{ status: JobStatus; n: number }>(
      "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status",
    )) {
      counts[row.status] = row.n;
    }
    return counts;
  }

  /** A page of jobs in creation order, after the job with `afterSeq`; one extra row tells whether more exist. */
  list(options: { status?: JobStatus | undefined; afterSeq: number; limit: number }): JobRow[] {
    return options.status
      ? this.sql
          .exec<JobRow>(
            "SELECT * FROM jobs WHERE status = ? AND seq > ? ORDER BY seq LIMIT ?",
            options.status,
            options.afterSeq,
            options.limit,
          )
          .toArray()
      : this.sql
          .exec<JobRow>(
            "SELECT * FROM jobs WHERE seq > ? ORDER BY seq LIMIT ?",
            options.afterSeq,
            options.limit,
          )
          .toArray();
  }

  /** Scheduled jobs whose next run is due at `now`, earliest first. */
  due(now: number, limit: number): JobRow[] {
    return this.sql
      .exec<JobRow>(
        `SELECT * FROM jobs WHERE status = 'scheduled' AND next_run_at <= ?
         ORDER BY next_run_at, seq LIMIT ?`,
        now,
        limit,
      )
      .toArray();
  }

  /** The earliest next run of any scheduled job: where the alarm belongs. */
  earliestNextRun(): number | null {
    return (
      this.sql
        .exec<{ at: number | null }>("SELECT MIN(next_run_at) AS at FROM jobs WHERE status = 'scheduled'")
        .one().at ?? null
    );
  }

  /**
   * Records that an attempt starts: counts it, pushes the job's next run to `leaseUntil` (where it is retried if
   * the object dies during the attempt) and opens a run row. Returns the run row's id.
   */
  beginAttempt(job: JobRow, attempt: number, interruptions: number, now: number, leaseUntil: number): number {
    return this.atomically(() => {
      this.sql.exec(
        "UPDATE jobs SET attempts = ?, interruptions = ?, next_run_at = ?, last_run_at = ?, updated_at = ? WHERE seq = ?",
        attempt,
        interruptions,
        leaseUntil,
        now,
        now,
        job.seq,
      );
      this.interruptRuns(job.seq);
      const runId = this.sql
        .exec<{ id: number }>(
          "INSERT INTO runs (job_seq, attempt, due_at, started_at, outcome) VALUES (?, ?, ?, ?, 'running') RETURNING id",
          job.seq,
          attempt,
          job.due_at,
          now,
        )
        .one().id;
      this.sql.exec(
        `DELETE FROM runs WHERE job_seq = ? AND id <= (
           SELECT id FROM runs WHERE job_seq = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
        job.seq,
        job.seq,
        RUNS_KEPT_PER_JOB,
      );
      this.bumpStat("attempts");
      return runId;
    });
  }

  /** Whether a run of this job is still marked `running`: its attempt never recorded an outcome. */
  hasUnfinishedRun(seq: number): boolean {
    return (
      this.sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM runs WHERE job_seq = ? AND outcome = 'running'", seq)
        .one().n > 0
    );
  }

  /** Marks runs still `running` as interrupted: the object restarted during them (no attempt survives that). */
  interruptRuns(seq: number): void {
    this.sql.exec(
      "UPDATE runs SET outcome = 'interrupted', error = 'the object restarted during this attempt' WHERE job_seq = ? AND outcome = 'running'",
      seq,
    );
  }

  finishRun(runId: number, outcome: "succeeded" | "failed", error: string | null, now: number): void {
    this.sql.exec(
      "UPDATE runs SET outcome = ?, error = ?, finished_at = ? WHERE id = ?",
      outcome,
      error === null ? null : clip(error),
      now,
      runId,
    );
  }

  /**
   * Keeps a scheduled job scheduled with a new next run: a retry (attempts counted on), or a recurring job's next
   * due time (`fresh`: attempts and interruptions start again from 0).
   */
  reschedule(
    seq: number,
    next: { dueAt: number; nextRunAt: number; attempts: number; fresh?: boolean },
    now: number,
  ): void {
    this.sql.exec(
      `UPDATE jobs SET due_at = ?, next_run_at = ?, attempts = ?, updated_at = ?${next.fresh ? ", interruptions = 0" : ""}
       WHERE seq = ? AND status = 'scheduled'`,
      next.dueAt,
      next.nextRunAt,
      next.attempts,
      now,
      seq,
    );
  }

  /** Ends a scheduled job (a cancelled one stays cancelled). */
  finish(seq: number, status: "completed" | "failed" | "cancelled", now: number): boolean {
    return (
      this.sql.exec(
        "UPDATE jobs SET status = ?, next_run_at = NULL, updated_at = ? WHERE seq = ? AND status = 'scheduled'",
        status,
        now,
        seq,
      ).rowsWritten > 0
    );
  }

  setLastError(seq: number, error: string): void {
    this.sql.exec("UPDATE jobs SET last_error = ? WHERE seq = ?", clip(error), seq);
  }

  recentRuns(seq: number): RunRow[] {
    return this.sql
      .exec<RunRow>(
        "SELECT attempt, due_at, started_at, finished_at, outcome, error FROM runs WHERE job_seq = ? ORDER BY id DESC",
        seq,
      )
      .toArray();
  }

  /** Drops the oldest finished jobs (and their runs) beyond FINISHED_JOBS_KEPT. */
  pruneFinished(): void {
    const finished = this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE status != 'scheduled'")
      .one().n;
    if (finished <= FINISHED_JOBS_KEPT) return;
    const dropped = this.sql.exec(
      `DELETE FROM jobs WHERE seq IN (
         SELECT seq FROM jobs WHERE status != 'scheduled' ORDER BY updated_at DESC, seq DESC LIMIT -1 OFFSET ?)`,
      FINISHED_JOBS_KEPT,
    ).rowsWritten;
    if (dropped > 0) this.sql.exec("DELETE FROM runs WHERE job_seq NOT IN (SELECT seq FROM jobs)");
  }

  bumpStat(name: string): number {
    return this.sql
      .exec<{ value: number }>(
        "INSERT INTO stats (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        name,
      )
      .one().value;
  }

  stat(name: string): number {
    return (
      this.sql.exec<{ value: number }>("SELECT value FROM stats WHERE name = ?", name).toArray()[0]?.value ??
      0
    );
  }
}
