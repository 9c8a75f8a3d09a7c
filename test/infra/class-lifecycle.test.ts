import { describe, expect, it } from "vitest";
import {
  type ClassManifest,
  changesClasses,
  exportsFromManifest,
  planClasses,
} from "../../infra/class-lifecycle.ts";
import { classesAtTag } from "../../infra/legacy-tags.ts";
import * as manifest from "../../worker/manifest.ts";

const counter = { className: "Counter", storage: "sqlite", description: "c" } as const;
const tally = { className: "Tally", storage: "sqlite", description: "t" } as const;

describe("exportsFromManifest", () => {
  it("declares every live class of the real manifest with its storage", () => {
    const exports = exportsFromManifest(manifest);
    for (const d of Object.values(manifest.durableObjects)) {
      expect(exports[d.className]).toEqual({ type: "durable-object", storage: d.storage });
    }
  });

  it("declares a receiving class as expecting-transfer from its source script", () => {
    const m: ClassManifest = {
      durableObjects: { COUNTER: { ...counter, transferFrom: "old-worker" } },
      tombstones: {},
    };
    expect(exportsFromManifest(m).Counter).toEqual({
      type: "durable-object",
      storage: "sqlite",
      state: "expecting-transfer",
      transferFrom: "old-worker",
    });
  });

  it("refuses a rename whose target is not live", () => {
    const m: ClassManifest = {
      durableObjects: { COUNTER: counter },
      tombstones: { Old: { state: "renamed", renamedTo: "Tally", note: "" } },
    };
    expect(() => exportsFromManifest(m)).toThrow(/Old is renamed to Tally, which is not a live class/);
  });

  it("accepts a rename to a live class", () => {
    const m: ClassManifest = {
      durableObjects: { COUNTER: counter, TALLY: tally },
      tombstones: { Old: { state: "renamed", renamedTo: "Tally", note: "" } },
    };
    expect(exportsFromManifest(m).Old).toEqual({
      type: "durable-object",
      state: "renamed",
      renamedTo: "Tally",
    });
  });

  it("refuses a class that is both live and tombstoned", () => {
    const m: ClassManifest = {
      durableObjects: { COUNTER: counter },
      tombstones: { Counter: { state: "deleted", note: "" } },
    };
    expect(() => exportsFromManifest(m)).toThrow(/Counter is both live/);
  });
});

describe("planClasses", () => {
  const m: ClassManifest = {
    durableObjects: { TALLY: tally },
    tombstones: { Counter: { state: "renamed", renamedTo: "Tally", note: "" } },
  };

  it("creates everything for a new script", () => {
    const plan = planClasses(m, undefined);
    expect(plan.created).toEqual(["Tally"]);
    expect(plan.appliedTombstones).toEqual(["Counter"]);
    expect(changesClasses(plan)).toBe(true);
  });

  it("renames a provisioned class, and changes nothing once applied", () => {
    const renaming = planClasses(m, new Set(["Counter"]));
    expect(renaming.renamed).toEqual([{ from: "Counter", to: "Tally" }]);
    // The target arrives with the renamed class's objects: it is not a new, empty namespace.
    expect(renaming.created).toEqual([]);
    const applied = planClasses(m, new Set(["Tally"]));
    expect(changesClasses(applied)).toBe(false);
    expect(applied.appliedTombstones).toEqual(["Counter"]);
  });

  it("refuses a class gone without a tombstone", () => {
    expect(() => planClasses(m, new Set(["Tally", "Ghost"]))).toThrow(/Ghost, which worker\/manifest.ts/);
  });
});

describe("the frozen legacy history", () => {
  it("provisioned only classes the manifest still declares (live or tombstoned), so a tagged script converts", () => {
    const atLast = classesAtTag(manifest.legacyMigrations, manifest.lastLegacyTag());
    expect(atLast.size).toBeGreaterThan(0);
    expect(() => planClasses(manifest, atLast)).not.toThrow();
  });

  it("replays creations, renames and deletions up to a tag", () => {
    const history = [
      { tag: "a", steps: { newSqliteClasses: ["X", "Y"] } },
      { tag: "b", steps: { renamedClasses: [{ from: "X", to: "Z" }], deletedClasses: ["Y"] } },
    ];
    expect([...classesAtTag(history, "a")]).toEqual(["X", "Y"]);
    expect([...classesAtTag(history, "b")]).toEqual(["Z"]);
  });
});
