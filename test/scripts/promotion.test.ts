import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { type PromotionDeps, promote, type StackOps } from "../../scripts/lib/promotion.ts";
import { runSmoke } from "../../scripts/lib/smoke.ts";
import { startBuiltPlatform, TEST_ADMIN_TOKEN } from "../support/platform.ts";

const OLD_BUILD = "0".repeat(64);

/** Two real local environments, and a recording fake of the Pulumi side whose `up` redeploys the local server. */
class Environments implements StackOps {
  readonly calls: string[] = [];
  readonly deployed: Record<string, string> = {};
  constructor(
    readonly platforms: Record<string, LocalPlatform>,
    /** What `up` makes the target report (normally the expected build id). */
    private readonly deployAs = (expected: string) => expected,
  ) {}
  async outputs(stack: string) {
    this.calls.push(`outputs ${stack}`);
    return { url: this.platforms[stack]!.url.href, buildId: this.deployed[stack] };
  }
  async up(stack: string, { expectedBuildId }: { expectedBuildId: string }) {
    this.calls.push(`up ${stack} ${expectedBuildId.slice(0, 8)}`);
    const buildId = this.deployAs(expectedBuildId);
    await this.platforms[stack]!.reload({
      bundlePath: inject("bundlePath"),
      // What a deploy of that stack gives the worker: its secret comes along, like a stack's ADMIN_TOKEN.
      env: { environment: stack, buildId, adminToken: TEST_ADMIN_TOKEN },
    });
    this.deployed[stack] = buildId;
  }
  async preview(stack: string, { expectedBuildId }: { expectedBuildId: string }) {
    this.calls.push(`preview ${stack} ${expectedBuildId.slice(0, 8)}`);
  }
}

let staging: LocalPlatform;
let prod: LocalPlatform;
let lines: string[];
beforeEach(async () => {
  staging = await startBuiltPlatform({ env: { environment: "staging" } });
  prod = await startBuiltPlatform({ env: { environment: "prod", buildId: OLD_BUILD } });
  lines = [];
});
afterEach(async () => {
  await staging?.dispose();
  await prod?.dispose();
});

function deps(stacks: Environments, overrides: Partial<PromotionDeps> = {}): PromotionDeps {
  return {
    stacks,
    build: async () => ({ buildId: inject("buildId") }),
    runGate: async () => {
      stacks.calls.push("gate");
    },
    smoke: (_stack, url, expectBuildId) =>
      runSmoke({ url, expectBuildId, adminToken: TEST_ADMIN_TOKEN, timeoutMs: 10_000 }),
    health: async (url) => (await (await fetch(new URL("/health", url))).json()) as { buildId?: unknown },
    log: (line) => lines.push(line),
    ...overrides,
  };
}

const prodBuild = async () =>
  ((await (await fetch(new URL("/health", prod.url))).json()) as { buildId: string }).buildId;

describe("npm run promote", () => {
  it("moves the build staging runs to prod, after the gate and smoke checks, and proves it there", async () => {
    const stacks = new Environments({ staging, prod });
    stacks.deployed.staging = inject("buildId");
    stacks.deployed.prod = OLD_BUILD;
    const outcome = await promote({ from: "staging", to: "prod", dryRun: false }, deps(stacks));
    expect(outcome).toEqual({
      ok: true,
      buildId: inject("buildId"),
      urls: { staging: staging.url.href, prod: prod.url.href },
      deployed: true,
    });
    expect(stacks.calls).toEqual([
      "outputs staging",
      "gate",
      "outputs prod",
      `up prod ${inject("buildId").slice(0, 8)}`,
      "outputs prod",
    ]);
    expect(await prodBuild()).toBe(inject("buildId"));
    expect(lines.filter((l) => /^\[\d\/4\]/.test(l))).toHaveLength(4);
  });

  it("stops before prod when staging's stack deployed another build", async () => {
    const stacks = new Environments({ staging, prod });
    stacks.deployed.staging = "a".repeat(64);
    const outcome = await promote({ from: "staging", to: "prod", dryRun: false }, deps(stacks));
    expect(outcome).toMatchObject({ ok: false, step: "verify", targetChanged: false });
    expect(outcome.ok || outcome.reason).toMatch(/this tree builds .* but stack staging deployed aaaa/);
    expect(stacks.calls).toEqual(["outputs staging"]);
    expect(await prodBuild()).toBe(OLD_BUILD);
    expect(lines.at(-1)).toMatch(/prod was not changed/);
  });

  it("stops before prod when staging's URL runs something other than its stack says", async () => {
    await staging.reload({
      bundlePath: inject("bundlePath"),
      env: { environment: "staging", buildId: "b".repeat(64) },
    });
    const stacks = new Environments({ staging, prod });
    stacks.deployed.staging = inject("buildId");
    const outcome = await promote({ from: "staging", to: "prod", dryRun: false }, deps(stacks));
    expect(outcome).toMatchObject({ ok: false, step: "verify" });
    expect(outcome.ok || outcome.reason).toMatch(/reports build bbbb.*not running what its stack says/);
    expect(stacks.calls.some((c) => c.startsWith("up"))).toBe(false);
  });

  it("stops before prod when the test gate fails", async () => {
    const stacks = new Environments({ staging, prod });
    stacks.deployed.staging = inject("buildId");
    const outcome = await promote(
      { from: "staging", to: "prod", dryRun: false },
      deps(stacks, {
        runGate: async () => {
          throw new Error("vitest exited with 1");
        },
      }),
    );
    expect(outcome).toMatchObject({
      ok: false,
      step: "gate",
      reason: "the test gate failed: vitest exited with 1",
    });
    expect(stacks.calls.some((c) => c.startsWith("up"))).toBe(false);
    expect(await prodBuild()).toBe(OLD_BUILD);
  });

  it("exits non-zero and says how to roll back when prod fails its smoke checks after the deploy", async () => {
    const stacks = new Environments({ staging, prod }, () => "c".repeat(64));
    stacks.deployed.staging = inject("buildId");
    stacks.deployed.prod = OLD_BUILD;
    const outcome = await promote({ from: "staging", to: "prod", dryRun: false }, deps(stacks));
    expect(outcome).toMatchObject({ ok: false, step: "verify-target", targetChanged: true });
    expect(lines.join("\n")).toMatch(
      new RegExp(`To roll back, promote the previous build \\(${OLD_BUILD}\\)`),
    );
  });

  it("--dry-run runs the checks and a preview, and deploys nothing", async () => {
    const stacks = new Environments({ staging, prod });
    stacks.deployed.staging = inject("buildId");
    const outcome = await promote({ from: "staging", to: "prod", dryRun: true }, deps(stacks));
    expect(outcome).toMatchObject({ ok: true, deployed: false });
    expect(stacks.calls).toEqual([
      "outputs staging",
      "gate",
      "outputs prod",
      `preview prod ${inject("buildId").slice(0, 8)}`,
    ]);
    expect(await prodBuild()).toBe(OLD_BUILD);
  });
});
