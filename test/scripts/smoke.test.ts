import { mkdir, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildWorker, DEFAULT_OUT_DIR, generateAssets } from "../../infra/build.ts";
import { type LocalPlatform, startLocalPlatform } from "../../scripts/lib/local-platform.ts";
import { runSmoke, SMOKE_PREFIX, SMOKE_SCHEDULER } from "../../scripts/lib/smoke.ts";
import { resolveAdminToken } from "../../scripts/lib/smoke-token.ts";
import { call, startBuiltPlatform, TEST_ADMIN_TOKEN, useBuiltPlatform } from "../support/platform.ts";
import { runScript } from "../support/script-process.ts";

let healthy: LocalPlatform;
let broken: LocalPlatform;
useBuiltPlatform((p) => (healthy = p));
beforeAll(async () => {
  // A real misconfigured deploy: /health answers, but every Durable Object route fails on the bad hint.
  broken = await startBuiltPlatform({ env: { locationHint: "mars" } });
});
afterAll(() => broken?.dispose());

describe("the smoke run's admin token", () => {
  const sources = (env: Record<string, string>, secret?: string, local: Record<string, string> = {}) => ({
    env,
    stackSecret: async () => secret,
    localSecrets: () => local,
  });

  it("for a stack: ADMIN_TOKEN_<STACK> first, else the stack's own secret", async () => {
    expect(await resolveAdminToken("pr-7", sources({ ADMIN_TOKEN_PR_7: "ci" }, "stack"))).toEqual({
      token: "ci",
      source: "ADMIN_TOKEN_PR_7",
    });
    expect(await resolveAdminToken("prod", sources({ ADMIN_TOKEN: "generic" }, "stack"))).toEqual({
      token: "stack",
      source: "stack prod's adminToken secret",
    });
    expect((await resolveAdminToken("prod", sources({}))).token).toBeUndefined();
  });

  it("for a URL: ADMIN_TOKEN or .dev.vars, as npm run dev reads them", async () => {
    expect(await resolveAdminToken(undefined, sources({}, undefined, { ADMIN_TOKEN: "file" }))).toEqual({
      token: "file",
      source: ".dev.vars",
    });
    expect((await resolveAdminToken(undefined, sources({}))).source).toMatch(/^none/);
  });
});

describe("npm run smoke against a real local environment", () => {
  it("passes every check on a healthy environment and reports them in order", async () => {
    const seen: string[] = [];
    const report = await runSmoke({
      url: healthy.url,
      expectBuildId: inject("buildId"),
      adminToken: TEST_ADMIN_TOKEN,
      onProgress: (e) => e.kind === "end" && seen.push(e.result.check),
    });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(seen).toEqual([
      "health",
      "page",
      "admin token",
      "counter round trip",
      "chat round trip",
      "scheduled job",
      "clean up",
    ]);
  });

  it("cleans up after itself: its counters read 0 again and no job of it is pending", async () => {
    const report = await runSmoke({ url: healthy.url, adminToken: TEST_ADMIN_TOKEN });
    expect(report.ok).toBe(true);
    const names = report.results
      .flatMap((r) => r.detail.match(new RegExp(`${SMOKE_PREFIX}[0-9a-f]{8}(-job)?`, "g")) ?? [])
      .filter((n, i, all) => all.indexOf(n) === i);
    expect(names.length).toBeGreaterThanOrEqual(2);
    for (const name of names) {
      expect((await call(healthy.url, `/api/counters/${name}`)).body).toEqual({ name, count: 0 });
    }
    const pending = await call(healthy.url, `/api/schedulers/${SMOKE_SCHEDULER}/jobs?status=scheduled`);
    expect(pending.body.jobs).toEqual([]);
  });

  // Without a token that works, the checks that write would leave smoke-* data only an admin token can undo.
  it("without an admin token, stops before writing anything, and says so", async () => {
    const report = await runSmoke({ url: healthy.url });
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => [r.check, r.ok])).toEqual([
      ["health", true],
      ["page", true],
      ["admin token", false],
    ]);
    expect(report.results[2]!.detail).toBe(
      "no admin token, so nothing was written: the checks that follow write data only an admin token can undo",
    );
  });

  it("with a wrong admin token, stops before writing anything: no job, no counter", async () => {
    const jobsBefore = (await call(healthy.url, `/api/schedulers/${SMOKE_SCHEDULER}`)).body;
    const report = await runSmoke({ url: healthy.url, adminToken: "not-the-token" });
    expect(report.results.map((r) => [r.check, r.ok])).toEqual([
      ["health", true],
      ["page", true],
      ["admin token", false],
    ]);
    expect(report.results[2]!.detail).toBe(
      "the environment refused the admin token (401), so nothing was written",
    );
    expect((await call(healthy.url, `/api/schedulers/${SMOKE_SCHEDULER}`)).body).toEqual(jobsBefore);
  });

  it("fails on a build id other than the expected one, and says which it saw", async () => {
    const report = await runSmoke({ url: healthy.url, expectBuildId: "f".repeat(64) });
    expect(report.ok).toBe(false);
    expect(report.results).toHaveLength(1);
    expect(report.results[0]!.detail).toBe(
      `/health reports build ${inject("buildId")}, expected ${"f".repeat(64)}`,
    );
  });

  it("fails on broken routes with the status and error the environment returned", async () => {
    const report = await runSmoke({ url: broken.url, adminToken: TEST_ADMIN_TOKEN, timeoutMs: 5_000 });
    expect(report.ok).toBe(false);
    const counter = report.results.find((r) => r.check === "counter round trip");
    expect(counter).toMatchObject({ ok: false });
    expect(counter!.detail).toMatch(/answered 500 \(expected 200\): internal_error/);
  });

  it("fails when the version was uploaded without its page, and names the file", async () => {
    // A build whose static assets are the document alone: /health and the API answer, the page does not. Inside
    // dist/, like every build workerd loads (it refuses a module path that leaves the directory it starts in).
    await mkdir(DEFAULT_OUT_DIR, { recursive: true });
    const outDir = await mkdtemp(path.join(DEFAULT_OUT_DIR, ".no-page-"));
    const generated = await generateAssets();
    const build = await buildWorker({
      outDir,
      assets: new Map([["openapi.json", generated.get("openapi.json")!]]),
    });
    const withoutPage = await startLocalPlatform({
      bundlePath: build.bundlePath,
      env: { environment: "test", buildId: build.buildId, adminToken: TEST_ADMIN_TOKEN },
    });
    try {
      const report = await runSmoke({ url: withoutPage.url, adminToken: TEST_ADMIN_TOKEN });
      expect(report.results.find((r) => r.check === "health")).toMatchObject({ ok: true });
      expect(report.results.find((r) => r.check === "counter round trip")).toMatchObject({ ok: true });
      const page = report.results.find((r) => r.check === "page");
      expect(page).toMatchObject({ ok: false });
      expect(page!.detail).toMatch(/^GET \/ answered 404 \(expected 200\): .*no static asset index\.html/);
      expect(report.ok).toBe(false);
    } finally {
      await withoutPage.dispose();
      await rm(outDir, { recursive: true, force: true });
    }
  });

  it("fails on an unreachable URL with a clear message", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const report = await runSmoke({ url: new URL(`http://127.0.0.1:${port}`), timeoutMs: 2_000 });
    expect(report.ok).toBe(false);
    expect(report.results[0]!.detail).toMatch(
      new RegExp(`GET http://127.0.0.1:${port}/health did not answer: ECONNREFUSED`),
    );
  });
});

describe("npm run smoke as a user runs it", () => {
  // No Pulumi CLI on PATH: a URL needs none, and a stack name must not be tried when the target is a host.
  const withoutPulumi = {
    ...process.env,
    PATH: path.dirname(process.execPath),
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
  };

  it("takes host:port as a URL on this machine (http), not as a stack name", async () => {
    const target = `127.0.0.1:${healthy.url.port}`;
    const run = await runScript("scripts/smoke.ts", [target, "--timeout-ms", "10000"], withoutPulumi);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain(`smoke http://${target}/; admin token from ADMIN_TOKEN`);
    expect(run.code).toBe(0);
  });

  it("for a stack without the Pulumi CLI, says so and that a URL needs none", async () => {
    const run = await runScript("scripts/smoke.ts", ["staging"], withoutPulumi);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "smoke: The Pulumi CLI is not installed (no `pulumi` on PATH). Fix: install it from " +
        "https://www.pulumi.com/docs/iac/download-install/ (curl -fsSL https://get.pulumi.com | sh), " +
        "or pass the environment's URL: npm run smoke -- https://<host>\n",
    );
  });
});
