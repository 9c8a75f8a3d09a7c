import { describe, expect, it } from "vitest";
import { planMigrations } from "../../infra/migrations.ts";
import type { MigrationEntry } from "../../worker/manifest.ts";
import { migrations } from "../../worker/manifest.ts";

const history: MigrationEntry[] = [
  { tag: "v1", steps: { newSqliteClasses: ["Counter"] } },
  { tag: "v2", steps: { newSqliteClasses: ["Scheduler"] } },
  { tag: "v3", steps: { newSqliteClasses: ["ChatRoom"] } },
];

describe("planMigrations (history + live tag -> payload)", () => {
  it.each([
    ["no live tag: everything", undefined, { kind: "apply", newTag: "v3", tags: ["v1", "v2", "v3"] }],
    ["empty live tag: everything", "", { kind: "apply", newTag: "v3", tags: ["v1", "v2", "v3"] }],
    ["two behind", "v1", { kind: "apply", oldTag: "v1", newTag: "v3", tags: ["v2", "v3"] }],
    ["one behind", "v2", { kind: "apply", oldTag: "v2", newTag: "v3", tags: ["v3"] }],
    ["up to date", "v3", { kind: "up-to-date", tag: "v3" }],
  ])("%s", (_label, live, expected) => {
    expect(planMigrations(history, live)).toMatchObject(expected);
  });

  it("sends exactly the steps after the live tag, in order", () => {
    const plan = planMigrations(history, "v1");
    expect(plan).toEqual({
      kind: "apply",
      oldTag: "v1",
      newTag: "v3",
      steps: [{ newSqliteClasses: ["Scheduler"] }, { newSqliteClasses: ["ChatRoom"] }],
      tags: ["v2", "v3"],
    });
  });

  it("refuses a live tag the history does not contain", () => {
    expect(() => planMigrations(history, "v7")).toThrow(/reports migration tag "v7".*known: v1, v2, v3/);
  });

  it("refuses an empty history", () => {
    expect(() => planMigrations([], undefined)).toThrow(/history is empty/);
  });

  it("plans the real manifest from scratch", () => {
    expect(planMigrations(migrations, undefined)).toMatchObject({
      kind: "apply",
      newTag: migrations.at(-1)!.tag,
    });
  });
});
