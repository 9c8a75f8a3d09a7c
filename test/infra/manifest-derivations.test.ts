import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { durableObjectBindings } from "../../infra/bindings.ts";
import { assertBoundClassesExported, ROOT } from "../../infra/build.ts";
import { type ClassManifest, exportsFromManifest, planClasses } from "../../infra/class-lifecycle.ts";
import { manifestRefusal } from "../../infra/manifest-checks.ts";
import { buildOpenApiDocument, loadContracts } from "../../infra/openapi.ts";
import { localStackSettings } from "../../infra/stack-environment.ts";
import { wranglerConfig } from "../../infra/wrangler-config.ts";
import { miniflareWorkerOptions } from "../../scripts/lib/miniflare-options.ts";
import type { ClassTombstone, LiveClassName } from "../../worker/manifest.ts";
import * as manifest from "../../worker/manifest.ts";

// The promise of docs/recipes.md, checked cheaply (no workerd, no bundle): every derivation takes the manifest as
// input, so the real manifest plus one more class and a tombstone (a class renamed to it) must flow into the
// bindings, the exports, the class plan, the wrangler configuration, the Miniflare options and the OpenAPI
// document, and change nothing else in them.

const live: string[] = Object.values(manifest.durableObjects).map((d) => d.className);
// Names no real class, binding or tombstone has (checked below), so the real manifest can grow any class.
const unused = (name: string) =>
  !live.includes(name) && !(name in manifest.tombstones) && !(name.toUpperCase() in manifest.durableObjects);
const grown = {
  ...manifest,
  durableObjects: {
    ...manifest.durableObjects,
    EXTRA_BOARD: { className: "ExtraBoard", storage: "sqlite", description: "Top-N boards." },
  },
  tombstones: {
    ...manifest.tombstones,
    ExtraRanking: { state: "renamed", renamedTo: "ExtraBoard", note: "the boards' first name" },
  },
} as const satisfies ClassManifest;

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("one more class and a tombstone in the manifest", () => {
  it("uses names the real manifest does not", () => {
    expect(["ExtraBoard", "ExtraRanking"].filter(unused)).toHaveLength(2);
    expect(manifest.durableObjects).not.toHaveProperty("EXTRA_BOARD");
  });

  it("passes the lifecycle checks the build runs, and a wrong rename is refused naming the class", () => {
    expect(manifestRefusal(grown)).toBeUndefined();
    const typo = {
      ...grown,
      tombstones: { ExtraRanking: { ...grown.tombstones.ExtraRanking, renamedTo: "ExtraBord" } },
    };
    expect(manifestRefusal(typo)).toMatch(/ExtraRanking is renamed to ExtraBord, which is not a live class/);
  });

  it("adds exactly its binding to the version's bindings", () => {
    expect(durableObjectBindings(grown)).toEqual([
      ...durableObjectBindings(),
      { type: "durable_object_namespace", name: "EXTRA_BOARD", className: "ExtraBoard" },
    ]);
  });

  it("adds the class and its tombstone to `exports`", () => {
    expect(exportsFromManifest(grown)).toEqual({
      ...exportsFromManifest(manifest),
      ExtraBoard: { type: "durable-object", storage: "sqlite" },
      ExtraRanking: { type: "durable-object", state: "renamed", renamedTo: "ExtraBoard" },
    });
  });

  it("plans the new class as created, or as the rename's target where the old class is provisioned", () => {
    const today = new Set(live);
    expect(planClasses(grown, today)).toEqual({
      ...planClasses(manifest, today),
      created: ["ExtraBoard"],
      appliedTombstones: [...planClasses(manifest, today).appliedTombstones, "ExtraRanking"],
    });
    expect(planClasses(grown, new Set([...live, "ExtraRanking"]))).toEqual({
      ...planClasses(manifest, today),
      renamed: [...planClasses(manifest, today).renamed, { from: "ExtraRanking", to: "ExtraBoard" }],
    });
  });

  it("requires the bundle to export it", () => {
    expect(() => assertBoundClassesExported([...live, "default"], grown)).toThrow(
      /does not export ExtraBoard \(bound as EXTRA_BOARD\)/,
    );
    expect(() => assertBoundClassesExported([...live, "ExtraBoard", "default"], grown)).not.toThrow();
  });

  it("adds its binding and both `exports` entries to the wrangler configuration, nothing else", () => {
    const result = localStackSettings("staging");
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const options = { configDir: ROOT, buildId: "b" };
    const before = wranglerConfig(result.settings, options);
    const after = wranglerConfig(result.settings, { ...options, manifest: grown });
    expect(after).toEqual({
      ...before,
      durable_objects: {
        bindings: [...before.durable_objects.bindings, { name: "EXTRA_BOARD", class_name: "ExtraBoard" }],
      },
      exports: {
        ...before.exports,
        ExtraBoard: { type: "durable-object", storage: "sqlite" },
        ExtraRanking: { type: "durable-object", state: "renamed", renamed_to: "ExtraBoard" },
      },
    });
  });

  it("adds its Durable Object to the Miniflare options, nothing else", () => {
    const env = { environment: "local", buildId: "b" };
    const before = miniflareWorkerOptions(env);
    expect(miniflareWorkerOptions(env, { manifest: grown })).toEqual({
      ...before,
      durableObjects: {
        ...before.durableObjects,
        EXTRA_BOARD: { className: "ExtraBoard", useSQLite: true },
      },
    });
  });

  it("adds its router's routes to the OpenAPI document, nothing else", async () => {
    // The class's router, as a file in a routes directory: the generator finds every router by its file.
    const dir = await mkdtemp(path.join(tmpdir(), "routes-"));
    dirs.push(dir);
    await writeFile(
      path.join(dir, "extra-boards.ts"),
      "export function contract() {\n" +
        '  return [{ method: "get", path: "/api/extra-boards/:name", summary: "The top scores", tag: "extra-boards",\n' +
        '    ok: { 200: { description: "The board." } } }];\n}\n',
    );
    const theirs = await loadContracts(dir);
    expect(theirs.map((r) => r.path)).toEqual(["/api/extra-boards/:name"]);
    const before = await buildOpenApiDocument();
    const after = await buildOpenApiDocument({ routes: [...(await loadContracts()), ...theirs] });
    const { "/api/extra-boards/{name}": added, ...rest } = after.paths;
    expect(rest).toEqual(before.paths);
    expect(added?.get).toMatchObject({ summary: "The top scores" });
    expect({ ...after, paths: rest }).toEqual(before);
  });

  it("types a rename's target: it must be a live class of the manifest", () => {
    const ok: ClassTombstone<LiveClassName> = {
      state: "renamed",
      renamedTo: live[0] as LiveClassName,
      note: "",
    };
    // @ts-expect-error `renamedTo` names no live class: a compile error, before any build or deploy.
    const typo: ClassTombstone<LiveClassName> = { state: "renamed", renamedTo: "Nowhere", note: "" };
    expect([ok, typo]).toHaveLength(2);
  });
});
