import type { DurableObjectDeclaration, MigrationEntry, StorageKind } from "../worker/manifest.ts";
import type { MigrationPlan } from "./migrations.ts";

export class MigrationHistoryError extends Error {
  override readonly name = "MigrationHistoryError";
}

const TAG = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Checks that a migration history can be applied from scratch and matches the bindings, before anything is sent:
 * well-formed unique tags; every entry does something; a class is created once (while it exists), and exists
 * before it is renamed or deleted; every bound class exists at the end, with the storage its binding declares.
 * Returns the classes that exist after the last entry (name -> storage).
 *
 * Append-only cannot be proven from one snapshot (Cloudflare keeps only the last applied tag); the planner
 * enforces the part that can: a live tag missing from the history stops the deploy.
 */
export function validateMigrationHistory(
  history: readonly MigrationEntry[],
  bindings: Readonly<Record<string, Pick<DurableObjectDeclaration, "className" | "storage">>>,
): ReadonlyMap<string, StorageKind | "kv"> {
  const problems: string[] = [];
  const alive = new Map<string, StorageKind | "kv">();
  const seenTags = new Set<string>();
  if (history.length === 0) problems.push("the history is empty: add a first entry that creates a class.");

  history.forEach((entry, index) => {
    const at = `entry ${index + 1} ("${entry.tag}")`;
    if (!TAG.test(entry.tag)) problems.push(`${at}: a tag is 1-64 of A-Z a-z 0-9 . _ -.`);
    if (seenTags.has(entry.tag))
      problems.push(`${at}: tag "${entry.tag}" is used twice; tags are never reused.`);
    seenTags.add(entry.tag);

    const { newSqliteClasses = [], newClasses = [], renamedClasses = [], deletedClasses = [] } = entry.steps;
    if (newSqliteClasses.length + newClasses.length + renamedClasses.length + deletedClasses.length === 0) {
      problems.push(`${at}: does nothing; every entry creates, renames or deletes at least one class.`);
    }
    // Cloudflare applies one migration's steps in this order: creations, renames, deletions.
    const create = (name: string, kind: StorageKind | "kv") => {
      if (alive.has(name)) problems.push(`${at}: creates ${name}, which already exists (created twice).`);
      alive.set(name, kind);
    };
    for (const name of newSqliteClasses) create(name, "sqlite");
    for (const name of newClasses) create(name, "kv");
    for (const { from, to } of renamedClasses) {
      const kind = alive.get(from);
      if (kind === undefined) {
        problems.push(`${at}: renames ${from}, which does not exist at that point (create it first).`);
        continue;
      }
      if (alive.has(to)) problems.push(`${at}: renames ${from} to ${to}, which already exists.`);
      alive.delete(from);
      alive.set(to, kind);
    }
    for (const name of deletedClasses) {
      if (!alive.delete(name)) {
        problems.push(`${at}: deletes ${name}, which does not exist at that point.`);
      }
    }
  });

  for (const [binding, { className, storage }] of Object.entries(bindings)) {
    const kind = alive.get(className);
    if (kind === undefined) {
      problems.push(
        `binding ${binding} uses class ${className}, which the history never creates or has deleted: ` +
          `append an entry with a new tag, e.g. { tag: "vN", steps: { newSqliteClasses: ["${className}"] } }.`,
      );
    } else if (kind !== storage) {
      problems.push(
        `binding ${binding} declares ${storage} storage, but ${className} was created as a ${kind} class.`,
      );
    }
  }

  if (problems.length > 0) {
    throw new MigrationHistoryError(
      `The migration history in worker/manifest.ts cannot be deployed:\n  - ${problems.join("\n  - ")}`,
    );
  }
  return alive;
}

/** The classes a plan deletes (with all their data), with the tag of the entry that deletes each. */
export function plannedDeletions(
  plan: MigrationPlan,
): readonly { readonly tag: string; readonly className: string }[] {
  if (plan.kind === "up-to-date") return [];
  return plan.steps.flatMap((steps, index) =>
    (steps.deletedClasses ?? []).map((className) => ({ tag: plan.tags[index] ?? plan.newTag, className })),
  );
}

/**
 * A protected stack (prod) applies a class deletion only with explicit consent (`allowClassDeletion`), because it
 * destroys every object of that class. Returns the refusal message, or undefined when the plan may proceed.
 */
export function refuseUnconsentedDeletion(
  plan: MigrationPlan,
  stack: { readonly stack: string; readonly protect: boolean; readonly allowClassDeletion: boolean },
): string | undefined {
  const deletions = plannedDeletions(plan);
  if (deletions.length === 0 || !stack.protect || stack.allowClassDeletion) return undefined;
  const list = deletions.map((d) => `${d.className} (migration ${d.tag})`).join(", ");
  return (
    `This deploy would delete the Durable Object class ${list} and every object it stores, and stack ` +
    `"${stack.stack}" is protected. If that is intended: pulumi config set allowClassDeletion true ` +
    `-s ${stack.stack}, deploy, then pulumi config rm allowClassDeletion -s ${stack.stack}.`
  );
}
