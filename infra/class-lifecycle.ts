import type { ClassTombstone, DurableObjectDeclaration, StorageKind } from "../worker/manifest.ts";

/**
 * The Durable Object class lifecycle as Cloudflare's declarative `exports` map, derived from worker/manifest.ts,
 * and the checks that run before anything is sent.
 * Docs: https://developers.cloudflare.com/durable-objects/reference/durable-objects-migrations/
 */

/** One `exports` entry of type durable-object, camel-cased as @pulumi/cloudflare's WorkerVersion spells it. */
export interface DurableObjectExport {
  readonly type: "durable-object";
  /** Live entries only (`created`, `expecting-transfer`). */
  readonly storage?: StorageKind;
  /** Absent = `created` (a live class). */
  readonly state?: "deleted" | "renamed" | "transferred" | "expecting-transfer";
  readonly renamedTo?: string;
  readonly transferredTo?: string;
  readonly transferFrom?: string;
}

export type ExportsDeclaration = Readonly<Record<string, DurableObjectExport>>;

/** The manifest's two lists, as the model takes them (tests pass their own). */
export interface ClassManifest {
  readonly durableObjects: Readonly<Record<string, DurableObjectDeclaration>>;
  readonly tombstones: Readonly<Record<string, ClassTombstone>>;
}

export class ClassLifecycleError extends Error {
  override readonly name = "ClassLifecycleError";
}

const CLASS_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const SCRIPT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Live class name -> storage (several bindings may share one class). */
export function liveClasses(manifest: ClassManifest): ReadonlyMap<string, StorageKind> {
  return new Map(Object.values(manifest.durableObjects).map((d) => [d.className, d.storage]));
}

/**
 * The `exports` map: every live class with its storage (or `expecting-transfer` with its source script), every
 * tombstone with its state and target. Keys sorted, so the same manifest always gives the same input.
 * Throws a ClassLifecycleError naming every problem Cloudflare would refuse, or that would lose objects.
 */
export function exportsFromManifest(manifest: ClassManifest): ExportsDeclaration {
  const problems: string[] = [];
  const live = liveClasses(manifest);
  const entries: [string, DurableObjectExport][] = [];
  for (const [binding, declaration] of Object.entries(manifest.durableObjects)) {
    if (!CLASS_NAME.test(declaration.className)) {
      problems.push(`binding ${binding}: ${JSON.stringify(declaration.className)} is not a class name.`);
    }
    if (declaration.transferFrom !== undefined && !SCRIPT_NAME.test(declaration.transferFrom)) {
      problems.push(
        `${declaration.className}.transferFrom must name a Worker script, got ${declaration.transferFrom}.`,
      );
    }
  }
  for (const className of live.keys()) {
    const declaration = Object.values(manifest.durableObjects).find((d) => d.className === className);
    entries.push([
      className,
      declaration?.transferFrom
        ? {
            type: "durable-object",
            storage: live.get(className),
            state: "expecting-transfer",
            transferFrom: declaration.transferFrom,
          }
        : { type: "durable-object", storage: live.get(className) },
    ]);
  }
  for (const [className, tombstone] of Object.entries(manifest.tombstones)) {
    if (live.has(className)) {
      problems.push(
        `${className} is both live (bound in durableObjects) and tombstoned (${tombstone.state}): keep one.`,
      );
      continue;
    }
    if (tombstone.state === "deleted") {
      entries.push([className, { type: "durable-object", state: "deleted" }]);
    } else if (tombstone.state === "renamed") {
      if (!live.has(tombstone.renamedTo)) {
        problems.push(
          `${className} is renamed to ${tombstone.renamedTo}, which is not a live class: bind ` +
            `${tombstone.renamedTo} in durableObjects (and export it from the worker), or fix renamedTo.`,
        );
      }
      entries.push([className, { type: "durable-object", state: "renamed", renamedTo: tombstone.renamedTo }]);
    } else {
      if (!SCRIPT_NAME.test(tombstone.transferredTo)) {
        problems.push(
          `${className}.transferredTo must name a Worker script, got ${tombstone.transferredTo}.`,
        );
      }
      entries.push([
        className,
        { type: "durable-object", state: "transferred", transferredTo: tombstone.transferredTo },
      ]);
    }
  }
  if (problems.length > 0) {
    throw new ClassLifecycleError(
      `The Durable Object classes in worker/manifest.ts cannot be deployed:\n  - ${problems.join("\n  - ")}`,
    );
  }
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The live classes of a declaration as one line, e.g. `ChatRoom:sqlite,Counter:sqlite`: two versions whose
 * signatures differ cannot share traffic or replace each other without a class change (created, deleted, renamed).
 */
export function classSignature(exports: ExportsDeclaration): string {
  return Object.entries(exports)
    .filter(([, e]) => e.state === undefined || e.state === "expecting-transfer")
    .map(([name, e]) => `${name}:${e.storage}`)
    .sort()
    .join(",");
}

/** The classes in one signature and not the other, for a message that says which change is in the way. */
export function signatureDifference(from: string, to: string): { added: string[]; removed: string[] } {
  const a = new Set(from.split(",").filter(Boolean));
  const b = new Set(to.split(",").filter(Boolean));
  return { added: [...b].filter((c) => !a.has(c)), removed: [...a].filter((c) => !b.has(c)) };
}

/** What this deploy changes, predicted from the declaration and what the script has provisioned. */
export interface ClassPlan {
  /** Live classes Cloudflare does not have yet: a new namespace each. */
  readonly created: readonly string[];
  /** `deleted` tombstones of provisioned classes: their namespaces and every object in them go. */
  readonly deleted: readonly string[];
  readonly renamed: readonly { readonly from: string; readonly to: string }[];
  readonly transferred: readonly { readonly className: string; readonly to: string }[];
  /**
   * Tombstones whose class is not provisioned any more: already applied, so they may leave the manifest once
   * Cloudflare's reconciliation lists them in `removableEntries` (no other script still references them).
   */
  readonly appliedTombstones: readonly string[];
}

/**
 * Compares the declaration with the classes the script has provisioned (undefined = a new script).
 * Refuses a provisioned class that is neither live nor tombstoned: without a tombstone Cloudflare would keep (or
 * orphan) its objects silently, and the intent (delete? rename?) must be written down.
 */
export function planClasses(
  manifest: ClassManifest,
  provisioned: ReadonlySet<string> | undefined,
): ClassPlan {
  const live = liveClasses(manifest);
  const have = provisioned ?? new Set<string>();
  const vanished = [...have].filter((c) => !live.has(c) && !(c in manifest.tombstones)).sort();
  if (vanished.length > 0) {
    throw new ClassLifecycleError(
      `The deployed script has the Durable Object class${vanished.length > 1 ? "es" : ""} ${vanished.join(", ")}, ` +
        "which worker/manifest.ts neither binds nor tombstones. Say what happened to it in `tombstones`: " +
        `{ ${vanished[0]}: { state: "deleted", note: "why" } } deletes its objects, ` +
        `{ ${vanished[0]}: { state: "renamed", renamedTo: "<live class>", note: "why" } } keeps them under the new name.`,
    );
  }
  const tombstoned = Object.entries(manifest.tombstones);
  // A provisioned class renamed to a live one arrives with its objects: the target is renamed into, not created.
  const renamedInto = new Set(
    tombstoned.flatMap(([c, t]) => (t.state === "renamed" && have.has(c) ? [t.renamedTo] : [])),
  );
  return {
    created: [...live.keys()].filter((c) => !have.has(c) && !renamedInto.has(c)).sort(),
    deleted: tombstoned.filter(([c, t]) => t.state === "deleted" && have.has(c)).map(([c]) => c),
    renamed: tombstoned.flatMap(([c, t]) =>
      t.state === "renamed" && have.has(c) ? [{ from: c, to: t.renamedTo }] : [],
    ),
    transferred: tombstoned.flatMap(([c, t]) =>
      t.state === "transferred" && have.has(c) ? [{ className: c, to: t.transferredTo }] : [],
    ),
    appliedTombstones: tombstoned.filter(([c]) => !have.has(c)).map(([c]) => c),
  };
}

/** True when the plan creates, deletes, renames or transfers a class (a change no percentage split may carry). */
export function changesClasses(plan: ClassPlan): boolean {
  return plan.created.length + plan.deleted.length + plan.renamed.length + plan.transferred.length > 0;
}

/**
 * A protected stack (prod) applies a class deletion only with explicit consent (`allowClassDeletion`), because it
 * destroys every object of that class. Returns the refusal, or undefined when the deploy may proceed.
 */
export function refuseUnconsentedDeletion(
  plan: ClassPlan,
  stack: { readonly stack: string; readonly protect: boolean; readonly allowClassDeletion: boolean },
): string | undefined {
  if (plan.deleted.length === 0 || !stack.protect || stack.allowClassDeletion) return undefined;
  return (
    `This deploy would delete the Durable Object class ${plan.deleted.join(", ")} and every object it stores ` +
    `(a "deleted" tombstone in worker/manifest.ts), and stack "${stack.stack}" is protected. If that is intended: ` +
    `pulumi config set allowClassDeletion true -s ${stack.stack}, deploy, then ` +
    `pulumi config rm allowClassDeletion -s ${stack.stack}.`
  );
}
