import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deploy, nonVersionedOf } from "./deploy-fixtures.ts";

// The real manifest plus two tombstones a future manifest could hold: a class deleted and a class renamed to a
// live one. Only the program sees this manifest; the bundle and its bindings stay the real ones.
vi.mock("../../worker/manifest.ts", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../worker/manifest.ts")>();
  return {
    ...actual,
    tombstones: {
      ...actual.tombstones,
      Legacy: { state: "deleted", note: "replaced by another class" },
      Tally: {
        state: "renamed",
        renamedTo: Object.values(actual.durableObjects)[0]!.className,
        note: "old name",
      },
    },
  };
});

// What the expectations derive from: the real manifest, whatever classes and tombstones it holds today.
const actual = await vi.importActual<typeof import("../../worker/manifest.ts")>("../../worker/manifest.ts");
const live = Object.values(actual.durableObjects).map((d) => d.className);
const renameTarget = live[0]!;
const actualTombstones = Object.keys(actual.tombstones);

// The node project shares one module registry between its files (vitest `isolate: false`): the program another
// file imported holds the real manifest. Forget it before these tests, so the program is imported again under the
// mock, and after them, so later files import it again without it.
beforeAll(() => {
  vi.resetModules();
});
afterAll(() => {
  vi.doUnmock("../../worker/manifest.ts");
  vi.resetModules();
});

describe("tombstones in the declaration", () => {
  it("are sent in `exports` next to the live classes", async () => {
    const run = await deploy("staging", { live: { classes: [...live, "Legacy", "Tally"] } });
    // A deletion and a rename are class-lifecycle changes: one non-versioned wrangler deploy carries them.
    expect(run.outputs.deployPath).toBe("non-versioned");
    expect((nonVersionedOf(run).inputs.config as { exports: unknown }).exports).toMatchObject({
      Legacy: { type: "durable-object", state: "deleted" },
      Tally: { type: "durable-object", state: "renamed", renamed_to: renameTarget },
      [renameTarget]: { type: "durable-object", storage: "sqlite" },
    });
    expect(run.outputs.classLifecycle).toEqual({
      starting: "exports",
      created: [],
      deleted: ["Legacy"],
      renamed: [{ from: "Tally", to: renameTarget }],
      transferred: [],
      appliedTombstones: actualTombstones,
    });
  });

  it("refuse a deletion on a protected stack (prod), naming the class and the consent flag", async () => {
    await expect(deploy("prod", { live: { classes: [...live, "Legacy"] } })).rejects.toThrow(
      /delete the Durable Object class Legacy and every object[\s\S]*pulumi config set allowClassDeletion true -s prod/,
    );
  });

  it("apply the deletion on prod with allowClassDeletion", async () => {
    const run = await deploy("prod", {
      live: { classes: [...live, "Legacy"] },
      config: { allowClassDeletion: true },
    });
    expect(run.outputs.classLifecycle).toMatchObject({ deleted: ["Legacy"] });
  });

  it("apply it on an unprotected stack (staging) without the flag", async () => {
    const run = await deploy("staging", { live: { classes: [...live, "Legacy"] } });
    expect(run.outputs.classLifecycle).toMatchObject({ deleted: ["Legacy"] });
  });

  it("do not ask again once applied: the tombstones are reported as applied (removable once Cloudflare agrees)", async () => {
    const run = await deploy("prod", { live: { classes: live } });
    expect(run.outputs.classLifecycle).toMatchObject({
      deleted: [],
      renamed: [],
      appliedTombstones: [...actualTombstones, "Legacy", "Tally"],
    });
  });

  it("refuse a provisioned class that is neither live nor tombstoned", async () => {
    await expect(deploy("staging", { live: { classes: [...live, "Ghost"] } })).rejects.toThrow(
      /has the Durable Object class Ghost, which worker\/manifest.ts neither binds nor tombstones/,
    );
  });
});
