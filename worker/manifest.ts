/**
 * The one source of truth for the platform's Durable Objects and their class lifecycle.
 *
 * Everything else derives from this file and never re-types it: the worker's `Env` type (worker/env.ts),
 * the Miniflare configuration of `npm run dev` and of every test (scripts/lib/miniflare-options.ts), the Pulumi
 * bindings and the `exports` declaration (infra/), the generated wrangler configuration, and the build's check that
 * every bound class is exported.
 *
 * This module is plain data with no runtime imports, so Node (infra, scripts) and workerd can both load it.
 *
 * CLASS LIFECYCLE IS DECLARATIVE (Cloudflare's `exports`, https://developers.cloudflare.com/durable-objects/reference/durable-objects-migrations/):
 * `durableObjects` lists the live classes; `tombstones` lists the classes that were deleted, renamed or
 * transferred. Cloudflare reconciles the declaration against what it has provisioned, so there is no tag and no
 * order. A class never silently disappears: remove it from `durableObjects` and add its tombstone in the same
 * change; `npm run build`, `npm run dev` and the deploy refuse otherwise (infra/class-lifecycle.ts). A tombstone may
 * go once a deploy lists it in the plan's `appliedTombstones` and Cloudflare's `exportsReconciliation` lists it in
 * `removableEntries` (no other script still references it). Recipes: docs/recipes.md.
 */

/** How a Durable Object class stores its state. Only SQLite is used: it is what Cloudflare recommends for new classes. */
export type StorageKind = "sqlite";

export interface DurableObjectDeclaration {
  /** The exported class name in the worker bundle. */
  readonly className: string;
  /** Storage backend, sent as the class's `storage` in `exports`. */
  readonly storage: StorageKind;
  /** One line for humans: shown by the synth and the README. */
  readonly description: string;
  /**
   * The receiving side of a cross-Worker transfer: the script whose class of the same name hands its objects to
   * this one (`state: "expecting-transfer"`). Drop it once the sending script's `transferred` tombstone is deployed.
   */
  readonly transferFrom?: string;
}

/**
 * A class that is no longer live, kept in the declaration so Cloudflare applies (and reports) the change.
 * `Live` is the set of live class names a rename may point at: `tombstones` below passes the manifest's own, so a
 * `renamedTo` that names no live class is a type error.
 */
export type ClassTombstone<Live extends string = string> =
  | {
      /** Deletes the class's namespace and every object in it. Needs `allowClassDeletion` on a protected stack. */
      readonly state: "deleted";
      readonly note: string;
    }
  | {
      /** Its objects now belong to `renamedTo`, which must be a live class of this Worker. */
      readonly state: "renamed";
      readonly renamedTo: Live;
      readonly note: string;
    }
  | {
      /** Its objects move to the class of the same name in script `transferredTo` (which expects the transfer). */
      readonly state: "transferred";
      readonly transferredTo: string;
      readonly note: string;
    };

/** One step of the legacy tagged history, in the shape of Cloudflare's migration API. */
export interface LegacyMigrationEntry {
  readonly tag: string;
  readonly steps: {
    readonly newSqliteClasses?: readonly string[];
    readonly renamedClasses?: readonly { readonly from: string; readonly to: string }[];
    readonly deletedClasses?: readonly string[];
  };
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
  CLIENT_SOCKETS: {
    className: "ClientSockets",
    storage: "sqlite",
    description: "The open chat sockets of one client across rooms, for the per-client bound (internal).",
  },
} as const satisfies Record<string, DurableObjectDeclaration>;

/** The class names `durableObjects` binds: the only names a `renamed` tombstone may point at. */
export type LiveClassName = (typeof durableObjects)[keyof typeof durableObjects]["className"];

/**
 * Class name -> tombstone. Empty while every class that was ever provisioned is still live.
 * Example: `{ Counter: { state: "renamed", renamedTo: "Tally", note: "counts more than clicks now" } }` with
 * `Tally` bound in durableObjects (docs/recipes.md, "Rename or delete one").
 */
export const tombstones: Readonly<Record<string, ClassTombstone<LiveClassName>>> = {};

/**
 * FROZEN. The tagged migrations the scripts were deployed with before `exports` replaced them. Never extend it:
 * new lifecycle goes into `durableObjects` and `tombstones`. It stays for one purpose: a script that still reports
 * a migration tag is converted to `exports` only from the last tag here (infra/legacy-tags.ts).
 */
export const legacyMigrations = [
  { tag: "v1", steps: { newSqliteClasses: ["Counter"] } },
  { tag: "v2", steps: { newSqliteClasses: ["ChatRoom"] } },
  { tag: "v3", steps: { newSqliteClasses: ["Scheduler"] } },
] as const satisfies readonly LegacyMigrationEntry[];

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
    description: "Public reads per client IP: every GET under /api/ but the WebSocket route (a write).",
  },
  ADMIN_ATTEMPTS: {
    namespaceId: "1003",
    limit: 30,
    period: 60,
    description: "Requests per client IP that present an admin token, counted before the token is compared.",
  },
} as const satisfies Record<string, RateLimitDeclaration>;

/**
 * Workers Static Assets (https://developers.cloudflare.com/workers/static-assets/): files the build writes into a
 * directory beside the bundle, uploaded with each version (never inside the bundle) and read by the worker through
 * an assets binding. The worker runs first for every request (`runWorkerFirst`), so an asset leaves through the app
 * with the same security headers, CORS and errors as every other answer, and its route stays in the app.
 */
export interface StaticAssetsDeclaration {
  /** The binding the worker fetches assets with (`env.ASSETS.fetch(request)`). */
  readonly binding: string;
  /** The directory's name beside the bundle (dist/<directory>). */
  readonly directory: string;
  /** Files the build writes there, by role, as paths under the directory (= the URL path). */
  readonly files: Readonly<Record<string, string>>;
  readonly description: string;
}

export const staticAssets = {
  binding: "ASSETS",
  directory: "assets",
  files: { openapi: "openapi.json", page: "index.html", script: "app.js", style: "app.css" },
  description:
    "The OpenAPI document and the web page with its script and stylesheet: generated at build time, 0 bytes in the bundle.",
} as const satisfies StaticAssetsDeclaration;

/**
 * Runtime defaults; a stack may override them in its config. The date must be one the workerd of the tests, `npm run
 * dev` and wrangler (1.20261117.1) accepts, or start-up fails. 2026-08-22 was the newest the previous one
 * (1.20260815.1) accepted; moving it changes runtime behaviour, so it is a change of its own, not a side effect.
 */
export const runtimeDefaults = {
  compatibilityDate: "2026-08-22",
  compatibilityFlags: [] as readonly string[],
} as const;

export type DurableObjectBindingName = keyof typeof durableObjects;

/**
 * The migration tag every script converted from the legacy flow keeps reporting (the last legacy tag). Uploads with
 * `exports` carry no tag, so it never changes again; /health keeps showing it as `migrationTag` for compatibility.
 */
export function lastLegacyTag(history: readonly LegacyMigrationEntry[] = legacyMigrations): string {
  const last = history.at(-1);
  if (!last) throw new Error("worker/manifest.ts: the frozen legacy history is empty");
  return last.tag;
}
