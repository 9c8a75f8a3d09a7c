import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { ClassManifest } from "../../infra/class-lifecycle.ts";
import { LocalClassesError, prepareLocalClasses, RENAMES_FILE } from "../../scripts/lib/local-classes.ts";
import { startLocalPlatform } from "../../scripts/lib/local-platform.ts";
import * as manifest from "../../worker/manifest.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const stateDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "local-classes-"));
  dirs.push(dir);
  return dir;
};
/** One object of `key`'s namespace, as Miniflare stores it (`do/<key>/<64 hex>.sqlite`). */
const object = async (dir: string, key: string, id = "a".repeat(64)) => {
  await mkdir(path.join(dir, "do", key), { recursive: true });
  await writeFile(path.join(dir, "do", key, `${id}.sqlite`), "");
};

// The real classes, and the first one's old name (a class renamed to it): whatever the manifest holds today.
const [, { className: live }] = Object.entries(manifest.durableObjects)[0]!;
const renamed: ClassManifest = {
  durableObjects: manifest.durableObjects,
  tombstones: { ...manifest.tombstones, Before: { state: "renamed", renamedTo: live, note: "new name" } },
};

describe("npm run dev's local state under a rename", () => {
  it("gives the new class the old one's namespace, once, says so, and keeps it after the tombstone goes", async () => {
    const dir = await stateDir();
    await object(dir, "platform-Before");
    const first = prepareLocalClasses(dir, { manifest: renamed });
    expect(first.namespaceKeys).toEqual({ [live]: "platform-Before" });
    expect(first.notes).toEqual([
      expect.stringMatching(`^Before is renamed to ${live} in worker/manifest.ts`),
    ]);
    expect(JSON.parse(await readFile(path.join(dir, RENAMES_FILE), "utf8"))).toEqual({
      [live]: "platform-Before",
    });
    // Applied once: the next start says nothing and keeps the namespace.
    expect(prepareLocalClasses(dir, { manifest: renamed })).toEqual({ ...first, notes: [] });
    // The tombstone may leave the manifest once Cloudflare has applied it: the objects stay with the new name.
    const after = prepareLocalClasses(dir, { manifest });
    expect(after.namespaceKeys).toEqual({ [live]: "platform-Before" });
  });

  it("changes nothing without local objects of the old class", async () => {
    const dir = await stateDir();
    await mkdir(path.join(dir, "do", "platform-Before"), { recursive: true });
    await writeFile(path.join(dir, "do", "platform-Before", "metadata.sqlite"), "");
    expect(prepareLocalClasses(dir, { manifest: renamed })).toEqual({ namespaceKeys: {}, notes: [] });
    expect(existsSync(path.join(dir, RENAMES_FILE))).toBe(false);
  });

  it("refuses, naming the class, local objects of a class the manifest neither binds nor tombstones", async () => {
    const dir = await stateDir();
    await object(dir, "platform-Before");
    expect(() => prepareLocalClasses(dir, { manifest })).toThrow(LocalClassesError);
    expect(() => prepareLocalClasses(dir, { manifest })).toThrow(
      /^\S+ holds objects of Before, which worker\/manifest.ts neither binds nor tombstones: [^\n]*$/,
    );
  });

  it("refuses a rename when both classes have local objects", async () => {
    const dir = await stateDir();
    await object(dir, "platform-Before");
    await object(dir, `platform-${live}`);
    expect(() => prepareLocalClasses(dir, { manifest: renamed })).toThrow(
      `Before is renamed to ${live} in worker/manifest.ts, and both have local objects`,
    );
  });

  it("keeps the objects reachable by name in Miniflare (moving the directory would not: ids derive from its name)", async () => {
    const dir = await stateDir();
    const start = (namespaceKeys?: Readonly<Record<string, string>>) =>
      startLocalPlatform({
        bundlePath: inject("bundlePath"),
        env: { environment: "test", buildId: inject("buildId") },
        persistTo: dir,
        namespaceKeys,
      });
    const counter = "api/counters/renamed-board";
    // The older tree, where the counters' class was called Before: its namespace is platform-Before.
    const before = await start({ Counter: "platform-Before" });
    try {
      await fetch(new URL(`${counter}/increment`, before.url), { method: "POST" });
    } finally {
      await before.dispose();
    }
    const counterRenamed: ClassManifest = {
      durableObjects: manifest.durableObjects,
      tombstones: { ...manifest.tombstones, Before: { state: "renamed", renamedTo: "Counter", note: "" } },
    };
    const { namespaceKeys } = prepareLocalClasses(dir, { manifest: counterRenamed });
    const after = await start(namespaceKeys);
    try {
      expect(await (await fetch(new URL(counter, after.url))).json()).toEqual({
        name: "renamed-board",
        count: 1,
      });
    } finally {
      await after.dispose();
    }
  });
});
