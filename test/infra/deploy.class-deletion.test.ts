import { describe, expect, it, vi } from "vitest";
import { deploy, scriptOf } from "./deploy-fixtures.ts";

// The real history followed by a class that is created and later deleted, as a future manifest could hold it.
// Only the program sees this manifest; the bundle and its bindings stay the real ones.
vi.mock("../../worker/manifest.ts", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../worker/manifest.ts")>();
  const migrations = [
    ...actual.migrations,
    { tag: "add-legacy", steps: { newSqliteClasses: ["Legacy"] } },
    { tag: "drop-legacy", steps: { deletedClasses: ["Legacy"] } },
  ];
  return {
    ...actual,
    migrations,
    latestMigrationTag: (history = migrations) => actual.latestMigrationTag(history),
  };
});

describe("a deploy that would delete a Durable Object class", () => {
  it("is refused on a protected stack (prod), naming the class and the consent flag", async () => {
    await expect(deploy("prod", { liveTag: "add-legacy" })).rejects.toThrow(
      /delete the Durable Object class Legacy \(migration drop-legacy\)[\s\S]*pulumi config set allowClassDeletion true -s prod/,
    );
  });

  it("proceeds on prod with allowClassDeletion, sending the deletion", async () => {
    const run = await deploy("prod", { liveTag: "add-legacy", config: { allowClassDeletion: true } });
    expect(scriptOf(run).inputs.migrations).toEqual({
      oldTag: "add-legacy",
      newTag: "drop-legacy",
      steps: [{ deletedClasses: ["Legacy"] }],
    });
  });

  it("proceeds on an unprotected stack (staging) without the flag", async () => {
    const run = await deploy("staging", { liveTag: "add-legacy" });
    expect(scriptOf(run).inputs.migrations).toMatchObject({ newTag: "drop-legacy" });
  });

  it("does not ask again once the deletion is live", async () => {
    const run = await deploy("prod", { liveTag: "drop-legacy" });
    expect(scriptOf(run).inputs).not.toHaveProperty("migrations");
  });
});
