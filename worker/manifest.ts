/**
 * The one source of truth for the platform's Durable Objects and their migration history.
 *
 * Everything else derives from this file and never re-types it: the worker's `Env` type (worker/env.ts),
 * the Miniflare configuration of `npm run dev` and of every test (scripts/lib/miniflare-options.ts), the Pulumi
 * bindings and migration payload (infra/), and the build's check that every bound class is exported.
 *
 * This module is plain data with no runtime imports, so Node (infra, scripts) and workerd can both load it.
 *
 * MIGRATION HISTORY IS APPEND-ONLY. Once a tag has landed on main, treat it as deployed: never edit or reorder a
 * past entry. A new Durable Object class (or a rename, or a deletion) arrives as a new entry with a new tag.
 */

/** How a Durable Object class stores its state. Only SQLite is used: it is what Cloudflare recommends for new classes. */
export type StorageKind = "sqlite";

export interface DurableObjectDeclaration {
  /** The exported class name in the worker bundle. */
  readonly className: string;
  /** Storage backend; decides `new_sqlite_classes` vs `new_classes` in the migration that creates it. */
  readonly storage: StorageKind;
  /** One line for humans: shown by the synth and the README. */
  readonly description: string;
}

/** One step of a migration, in the shape of Cloudflare's migration API (camel-cased as Pulumi spells it). */
export interface MigrationSteps {
  readonly newSqliteClasses?: readonly string[];
  readonly newClasses?: readonly string[];
  readonly renamedClasses?: readonly { readonly from: string; readonly to: string }[];
  readonly deletedClasses?: readonly string[];
}

export interface MigrationEntry {
  /** Unique, never reused. Cloudflare stores the last applied tag per script. */
  readonly tag: string;
  readonly steps: MigrationSteps;
}

/** Binding name -> Durable Object declaration. */
export const durableObjects = {
  COUNTER: {
    className: "Counter",
    storage: "sqlite",
    description: "Named and unique-id counters with atomic increments.",
  },
  CHAT_ROOM: {
    className: "ChatRoom",
    storage: "sqlite",
    description: "Chat rooms: hibernatable WebSockets and the last 1,000 messages.",
  },
  SCHEDULER: {
    className: "Scheduler",
    storage: "sqlite",
    description: "Named job schedulers: one-off, recurring and cron jobs run on the object's alarm.",
  },
} as const satisfies Record<string, DurableObjectDeclaration>;

/** Append-only. See the note at the top of this file. */
export const migrations = [
  { tag: "v1", steps: { newSqliteClasses: ["Counter"] } },
  { tag: "v2", steps: { newSqliteClasses: ["ChatRoom"] } },
  { tag: "v3", steps: { newSqliteClasses: ["Scheduler"] } },
] as const satisfies readonly MigrationEntry[];

/** A Workers rate-limiting binding (https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/). */
export interface RateLimitDeclaration {
  /** Account-unique positive integer (as a string) identifying the limiter's counters at Cloudflare. */
  readonly namespaceId: string;
  /** Deployed default: requests per period per client; a stack may override it in its config. */
  readonly limit: number;
  /** Seconds; Cloudflare accepts 10 or 60. */
  readonly period: 10 | 60;
  readonly description: string;
}

/** Binding name -> rate limiter. Local dev and tests use a generous limit (scripts/lib/miniflare-options.ts). */
export const rateLimits = {
  PUBLIC_WRITES: {
    namespaceId: "1001",
    limit: 120,
    period: 60,
    description: "Public writes per client IP: counter changes, chat posts, WebSocket upgrades.",
  },
  PUBLIC_READS: {
    namespaceId: "1002",
    limit: 600,
    period: 60,
    description: "Public reads per client IP: every GET under /api/ except WebSocket upgrades (writes).",
  },
  ADMIN_ATTEMPTS: {
    namespaceId: "1003",
    limit: 30,
    period: 60,
    description: "Requests per client IP that present an admin token, counted before the token is compared.",
  },
} as const satisfies Record<string, RateLimitDeclaration>;

/**
 * Runtime defaults; a stack may override them in its config. The date is the newest that the workerd running the
 * tests and `npm run dev` (1.20260815.1, the vitest pool's) accepts: 2026-08-22; a later one fails at start-up.
 */
export const runtimeDefaults = {
  compatibilityDate: "2026-08-22",
  compatibilityFlags: [] as readonly string[],
} as const;

export type DurableObjectBindingName = keyof typeof durableObjects;

/** The tag a fully migrated script reports; /health shows it and the deploy sets it. */
export function latestMigrationTag(history: readonly MigrationEntry[] = migrations): string {
  const last = history.at(-1);
  if (!last) throw new Error("The migration history is empty: add a first entry to worker/manifest.ts");
  return last.tag;
}
