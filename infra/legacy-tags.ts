import { type LegacyMigrationEntry, lastLegacyTag } from "../worker/manifest.ts";
import { ClassLifecycleError } from "./class-lifecycle.ts";
import type { LiveScript } from "./live-script.ts";

/**
 * Where a deploy starts from, and what Cloudflare has provisioned there:
 * - "new-script": nothing deployed yet; `exports` creates every live class.
 * - "convert-from-tags": the script still carries the last legacy migration tag and has no `exports` yet. Following
 *   Cloudflare's procedure for moving off the legacy `migrations` flow, the upload replaces the `migrations` array
 *   with an `exports` map that declares every class the tags provisioned (live or tombstoned) and sends no
 *   `migrations` at all (the two are mutually exclusive); Cloudflare reconciles it against the namespaces the tags
 *   created, so nothing is re-created and no object is lost.
 * - "exports": the script is already declared with `exports`; Cloudflare reports its live classes.
 */
export type Starting =
  | { readonly kind: "new-script" }
  | { readonly kind: "convert-from-tags"; readonly tag: string; readonly provisioned: ReadonlySet<string> }
  | { readonly kind: "exports"; readonly provisioned: ReadonlySet<string> };

/** The classes a legacy history has provisioned once applied up to and including `tag`. */
export function classesAtTag(history: readonly LegacyMigrationEntry[], tag: string): ReadonlySet<string> {
  const alive = new Set<string>();
  for (const entry of history) {
    for (const name of entry.steps.newSqliteClasses ?? []) alive.add(name);
    for (const { from, to } of entry.steps.renamedClasses ?? []) {
      alive.delete(from);
      alive.add(to);
    }
    for (const name of entry.steps.deletedClasses ?? []) alive.delete(name);
    if (entry.tag === tag) return alive;
  }
  throw new Error(`tag ${tag} is not in the legacy history`);
}

/**
 * Decides the starting point from what Cloudflare reports for the script (infra/live-script.ts). The live tag is
 * read for this one purpose. A tag other than the last legacy one is refused before anything is sent: an earlier
 * tag means the legacy history was never fully applied to this script, an unknown tag means another history
 * migrated it, and guessing what either provisioned could delete or orphan objects.
 */
export function startingPoint(
  live: LiveScript | undefined,
  history: readonly LegacyMigrationEntry[],
): Starting {
  if (!live) return { kind: "new-script" };
  const last = lastLegacyTag(history);
  if (live.migrationTag && live.migrationTag !== last) {
    const known = history.some((entry) => entry.tag === live.migrationTag);
    throw new ClassLifecycleError(
      known
        ? `The deployed script ${live.name} is at legacy migration tag "${live.migrationTag}", before the last ` +
            `legacy tag "${last}". Cloudflare converts a script to exports from its last tag only: deploy the last ` +
            "commit that still used tagged migrations (git log -- worker/manifest.ts) to this stack first, then deploy again."
        : `The deployed script ${live.name} reports migration tag "${live.migrationTag}", which the legacy history in ` +
            `worker/manifest.ts does not contain (it ends at "${last}"). Another history migrated it; find out which ` +
            "classes it provisioned and declare them (live or tombstoned) before converting it to exports.",
    );
  }
  if (live.durableObjectClasses.size > 0) return { kind: "exports", provisioned: live.durableObjectClasses };
  if (live.migrationTag) {
    return {
      kind: "convert-from-tags",
      tag: live.migrationTag,
      provisioned: classesAtTag(history, live.migrationTag),
    };
  }
  // A script without tag and without Durable Object exports has provisioned no class yet.
  return { kind: "exports", provisioned: new Set() };
}
