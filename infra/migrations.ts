import type { MigrationEntry, MigrationSteps } from "../worker/manifest.ts";

/**
 * What to send to Cloudflare for a script's Durable Object migrations, planned the way wrangler does
 * (workers-sdk packages/wrangler/src/durable.ts, getMigrationsToUpload):
 * read the script's live tag and send only the steps after it, or nothing when it is up to date.
 *
 * Why: the Cloudflare provider uploads its `migrations` input verbatim on every update and never compares it with
 * the live tag, so re-sending an applied tag fails with "migration tag precondition failed"
 * (pulumi/pulumi-cloudflare#1215). Planning against the live tag makes `pulumi up` twice in a row safe.
 */
export type MigrationPlan =
  | { readonly kind: "up-to-date"; readonly tag: string }
  | {
      readonly kind: "apply";
      /** The live tag the upload is conditioned on; absent for a script that has never been migrated. */
      readonly oldTag?: string;
      readonly newTag: string;
      /** The steps after `oldTag`, in order. */
      readonly steps: readonly MigrationSteps[];
      /** The tags those steps come from, for humans (synth output, logs). */
      readonly tags: readonly string[];
    };

export class MigrationPlanError extends Error {
  override readonly name = "MigrationPlanError";
}

/**
 * history + live tag -> the payload to send, or nothing when up to date.
 * `liveTag` undefined or "" means the script has no migrations yet (or does not exist): send everything.
 * A live tag the history does not contain is an error: that script was migrated by some other history, and
 * guessing would corrupt its Durable Objects.
 */
export function planMigrations(
  history: readonly MigrationEntry[],
  liveTag: string | undefined,
): MigrationPlan {
  const last = history.at(-1);
  if (!last)
    throw new MigrationPlanError("The migration history is empty: add a first entry to worker/manifest.ts.");
  let pending: readonly MigrationEntry[];
  if (!liveTag) {
    pending = history;
  } else {
    const index = history.findIndex((entry) => entry.tag === liveTag);
    if (index === -1) {
      throw new MigrationPlanError(
        `The deployed script reports migration tag "${liveTag}", which worker/manifest.ts does not contain ` +
          `(known: ${history.map((e) => e.tag).join(", ")}). Someone deployed this script from another history; ` +
          "restore the missing entries in the manifest (history is append-only) before deploying.",
      );
    }
    pending = history.slice(index + 1);
  }
  if (pending.length === 0) return { kind: "up-to-date", tag: last.tag };
  return {
    kind: "apply",
    ...(liveTag ? { oldTag: liveTag } : {}),
    newTag: last.tag,
    steps: pending.map((entry) => entry.steps),
    tags: pending.map((entry) => entry.tag),
  };
}
