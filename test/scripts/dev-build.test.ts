import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DevBuilder } from "../../scripts/lib/dev-build.ts";

describe("npm run dev's builds (scripts/lib/dev-build.ts)", () => {
  let dir: string;
  let builder: DevBuilder;
  let first: Awaited<ReturnType<typeof DevBuilder.start>>["build"];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "dev-build-"));
    ({ builder, build: first } = await DevBuilder.start(dir));
  });
  afterAll(async () => {
    await builder?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("builds what npm run build builds from the same tree: the same build id", () => {
    expect(first.buildId).toBe(inject("buildId"));
  });

  it("rebuilds a save outside the routers' contracts with the same document, and generates none", async () => {
    const { build, documentFollowUp } = await builder.rebuild(new Set(["worker/objects/counter.ts"]));
    expect(build.buildId).toBe(first.buildId);
    expect(documentFollowUp).toBeUndefined();
  });

  it("generates the document again after a save a router's contract imports, and builds again only if it changed", async () => {
    // Any file the contracts import counts, as does a save the watcher could not name.
    for (const saved of [new Set(["worker/http/validation.ts"]), undefined]) {
      expect((await builder.rebuild(saved)).documentFollowUp).toBeTypeOf("function");
    }
    const { build, documentFollowUp } = await builder.rebuild(new Set(["worker/routes/health.ts"]));
    expect(build.buildId).toBe(first.buildId);
    // The tree did not change, so neither did the document: no second build.
    expect(await documentFollowUp!()).toBeUndefined();
  });
});
