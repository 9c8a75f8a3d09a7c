import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildWorker } from "../../infra/build.ts";
import { startStandin } from "../standin/index.ts";
import { readHealth } from "./health.ts";
import { promote } from "./promotion.ts";
import { rollback } from "./rollback.ts";
import { runSmoke } from "./smoke.ts";
import { standinStacks } from "./standin-stacks.ts";

/**
 * `npm run rehearse`: the platform's whole release on this machine, against a local stand-in of Cloudflare's API
 * (scripts/standin; what it models and what it does not is said there and in docs/standin.md), with real wrangler
 * and every version served by real workerd. No account, no Pulumi CLI:
 *   1. staging up: the first deploy creates the Durable Object classes (the program's non-versioned deploy);
 *   2. the first promotion to prod: nothing deployed there yet, so one step at 100 %;
 *   3. a promotion in steps that fails at 10 % (the new prod version carries a wrong admin token) and is reverted;
 *   4. the same build promoted again, step by step to 100 %;
 *   5. a rollback to the version before;
 *   6. a class change deployed (a variant of the build with one more Durable Object class), then a rollback across
 *      it, which is refused.
 * Each step's outcome is checked; the first surprise stops the rehearsal with a non-zero exit.
 */
export interface RehearsalResult {
  readonly ok: boolean;
  readonly steps: readonly { readonly name: string; readonly ok: boolean; readonly detail: string }[];
}

const ADMIN = {
  staging: "rehearsal-staging-admin-token-000001",
  prod: "rehearsal-prod-admin-token-00000001",
};

export async function rehearse(log: (line: string) => void): Promise<RehearsalResult> {
  const steps: { name: string; ok: boolean; detail: string }[] = [];
  const record = (name: string, ok: boolean, detail: string) => {
    steps.push({ name, ok, detail });
    log(`${ok ? "✔" : "✘"} ${name}: ${detail}`);
    if (!ok) throw new RehearsalStop();
  };
  const standin = await startStandin();
  const work = await mkdtemp(path.join(tmpdir(), "rehearsal-"));
  const stacks = standinStacks(standin, { ...ADMIN });
  const indent = (line: string) => log(`    ${line}`);
  try {
    log(`a stand-in of Cloudflare's API at ${standin.apiBaseUrl} (account ${standin.accountId})`);
    const build = await buildWorker();
    log(`build ${build.buildId} (${(build.sizes.gzip / 1024).toFixed(1)} KiB gzip)`);

    // 1. staging up
    log("\n[1/6] pulumi up -s staging (played against the stand-in: a first deploy creates the classes)");
    await stacks.up("staging", { expectedBuildId: build.buildId, onOutput: indent });
    const stagingUrl = new URL(String((await stacks.outputs("staging")).url));
    const smoke = await runSmoke({
      url: stagingUrl,
      expectBuildId: build.buildId,
      adminToken: ADMIN.staging,
      jobDelayMs: 200,
    });
    record(
      "staging up",
      smoke.ok,
      `${stagingUrl.href} serves build ${build.buildId.slice(0, 12)}, smoke ${smoke.results.length} checks passed`,
    );

    const deps = {
      stacks,
      versions: stacks.versions,
      build: async () => ({ buildId: build.buildId }),
      runGate: async () => indent("gate: npm test is the gate in CI; the rehearsal does not run it again"),
      smoke: (
        stack: string,
        url: URL,
        expectBuildId: string,
        options: Parameters<Parameters<typeof promote>[1]["smoke"]>[3] = {},
      ) =>
        runSmoke({
          url,
          expectBuildId,
          adminToken: ADMIN[stack as keyof typeof ADMIN],
          headers: options.headers,
          objectVersion: options.objectVersion,
          jobDelayMs: 200,
        }),
      health: readHealth,
      sleep: (ms: number) => new Promise<void>((done) => setTimeout(done, ms)),
      log: indent,
    };
    const options = {
      from: "staging",
      to: "prod",
      dryRun: false,
      steps: [10, 50, 100],
      waitSeconds: 0,
      samples: 20,
    };

    // 2. the first promotion
    log("\n[2/6] npm run promote: prod has nothing deployed, so one step at 100 %");
    const first = await promote(options, deps);
    record(
      "first promotion",
      first.ok && first.mode === "one-step",
      first.ok ? `prod runs ${first.versionId}` : first.reason,
    );
    const firstProdVersion = first.ok ? first.versionId : undefined;

    // 3. a failed step, reverted
    log(
      "\n[3/6] npm run promote again, with a wrong admin token in the new prod version: the 10 % step must fail and revert",
    );
    stacks.adminTokens.prod = "a-wrong-admin-token-for-the-rehearsal";
    const failed = await promote(options, deps);
    stacks.adminTokens.prod = ADMIN.prod;
    const live = await stacks.versions.deployment("prod");
    record(
      "failed step reverted",
      !failed.ok &&
        failed.reverted === true &&
        live?.versions.length === 1 &&
        live.versions[0]?.versionId === firstProdVersion,
      failed.ok
        ? "the promotion passed, but it should have failed"
        : `stopped at ${failed.step}; prod back at 100 % on ${firstProdVersion}; Cloudflare records: "${live?.message}"`,
    );

    // 4. a successful promotion in steps
    log("\n[4/6] npm run promote, the secret fixed: 10 → 50 → 100 %");
    const second = await promote(options, deps);
    record(
      "promotion in steps",
      second.ok && second.mode === "steps",
      second.ok ? `prod runs ${second.versionId} at 100 %` : second.reason,
    );

    // 5. a rollback
    log("\n[5/6] npm run rollback -- prod: back to the version before");
    const back = await rollback(
      { stack: "prod", to: firstProdVersion },
      { versions: stacks.versions, outputs: (s) => stacks.outputs(s), health: deps.health, log: indent },
    );
    record(
      "rollback",
      back.ok,
      back.ok ? `prod serves ${back.versionId} (build ${back.buildId?.slice(0, 12)})` : back.reason,
    );

    // 6. a class change, then a rollback across it
    log(
      "\n[6/6] a build with one more Durable Object class deployed to prod, then a rollback across it (must be refused)",
    );
    const variant = await classVariant(work, build.bundlePath);
    stacks.overrideBundle = variant;
    stacks.overrideConfig = (config) => ({
      ...config,
      exports: {
        ...(config.exports as object),
        [VARIANT_CLASS]: { type: "durable-object", storage: "sqlite" },
      },
    });
    await stacks.up("prod", { expectedBuildId: variant.buildId, onOutput: indent });
    stacks.overrideBundle = undefined;
    stacks.overrideConfig = undefined;
    const before = await stacks.versions.deployment("prod");
    const refused = await rollback(
      { stack: "prod", to: firstProdVersion },
      { versions: stacks.versions, outputs: (s) => stacks.outputs(s), health: deps.health, log: indent },
    );
    const after = await stacks.versions.deployment("prod");
    record(
      "rollback across a class change refused",
      !refused.ok &&
        /class change/.test(refused.reason) &&
        after?.versions[0]?.versionId === before?.versions[0]?.versionId,
      refused.ok ? "the rollback went through" : refused.reason.split(". ")[0]!,
    );
    if (standin.state.unknownRequests.length > 0) {
      record("the stand-in knew every request", false, standin.state.unknownRequests.join("; "));
    }
    return { ok: true, steps };
  } catch (error) {
    if (!(error instanceof RehearsalStop)) {
      steps.push({ name: "unexpected", ok: false, detail: (error as Error).message });
      log(`✘ the rehearsal stopped: ${(error as Error).message}`);
    }
    return { ok: false, steps };
  } finally {
    await standin.close();
    await rm(work, { recursive: true, force: true });
  }
}

class RehearsalStop extends Error {}

/** The class a rehearsal's variant build adds. */
export const VARIANT_CLASS = "RehearsalProbe";

/**
 * The build with one more (empty) Durable Object class: the bundle plus an exported class, which changes the class
 * lifecycle exactly as adding a class to worker/manifest.ts would.
 */
async function classVariant(dir: string, bundlePath: string) {
  const source = await readFile(bundlePath, "utf8");
  const text = `${source}\nimport { DurableObject as RehearsalBase } from "cloudflare:workers";\nexport class ${VARIANT_CLASS} extends RehearsalBase {}\n`;
  const main = path.join(dir, "index.js");
  await writeFile(main, text);
  const sha256 = createHash("sha256").update(text).digest("hex");
  return { main, sha256, buildId: sha256 };
}
