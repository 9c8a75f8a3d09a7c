import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";

/** Result of a counter change: either the new count, or why it was refused (state unchanged). */
export type CounterChange =
  | { readonly ok: true; readonly count: number }
  | { readonly ok: false; readonly code: "counter_overflow" };

/**
 * A SQLite-backed counter. Reached over RPC only (`await stub.increment(3)`); it has no router of its own.
 *
 * Every method runs its read-modify-write synchronously on `ctx.storage.sql`, so concurrent requests to one
 * counter are serialized by the runtime and each sees a distinct count.
 */
export class Counter extends DurableObject<Env> {
  /**
   * The table is created by the first write, not in the constructor: a read of a counter that holds nothing must
   * answer 0 without writing, or every GET of a new name would create a stored object (issue 18, item 2).
   */
  private hasTable: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.hasTable =
      ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'counter'").toArray()
        .length > 0;
  }

  get(): number {
    if (!this.hasTable) return 0;
    const row = this.ctx.storage.sql
      .exec<{ value: number }>("SELECT value FROM counter WHERE id = 1")
      .toArray()[0];
    return row?.value ?? 0;
  }

  increment(by = 1): CounterChange {
    return this.add(by);
  }

  decrement(by = 1): CounterChange {
    return this.add(-by);
  }

  reset(): number {
    if (this.hasTable) this.ctx.storage.sql.exec("DELETE FROM counter");
    return 0;
  }

  private add(delta: number): CounterChange {
    const next = this.get() + delta;
    // Past 2^53 integers stop being exact in JSON and JavaScript: refuse rather than silently lose precision.
    if (!Number.isSafeInteger(next)) return { ok: false, code: "counter_overflow" };
    this.createTable();
    this.ctx.storage.sql.exec(
      "INSERT INTO counter (id, value) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value",
      next,
    );
    return { ok: true, count: next };
  }

  private createTable(): void {
    if (this.hasTable) return;
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)",
    );
    this.hasTable = true;
  }
}
