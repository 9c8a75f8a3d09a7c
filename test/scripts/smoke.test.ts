import net from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { runSmoke } from "../../scripts/lib/smoke.ts";
import { startBuiltPlatform, TEST_ADMIN_TOKEN } from "../support/platform.ts";

let healthy: LocalPlatform;
let broken: LocalPlatform;
beforeAll(async () => {
  healthy = await startBuiltPlatform();
  // A real misconfigured deploy: /health answers, but every Durable Object route fails on the bad hint.
  broken = await startBuiltPlatform({ env: { locationHint: "mars" } });
});
afterAll(async () => {
  await healthy?.dispose();
  await broken?.dispose();
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
    expect(seen).toEqual(["health", "counter round trip", "chat round trip", "scheduled job"]);
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
    const report = await runSmoke({ url: broken.url, timeoutMs: 5_000 });
    expect(report.ok).toBe(false);
    const counter = report.results.find((r) => r.check === "counter round trip");
    expect(counter).toMatchObject({ ok: false });
    expect(counter!.detail).toMatch(/answered 500 \(expected 200\): internal_error/);
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
