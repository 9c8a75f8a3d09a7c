import type { LegacyMigrationEntry } from "../worker/manifest.ts";
import * as realManifest from "../worker/manifest.ts";
import {
  ClassLifecycleError,
  type ClassManifest,
  exportsFromManifest,
  planClasses,
} from "./class-lifecycle.ts";
import { classesAtTag } from "./legacy-tags.ts";

/** The manifest as the checks take it: the two class lists and the frozen legacy history. */
export interface CheckedManifest extends ClassManifest {
  readonly legacyMigrations: readonly LegacyMigrationEntry[];
}

/**
 * The class lifecycle checks that need no deployed state, as one sentence naming the class (undefined when the
 * manifest is sound). `npm run build` runs them before bundling, so `npm run dev`, the synth and the deploy refuse
 * a mistake before anything runs; `npm run wrangler-config` runs them too.
 * - the `exports` declaration Cloudflare would take (a rename to a class that is not live, a class both live and
 *   tombstoned, a malformed name);
 * - every class the frozen legacy history provisioned on the deployed scripts is still live or tombstoned (a class
 *   renamed or removed without its tombstone).
 * What only the deployed script knows (a class added after the legacy history and dropped without a tombstone) is
 * checked by the deploy against Cloudflare's answer, and by `npm run dev` against its local state.
 */
export function manifestRefusal(manifest: CheckedManifest = realManifest): string | undefined {
  try {
    exportsFromManifest(manifest);
    const last = manifest.legacyMigrations.at(-1);
    if (last) planClasses(manifest, classesAtTag(manifest.legacyMigrations, last.tag));
    return undefined;
  } catch (error) {
    if (!(error instanceof ClassLifecycleError)) throw error;
    return oneLine(error.message);
  }
}

/** A lifecycle refusal's list ("...:\n  - a\n  - b") as one line ("...: a b"). */
export function oneLine(message: string): string {
  return message.replace(/\n\s*- /g, " ").replace(/\s*\n\s*/g, " ");
}
