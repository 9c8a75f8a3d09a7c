import { randomUUID } from "node:crypto";
import { CloudflareApiError } from "./envelope.ts";
import type { ExportsMap, UploadMetadata } from "./shapes.ts";
import type { ExportsReconciliation, ScriptRecord } from "./state.ts";

/**
 * The Durable Object class lifecycle: Cloudflare reconciles a Worker's declarative `exports` against the classes
 * it has provisioned for the script (https://developers.cloudflare.com/durable-objects/reference/durable-objects-migrations/),
 * or applies legacy tagged `migrations`
 * (https://developers.cloudflare.com/durable-objects/reference/durable-object-class-migrations-legacy/).
 *
 * Modelled: a live entry provisions its class once; a `deleted` tombstone removes a provisioned class; `renamed`
 * moves a provisioned namespace to `renamed_to` (which must be a live entry of the same map); `transferred` hands it
 * to `transferred_to`, which must have deployed an `expecting-transfer` entry for the class; a tombstone whose class
 * is not provisioned is stale and reported in `removable_entries`. A provisioned class that the map does not
 * mention stays provisioned (the SDK's type: the platform "never mutates or deletes it as a side effect of a
 * code-only change").
 */

/** wrangler 4.164 cli.js `EXPORTS_RECONCILIATION_ERROR_CODE`: the API's code for an `exports` map it cannot apply. */
export const EXPORTS_RECONCILIATION_ERROR_CODE = 100402;

export interface LifecyclePlan {
  readonly reconciliation: ExportsReconciliation;
  /** True when applying it would create, delete, rename or transfer a class (or record an expected transfer). */
  readonly changesClasses: boolean;
  apply(): void;
}

const emptyReconciliation = (): ExportsReconciliation => ({
  created: [],
  deleted: [],
  renamed: [],
  transferred: [],
  transfer_pending: [],
  updated: [],
  removable_entries: [],
  info: [],
  warnings: [],
});

const refuse = (message: string) =>
  new CloudflareApiError(
    400,
    EXPORTS_RECONCILIATION_ERROR_CODE,
    message,
    "https://developers.cloudflare.com/durable-objects/reference/durable-objects-migrations/",
  );

/** The Durable Object entries of an `exports` map (Worker entrypoint entries do not take part). */
export function durableObjectExports(exports: ExportsMap | undefined): ExportsMap {
  return Object.fromEntries(
    Object.entries(exports ?? {}).filter(([, entry]) => entry.type === "durable-object"),
  );
}

/** Canonical text of the Durable Object exports, for the "identical exports" rule of splits. */
export function exportsFingerprint(exports: ExportsMap | undefined): string {
  const entries = Object.entries(durableObjectExports(exports)).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(
    entries.map(([name, entry]) => [name, Object.fromEntries(Object.entries(entry).sort())]),
  );
}

/** Live class names an `exports` map declares (created and expecting-transfer entries). */
export function declaredLiveClasses(exports: ExportsMap | undefined): Set<string> {
  return new Set(
    Object.entries(durableObjectExports(exports))
      .filter(([, e]) => e.state === undefined || e.state === "created" || e.state === "expecting-transfer")
      .map(([name]) => name),
  );
}

export function planExports(
  script: ScriptRecord,
  exports: ExportsMap | undefined,
  scripts: ReadonlyMap<string, ScriptRecord>,
): LifecyclePlan {
  const result = emptyReconciliation();
  const steps: (() => void)[] = [];
  const entries = Object.entries(durableObjectExports(exports));
  const live = declaredLiveClasses(exports);
  const renameTargets = new Set<string>();
  for (const [from, entry] of entries) {
    if (entry.state !== "renamed") continue;
    if (!live.has(entry.renamed_to))
      throw refuse(
        `exports: "${from}" is renamed to "${entry.renamed_to}", which is not a live entry of exports.`,
      );
    if (script.classes.has(from)) renameTargets.add(entry.renamed_to);
  }
  for (const [className, entry] of entries) {
    if (entry.type !== "durable-object") continue;
    const provisioned = script.classes.get(className);
    switch (entry.state) {
      case undefined:
      case "created": {
        if (provisioned || renameTargets.has(className)) break;
        result.created.push(className);
        const storage = entry.storage;
        steps.push(() =>
          script.classes.set(className, {
            namespaceId: randomUUID().replaceAll("-", ""),
            storage,
            storageKey: `${script.name}-${className}`,
          }),
        );
        break;
      }
      case "expecting-transfer": {
        if (provisioned || script.expectingTransfer.get(className) === entry.transfer_from) break;
        result.transfer_pending.push({ class: className, from: entry.transfer_from });
        steps.push(() => script.expectingTransfer.set(className, entry.transfer_from));
        break;
      }
      case "deleted": {
        if (!provisioned) {
          result.removable_entries.push(className);
          break;
        }
        result.deleted.push(className);
        steps.push(() => script.classes.delete(className));
        break;
      }
      case "renamed": {
        if (!provisioned) {
          result.removable_entries.push(className);
          break;
        }
        result.renamed.push({ from: className, to: entry.renamed_to });
        steps.push(() => {
          script.classes.delete(className);
          script.classes.set(entry.renamed_to, provisioned);
        });
        break;
      }
      case "transferred": {
        if (!provisioned) {
          result.removable_entries.push(className);
          break;
        }
        const target = scripts.get(entry.transferred_to);
        if (target?.expectingTransfer.get(className) !== script.name)
          throw refuse(
            `exports: "${className}" is transferred to "${entry.transferred_to}", which has not deployed an expecting-transfer entry for it from "${script.name}".`,
          );
        result.transferred.push({ class: className, to: entry.transferred_to, phase: "committed" });
        steps.push(() => {
          script.classes.delete(className);
          target.expectingTransfer.delete(className);
          target.classes.set(className, provisioned);
        });
        break;
      }
    }
  }
  return {
    reconciliation: result,
    changesClasses: steps.length > 0,
    apply: () => {
      for (const step of steps) step();
      if (steps.length > 0) script.lifecycleEpoch++;
    },
  };
}

/** A legacy tagged migration, applied as Cloudflare applies it on a non-versioned upload. */
export function planMigrations(
  script: ScriptRecord,
  migrations: NonNullable<UploadMetadata["migrations"]>,
): LifecyclePlan {
  const result = emptyReconciliation();
  const allSteps = "steps" in migrations ? migrations.steps : [migrations];
  const steps: (() => void)[] = [];
  for (const step of allSteps) {
    for (const className of [...(step.new_sqlite_classes ?? []), ...(step.new_classes ?? [])]) {
      const storage = step.new_sqlite_classes?.includes(className) ? "sqlite" : "legacy-kv";
      result.created.push(className);
      steps.push(() =>
        script.classes.set(className, {
          namespaceId: randomUUID().replaceAll("-", ""),
          storage,
          storageKey: `${script.name}-${className}`,
        }),
      );
    }
    for (const className of step.deleted_classes ?? []) {
      result.deleted.push(className);
      steps.push(() => script.classes.delete(className));
    }
    for (const { from, to } of step.renamed_classes ?? []) {
      result.renamed.push({ from, to });
      steps.push(() => {
        const provisioned = script.classes.get(from);
        if (!provisioned) return;
        script.classes.delete(from);
        script.classes.set(to, provisioned);
      });
    }
  }
  return {
    reconciliation: result,
    changesClasses: true,
    apply: () => {
      for (const step of steps) step();
      if (migrations.new_tag) script.migrationTag = migrations.new_tag;
      script.lifecycleEpoch++;
    },
  };
}
