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
    [
      "no live tag (new script): everything, unconditioned",
      undefined,
      {
        kind: "apply",
        newTag: "v3",
        tags: ["v1", "v2", "v3"],
        steps: [
          { newSqliteClasses: ["Counter"] },
          { newSqliteClasses: ["Scheduler"] },
          { newSqliteClasses: ["ChatRoom"] },
        ],
      },
    ],
    [
      "empty live tag (script never migrated): everything",
      "",
      {
        kind: "apply",
        newTag: "v3",
        tags: ["v1", "v2", "v3"],
        steps: [
          { newSqliteClasses: ["Counter"] },
          { newSqliteClasses: ["Scheduler"] },
          { newSqliteClasses: ["ChatRoom"] },
        ],
      },
    ],
    [
      "two behind: the two last entries, conditioned on the live tag",
      "v1",
      {
        kind: "apply",
        oldTag: "v1",
        newTag: "v3",
        tags: ["v2", "v3"],
        steps: [{ newSqliteClasses: ["Scheduler"] }, { newSqliteClasses: ["ChatRoom"] }],
      },
    ],
    [
      "one behind: the last entry only",
      "v2",
      {
        kind: "apply",
        oldTag: "v2",
        newTag: "v3",
        tags: ["v3"],
        steps: [{ newSqliteClasses: ["ChatRoom"] }],
      },
    ],
    ["up to date: nothing to send", "v3", { kind: "up-to-date", tag: "v3" }],
  ])("%s", (_label, live, expected) => {
    expect(planMigrations(history, live)).toEqual(expected);
  });

  it.each([
    ["a tag the history never had", "v7"],
    ["a tag that differs only in case", "V2"],
  ])("refuses %s: the script was deployed from another history", (_label, live) => {
    expect(() => planMigrations(history, live)).toThrow(
      new RegExp(`reports migration tag "${live}".*known: v1, v2, v3`),
    );
  });

  it("refuses an empty history", () => {
    expect(() => planMigrations([], undefined)).toThrow(/history is empty/);
  });

  it("plans the real manifest from scratch, and nothing once its last tag is live", () => {
    const last = migrations.at(-1)!.tag;
    expect(planMigrations(migrations, undefined)).toMatchObject({ kind: "apply", newTag: last });
    expect(planMigrations(migrations, last)).toEqual({ kind: "up-to-date", tag: last });
  });
});
