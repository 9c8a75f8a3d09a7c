import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { tableExists } from "./sql.ts";

/** Result of a counter change: either the new count, or why it was refused (state unchanged). */
export type CounterChange =
  | { readonly ok: true; readonly count: number }
  | { readonly ok: false; readonly code: "counter_overflow" };

/** A change waiting for its batch to be written. */
interface PendingChange {
  readonly delta: number;
  readonly resolve: (change: CounterChange) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A SQLite-backed counter. Reached over RPC only (`await stub.increment(3)`); it has no router of its own.
 *
 * Changes are written in batches (group commit). Every SQLite write of a Durable Object is committed to disk, and
 * the runtime's output gate holds each answer until the write behind it is durable; one commit per increment made
 * the disk the bottleneck under load. So a change that arrives while a commit is in flight waits in a queue; when
 * that commit is confirmed, the whole queue is applied in arrival order and written as one row update, one commit.
 * Each change still gets its own distinct count, and no answer leaves before the value it reports is written:
 * nothing is counted only in memory. With no commit in flight a change is written at once, as before.
 */
export class Counter extends DurableObject<Env> {
  /**
   * The table is created by the first write, not in the constructor: a read of a counter that holds nothing must
   * answer 0 without writing, or every GET of a new name would create a stored object: anyone could make the platform create (and bill)
   * storage with plain reads.
   */
  private hasTable: boolean;
  /** Changes that arrived while a batch was being committed. */
  #queue: PendingChange[] = [];
  /** True while `#drain` runs; a change arriving then joins the queue instead of writing on its own. */
  #draining = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.hasTable = tableExists(ctx.storage.sql, "counter");
  }

  get(): number {
    if (!this.hasTable) return 0;
    const row = this.ctx.storage.sql
      .exec<{ value: number }>("SELECT value FROM counter WHERE id = 1")
      .toArray()[0];
    return row?.value ?? 0;
  }

  increment(by = 1): Promise<CounterChange> {
    return this.change(by);
  }

  decrement(by = 1): Promise<CounterChange> {
    return this.change(-by);
  }

  reset(): number {
    if (this.hasTable) this.ctx.storage.sql.exec("DELETE FROM counter");
    return 0;
  }

  /**
   * The Worker version whose code this object runs (its own version-metadata binding). In a split deployment
   * Cloudflare assigns each object one version, which the Worker's version-override header does not change
   * (https://developers.cloudflare.com/workers/versions-and-deployments/gradual-deployments/with-durable-objects/):
   * a promotion step asks objects this to know which code it exercised.
   */
  versionId(): string | null {
    return this.env.CF_VERSION_METADATA?.id ?? null;
  }

  private change(delta: number): Promise<CounterChange> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ delta, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  /** Writes the queue in batches, each after the previous batch's commit is confirmed. */
  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        this.#writeBatch(batch);
        // Wait until this batch is durable before writing the next: what arrives meanwhile shares one commit.
        await this.ctx.storage.sync();
      }
    } catch (error) {
      // Storage failed: the runtime resets the object; nothing queued may hang or be reported as counted.
      for (const pending of this.#queue.splice(0)) pending.reject(error);
    } finally {
      this.#draining = false;
    }
  }

  /** Applies `batch` in order (refusing a change that would overflow) and writes the result once. */
  #writeBatch(batch: readonly PendingChange[]): void {
    let value = this.get();
    const results = batch.map(({ delta }): CounterChange => {
      const next = value + delta;
      // Past 2^53 integers stop being exact in JSON and JavaScript: refuse rather than silently lose precision.
      if (!Number.isSafeInteger(next)) return { ok: false, code: "counter_overflow" };
      value = next;
      return { ok: true, count: next };
    });
    try {
      this.createTable();
      this.ctx.storage.sql.exec(
        "INSERT INTO counter (id, value) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value",
        value,
      );
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    // The answers leave the object only once this write is committed (the output gate holds them).
    for (const [i, pending] of batch.entries()) pending.resolve(results[i]!);
  }

  private createTable(): void {
    if (this.hasTable) return;
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)",
    );
    this.hasTable = true;
  }
}
