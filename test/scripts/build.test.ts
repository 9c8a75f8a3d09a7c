import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assertBoundClassesExported, BuildError, buildWorker } from "../../infra/build.ts";

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
  });

  it("writes a build record: sha256 build id, sizes and exported classes", async () => {
    const dir = await tempDir();
    const build = await buildWorker({ outDir: dir });
    const bytes = await readFile(path.join(dir, "index.js"));
    const record = JSON.parse(await readFile(path.join(dir, "build.json"), "utf8"));
    expect(record).toEqual({
      buildId: createHash("sha256").update(bytes).digest("hex"),
      mainModule: "index.js",
      sizes: { raw: bytes.byteLength, gzip: expect.any(Number) },
      exports: expect.arrayContaining(["ChatRoom", "Counter", "Scheduler", "default"]),
      migrationTag: "v3",
      esbuildVersion: expect.any(String),
    });
    expect(record.sizes.gzip).toBeLessThan(record.sizes.raw);
    expect(build.buildId).toBe(record.buildId);
    // Environment names travel as bindings, never baked into the bundle.
    expect(/\b(?:staging|prod)\b/.test(bytes.toString()), "bundle mentions an environment").toBe(false);
  });

  it("fails with a clear message when a bound class is not exported", () => {
    expect(() => assertBoundClassesExported(["default"])).toThrow(BuildError);
    expect(() => assertBoundClassesExported(["ChatRoom", "Scheduler", "default"])).toThrow(
      /does not export Counter \(bound as COUNTER\), which worker\/manifest.ts binds/,
    );
    expect(() => assertBoundClassesExported(["default"])).toThrow(
      /does not export Counter \(bound as COUNTER\), ChatRoom \(bound as CHAT_ROOM\), Scheduler \(bound as SCHEDULER\)/,
    );
    expect(() => assertBoundClassesExported(["ChatRoom", "Counter", "Scheduler", "default"])).not.toThrow();
  });
});
