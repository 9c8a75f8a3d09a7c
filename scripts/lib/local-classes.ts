import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ClassManifest } from "../../infra/class-lifecycle.ts";
import * as manifest from "../../worker/manifest.ts";
import { LOCAL_WORKER_NAME } from "./local-platform.ts";

/**
 * `npm run dev`'s persisted Durable Object state under the manifest's class lifecycle.
 *
 * Miniflare keeps each class's objects in `<persistTo>/do/<worker>-<Class>/`, one `<id>.sqlite` per object, and
 * that directory's name is the namespace's unique key, from which every object id is derived (`idFromName` hashes
 * the name with it). Miniflare ignores tombstones, so after a rename the new class would start empty; and moving the
 * directory to the new name does not help: the same name then gives another id (tried on Miniflare 5.20261117: the
 * moved counter read 0). On Cloudflare a renamed class keeps its namespace. So does this: once, when `npm run dev`
 * first starts after a rename, the new class is given the old class's namespace key, recorded in
 * `<persistTo>/renamed-classes.json` so it stays after the tombstone has left the manifest.
 */

/** Where the applied renames are recorded: class name -> the namespace key (directory under do/) it uses. */
export const RENAMES_FILE = "renamed-classes.json";

export class LocalClassesError extends Error {
  override readonly name = "LocalClassesError";
}

export interface LocalClasses {
  /** Class name -> Miniflare `unsafeUniqueKey`, for the classes that use a renamed class's namespace. */
  readonly namespaceKeys: Readonly<Record<string, string>>;
  /** One sentence per change applied, or state the manifest says is gone, for `npm run dev` to print. */
  readonly notes: readonly string[];
}

/** Namespace keys under `<persistTo>/do/` whose directory holds at least one object. */
function namespacesWithObjects(persistTo: string): Set<string> {
  const root = path.join(persistTo, "do");
  if (!existsSync(root)) return new Set();
  const found = new Set<string>();
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    // metadata.sqlite is Miniflare's own; an object is `<64 hex>.sqlite`.
    const objects = readdirSync(path.join(root, entry.name)).some((f) => /^[0-9a-f]{64}\.sqlite$/.test(f));
    if (objects) found.add(entry.name);
  }
  return found;
}

function readRenames(persistTo: string): Record<string, string> {
  const file = path.join(persistTo, RENAMES_FILE);
  if (!existsSync(file)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      return Object.fromEntries(Object.entries(parsed).filter(([, key]) => typeof key === "string"));
    }
  } catch {}
  throw new LocalClassesError(
    `${file} is not the JSON object npm run dev writes (class name -> namespace): restore it, or delete it ` +
      "and the renamed classes' local objects with it.",
  );
}

/**
 * Applies the manifest's renames to the local state in `persistTo` (once: recorded in RENAMES_FILE) and checks
 * that every class with local objects is live or tombstoned. Throws a LocalClassesError, one sentence naming the
 * class, for local objects of a class the manifest has forgotten (renamed or removed without a tombstone).
 */
export function prepareLocalClasses(
  persistTo: string,
  options: { readonly manifest?: ClassManifest; readonly workerName?: string } = {},
): LocalClasses {
  const m = options.manifest ?? manifest;
  const worker = options.workerName ?? LOCAL_WORKER_NAME;
  const shown = path.relative(process.cwd(), persistTo) || ".";
  const dirOf = (key: string) => `${path.join(shown, "do", key)}/`;
  const withObjects = namespacesWithObjects(persistTo);
  const recorded = readRenames(persistTo);
  const live = new Set(Object.values(m.durableObjects).map((d) => d.className));
  const keyOf = (className: string) => recorded[className] ?? `${worker}-${className}`;
  const notes: string[] = [];
  const applied: Record<string, string> = {};

  for (const [from, tombstone] of Object.entries(m.tombstones)) {
    const key = keyOf(from);
    if (tombstone.state !== "renamed") {
      if (withObjects.has(key)) {
        notes.push(
          `${from} is ${tombstone.state} in worker/manifest.ts; its local objects stay in ${dirOf(key)} ` +
            "(Cloudflare applies the tombstone; delete the directory to drop them here).",
        );
      }
      continue;
    }
    const to = tombstone.renamedTo;
    if (!withObjects.has(key) || recorded[to] === key) continue;
    if (withObjects.has(keyOf(to))) {
      throw new LocalClassesError(
        `${from} is renamed to ${to} in worker/manifest.ts, and both have local objects (${dirOf(key)} and ` +
          `${dirOf(keyOf(to))}): delete the directory whose objects you do not want, then run npm run dev again.`,
      );
    }
    applied[to] = key;
    notes.push(
      `${from} is renamed to ${to} in worker/manifest.ts: its local objects (${dirOf(key)}) now belong to ${to}, ` +
        `as on Cloudflare (recorded in ${path.join(shown, RENAMES_FILE)}).`,
    );
  }
  const renames = { ...recorded, ...applied };
  const namespaceKeys = Object.fromEntries(
    Object.entries(renames).filter(([className]) => live.has(className)),
  );

  const inUse = new Set([...live].map((c) => namespaceKeys[c] ?? `${worker}-${c}`));
  const accounted = new Set([...inUse, ...Object.keys(m.tombstones).map(keyOf)]);
  const forgotten = [...withObjects].filter((key) => key.startsWith(`${worker}-`) && !accounted.has(key));
  if (forgotten.length > 0) {
    const className = forgotten[0]!.slice(worker.length + 1);
    throw new LocalClassesError(
      `${dirOf(forgotten[0]!)} holds objects of ${className}, which worker/manifest.ts neither binds nor ` +
        `tombstones: if ${className} was renamed or deleted, add its tombstone (docs/recipes.md), otherwise ` +
        "delete that directory if its objects are only local test data.",
    );
  }

  if (Object.keys(applied).length > 0) {
    writeFileSync(path.join(persistTo, RENAMES_FILE), `${JSON.stringify(renames, null, 2)}\n`);
  }
  return { namespaceKeys, notes };
}

/** `npm run dev`'s call: the local classes, or the refusal in one line and exit 1 (no stack trace). */
export function localClassesOrExit(persistTo: string): LocalClasses {
  try {
    return prepareLocalClasses(persistTo);
  } catch (error) {
    if (!(error instanceof LocalClassesError)) throw error;
    console.error(`npm run dev: ${error.message}`);
    process.exit(1);
  }
}
