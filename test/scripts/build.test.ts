import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import {
  assertBoundClassesExported,
  BuildError,
  buildIdOf,
  buildWorker,
  esbuildOptions,
  generateAssets,
} from "../../infra/build.ts";
import { buildOpenApiDocument } from "../../infra/openapi.ts";
import * as manifest from "../../worker/manifest.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "build-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("the worker build", () => {
  it("is deterministic: two builds of the same tree have the same bytes and build id", async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const first = await buildWorker({ outDir: a });
    const second = await buildWorker({ outDir: b });
    expect(second.buildId).toBe(first.buildId);
    const [bytesA, bytesB] = await Promise.all([
      readFile(path.join(a, "index.js")),
      readFile(path.join(b, "index.js")),
    ]);
    expect(bytesA.equals(bytesB)).toBe(true);
    expect(await readFile(path.join(a, "index.js.map"), "utf8")).toBe(
      await readFile(path.join(b, "index.js.map"), "utf8"),
    );
    expect(await readFile(path.join(a, "assets/openapi.json"), "utf8")).toBe(
      await readFile(path.join(b, "assets/openapi.json"), "utf8"),
    );
  });

  it("writes a build record: sha256 build id, sizes and exported classes", async () => {
    const dir = await tempDir();
    const build = await buildWorker({ outDir: dir });
    const bytes = await readFile(path.join(dir, "index.js"));
    const record = JSON.parse(await readFile(path.join(dir, "build.json"), "utf8"));
    const bundleSha256 = sha256(bytes);
    const assets = await Promise.all(
      ["app.css", "app.js", "index.html", "openapi.json"].map(async (file) => {
        const contents = await readFile(path.join(dir, "assets", file));
        return { path: file, sha256: sha256(contents), size: contents.byteLength };
      }),
    );
    expect(record).toEqual({
      buildId: buildIdOf(bundleSha256, assets),
      bundleSha256,
      mainModule: "index.js",
      assets,
      sizes: { raw: bytes.byteLength, gzip: expect.any(Number) },
      exports: [...Object.values(manifest.durableObjects).map((d) => d.className), "default"].sort(),
      migrationTag: manifest.lastLegacyTag(),
      esbuildVersion: expect.any(String),
    });
    expect(record.sizes.gzip).toBeLessThan(record.sizes.raw);
    expect(build.buildId).toBe(record.buildId);
    // Environment names travel as bindings, never baked into the bundle.
    expect(/\b(?:staging|prod)\b/.test(bytes.toString()), "bundle mentions an environment").toBe(false);
  });

  it("writes the OpenAPI document as a static asset, not into the bundle", async () => {
    const dir = await tempDir();
    const build = await buildWorker({ outDir: dir });
    const document = await readFile(path.join(dir, "assets/openapi.json"), "utf8");
    expect(build.assetsDirectory).toBe(path.join(dir, "assets"));
    expect(JSON.parse(document)).toEqual(await buildOpenApiDocument());
    const bundle = await readFile(path.join(dir, "index.js"), "utf8");
    // Fragments only the document has (its version field, its components), in any escaping.
    for (const fragment of ['"openapi":"3.1', 'openapi\\":\\"3.1', "#/components/schemas/"]) {
      expect(bundle.includes(fragment), `the bundle contains ${fragment}`).toBe(false);
    }
  });

  it("changes the build id when only the document changes, not the bundle", async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const generated = await generateAssets();
    const file = "openapi.json";
    const doc = JSON.parse(Buffer.from(generated.get(file)!).toString("utf8"));
    const changed = new Map([
      ...generated,
      [file, Buffer.from(JSON.stringify({ ...doc, info: { ...doc.info, title: "Changed" } }))],
    ]);
    const first = await buildWorker({ outDir: a });
    const second = await buildWorker({ outDir: b, assets: changed });
    expect(second.bundleSha256).toBe(first.bundleSha256);
    expect(second.content).toBe(first.content);
    expect(second.buildId).not.toBe(first.buildId);
    expect(JSON.parse(await readFile(path.join(b, "assets", file), "utf8")).info.title).toBe("Changed");
  });

  it("serving the document adds at most 2 KB gzip to the bundle (the API contract's budget)", async () => {
    // The same build with the document's route replaced by an empty router: the difference is what serving the
    // document costs the bundle. Inlined, the document alone cost about 3.3 KB gzip.
    const withoutRoute: esbuild.Plugin = {
      name: "without-openapi-route",
      setup(build) {
        build.onLoad({ filter: /[\\/]worker[\\/]routes[\\/]openapi\.ts$/ }, () => ({
          contents: 'import { Hono } from "hono/tiny"; export const openapi = new Hono();',
          loader: "ts",
        }));
      },
    };
    const gzipOf = async (plugins: esbuild.Plugin[]) => {
      const options = esbuildOptions(await tempDir());
      const result = await esbuild.build({ ...options, plugins: [...plugins, ...(options.plugins ?? [])] });
      const bundle = result.outputFiles.find((f) => f.path.endsWith(".js"));
      return gzipSync(bundle?.contents ?? new Uint8Array(), { level: 9 }).byteLength;
    };
    const [served, notServed] = [await gzipOf([]), await gzipOf([withoutRoute])];
    expect(notServed).toBeGreaterThan(10_000);
    expect(served - notServed).toBeLessThanOrEqual(2048);
  });

  it("fails with a clear message when a bound class is not exported", () => {
    // Read from the manifest: each bound class, left out of the exports alone, is named with its binding.
    const bound = Object.entries(manifest.durableObjects);
    const classes = bound.map(([, d]) => d.className);
    expect(() => assertBoundClassesExported(["default"])).toThrow(BuildError);
    for (const [binding, { className }] of bound) {
      const without = [...classes.filter((c) => c !== className), "default"];
      expect(() => assertBoundClassesExported(without)).toThrow(
        new RegExp(`does not export ${className} \\(bound as ${binding}\\), which worker/manifest.ts binds`),
      );
    }
    expect(() => assertBoundClassesExported(["default"])).toThrow(
      bound.map(([binding, d]) => `${d.className} (bound as ${binding})`).join(", "),
    );
    expect(() => assertBoundClassesExported([...classes, "default"])).not.toThrow();
  });

  it("refuses a class lifecycle mistake before bundling, in one sentence naming the class", async () => {
    const outDir = await tempDir();
    const [first, ...rest] = Object.entries(manifest.durableObjects);
    const [binding, declaration] = first!;
    // A rename whose target is not a live class.
    const renamedToNothing = {
      ...manifest,
      tombstones: { Gone: { state: "renamed", renamedTo: "Nowhere", note: "a typo" } },
    } as const;
    const refusal = buildWorker({ outDir, manifest: renamedToNothing });
    await expect(refusal).rejects.toThrow(BuildError);
    await expect(refusal).rejects.toThrow(
      /^[^\n]*Gone is renamed to Nowhere, which is not a live class[^\n]*$/,
    );
    // A class the deployed scripts have (the legacy history created it) dropped without a tombstone.
    const provisioned = new Set<string>(manifest.legacyMigrations.flatMap((m) => m.steps.newSqliteClasses));
    if (provisioned.has(declaration.className)) {
      const dropped = { ...manifest, durableObjects: Object.fromEntries(rest) };
      await expect(buildWorker({ outDir, manifest: dropped })).rejects.toThrow(
        `class ${declaration.className}, which worker/manifest.ts neither binds nor tombstones`,
      );
    }
    // Nothing was written.
    expect(existsSync(path.join(outDir, "index.js")), `bundle written for a bad ${binding}`).toBe(false);
  });

  it("names the OpenAPI step, not esbuild, when a router cannot be loaded in Node", async () => {
    const routesDir = await tempDir();
    await writeFile(
      path.join(routesDir, "boards.ts"),
      'import { DurableObject } from "cloudflare:workers";\nexport const Base = DurableObject;\n' +
        "export function contract() { return []; }\n",
    );
    const failed = buildWorker({ outDir: await tempDir(), routesDir });
    await expect(failed).rejects.toThrow(BuildError);
    await expect(failed).rejects.toThrow(
      /^OpenAPI generation failed: [\s\S]*boards\.ts cannot be loaded in Node[\s\S]*import only types from worker\/objects\//,
    );
    await expect(failed).rejects.not.toThrow(/esbuild/);
  });
});

describe("the test runs' kept build (test/support/build-once.ts)", () => {
  it("writes back only the build's own files, not a scratch directory another test made and removed", async () => {
    const dir = await tempDir();
    const scratch = path.join(dir, ".scratch");
    await mkdir(scratch);
    await writeFile(path.join(scratch, "index.js"), "another build");
    const first = await buildWorker({ outDir: dir });
    await rm(scratch, { recursive: true });
    const again = await buildWorker({ outDir: dir });
    expect(again.buildId).toBe(first.buildId);
    expect(existsSync(scratch)).toBe(false);
    expect(await readFile(path.join(dir, "index.js"), "utf8")).toBe(first.content);
    expect(existsSync(path.join(dir, "assets/openapi.json"))).toBe(true);
  });
});
