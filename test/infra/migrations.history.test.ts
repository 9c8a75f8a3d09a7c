import { describe, expect, it } from "vitest";
import {
  plannedDeletions,
  refuseUnconsentedDeletion,
  validateMigrationHistory,
} from "../../infra/migration-history.ts";
import { planMigrations } from "../../infra/migrations.ts";
import { durableObjects, type MigrationEntry, migrations } from "../../worker/manifest.ts";

const counter = { COUNTER: { className: "Counter", storage: "sqlite" as const } };

describe("validateMigrationHistory", () => {
  it("accepts the real manifest: every bound class exists with its storage", () => {
    const alive = validateMigrationHistory(migrations, durableObjects);
    for (const { className, storage } of Object.values(durableObjects))
      expect(alive.get(className)).toBe(storage);
  });

  it("follows renames and deletions to the classes that exist at the end", () => {
    const history: MigrationEntry[] = [
      { tag: "v1", steps: { newSqliteClasses: ["Count", "Old"] } },
      { tag: "v2", steps: { renamedClasses: [{ from: "Count", to: "Counter" }] } },
      { tag: "v3", steps: { deletedClasses: ["Old"] } },
    ];
    expect([...validateMigrationHistory(history, counter)]).toEqual([["Counter", "sqlite"]]);
  });

  it.each<[string, MigrationEntry[], Record<string, { className: string; storage: "sqlite" }>, RegExp]>([
    ["an empty history", [], {}, /the history is empty/],
    [
      "a reused tag",
      [
        { tag: "v1", steps: { newSqliteClasses: ["Counter"] } },
        { tag: "v1", steps: { newSqliteClasses: ["Other"] } },
      ],
      counter,
      /entry 2 \("v1"\): tag "v1" is used twice/,
    ],
    [
      "a malformed tag",
      [{ tag: "v 1", steps: { newSqliteClasses: ["Counter"] } }],
      counter,
      /a tag is 1-64 of/,
    ],
    [
      "an entry that does nothing",
      [
        { tag: "v1", steps: { newSqliteClasses: ["Counter"] } },
        { tag: "v2", steps: {} },
      ],
      counter,
      /entry 2 \("v2"\): does nothing/,
    ],
    [
      "a class created twice",
      [
        { tag: "v1", steps: { newSqliteClasses: ["Counter"] } },
        { tag: "v2", steps: { newSqliteClasses: ["Counter"] } },
      ],
      counter,
      /entry 2 \("v2"\): creates Counter, which already exists \(created twice\)/,
    ],
    [
      "a rename before the class exists",
      [
        { tag: "v1", steps: { renamedClasses: [{ from: "Count", to: "Counter" }] } },
        { tag: "v2", steps: { newSqliteClasses: ["Count"] } },
      ],
      counter,
      /entry 1 \("v1"\): renames Count, which does not exist at that point/,
    ],
    [
      "a rename onto an existing class",
      [
        { tag: "v1", steps: { newSqliteClasses: ["Counter", "Other"] } },
        { tag: "v2", steps: { renamedClasses: [{ from: "Other", to: "Counter" }] } },
      ],
      counter,
      /renames Other to Counter, which already exists/,
    ],
    [
      "a deletion before the class exists",
      [
        { tag: "v1", steps: { deletedClasses: ["Counter"] } },
        { tag: "v2", steps: { newSqliteClasses: ["Counter"] } },
      ],
      counter,
      /entry 1 \("v1"\): deletes Counter, which does not exist/,
    ],
    [
      "a bound class never created",
      [{ tag: "v1", steps: { newSqliteClasses: ["Other"] } }],
      counter,
      /binding COUNTER uses class Counter, which the history never creates or has deleted/,
    ],
    [
      "a bound class deleted",
      [
        { tag: "v1", steps: { newSqliteClasses: ["Counter"] } },
        { tag: "v2", steps: { deletedClasses: ["Counter"] } },
      ],
      counter,
      /binding COUNTER uses class Counter, which the history never creates or has deleted/,
    ],
    [
      "a bound class renamed away",
      [
        { tag: "v1", steps: { newSqliteClasses: ["Counter"] } },
        { tag: "v2", steps: { renamedClasses: [{ from: "Counter", to: "Tally" }] } },
      ],
      counter,
      /binding COUNTER uses class Counter/,
    ],
    [
      "a SQLite binding on a class created with key-value storage",
      [{ tag: "v1", steps: { newClasses: ["Counter"] } }],
      counter,
      /binding COUNTER declares sqlite storage, but Counter was created as a kv class/,
    ],
  ])("refuses %s", (_label, history, bindings, message) => {
    expect(() => validateMigrationHistory(history, bindings)).toThrow(message);
  });

  it("reports every problem at once", () => {
    const history: MigrationEntry[] = [
      { tag: "v1", steps: { deletedClasses: ["Ghost"] } },
      { tag: "v1", steps: {} },
    ];
    expect(() => validateMigrationHistory(history, counter)).toThrow(
      /deletes Ghost[\s\S]*used twice[\s\S]*does nothing[\s\S]*binding COUNTER/,
    );
  });
});

describe("deleting a class in a protected stack", () => {
  const history: MigrationEntry[] = [
    { tag: "v1", steps: { newSqliteClasses: ["Counter", "Legacy"] } },
    { tag: "v2", steps: { deletedClasses: ["Legacy"] } },
  ];
  const deletes = planMigrations(history, "v1");
  const alreadyApplied = planMigrations(history, "v2");

  it("lists what a plan deletes, with the tag that deletes it", () => {
    expect(plannedDeletions(deletes)).toEqual([{ tag: "v2", className: "Legacy" }]);
    expect(plannedDeletions(alreadyApplied)).toEqual([]);
  });

  it.each([
    ["a protected stack without consent is refused", true, false, true],
    ["a protected stack with allowClassDeletion proceeds", true, true, false],
    ["an unprotected stack proceeds", false, false, false],
  ])("%s", (_label, protect, allowClassDeletion, refused) => {
    const refusal = refuseUnconsentedDeletion(deletes, { stack: "prod", protect, allowClassDeletion });
    if (refused) {
      expect(refusal).toMatch(/delete the Durable Object class Legacy \(migration v2\)/);
      expect(refusal).toContain("pulumi config set allowClassDeletion true -s prod");
    } else {
      expect(refusal).toBeUndefined();
    }
  });

  it("does not ask again once the deletion is live (it is no longer in the plan)", () => {
    expect(
      refuseUnconsentedDeletion(alreadyApplied, { stack: "prod", protect: true, allowClassDeletion: false }),
    ).toBeUndefined();
  });
});
