import { classSignature, exportsFromManifest } from "../../infra/class-lifecycle.ts";
import { rejectionMessage } from "../../infra/release-record.ts";
import * as manifest from "../../worker/manifest.ts";
import { exportsKeyOf } from "./cloudflare-versions.ts";
import {
  type AnswerCount,
  countAnswers,
  countProblem,
  formatCount,
  formatSplit,
  splitFor,
  versionOverride,
} from "./promotion-steps.ts";
import type { SmokeReport } from "./smoke.ts";
import { type ActiveDeployment, classChange, mainVersion, type VersionOps } from "./versions.ts";

/**
 * The Pulumi operations promotion needs. The real implementation drives the Automation API
 * (scripts/lib/pulumi-stacks.ts `automationStackOps`); tests pass a recording fake.
 */
export interface StackOps {
  outputs(stack: string): Promise<Record<string, unknown>>;
  /**
   * `pulumi up` with the bundle's build id set as the one the stack must deploy. With `holdTrafficOn`, the program
   * uploads the new version but its deployment keeps 100 % on that version (infra/build-guard.ts HOLD_VERSION_ENV).
   */
  up(
    stack: string,
    options: { expectedBuildId: string; holdTrafficOn?: string; onOutput: (text: string) => void },
  ): Promise<void>;
  /** `pulumi preview` with the settings step 3's `up` would use (the hold included). */
  preview(
    stack: string,
    options: { expectedBuildId: string; holdTrafficOn?: string; onOutput: (text: string) => void },
  ): Promise<void>;
}

export interface PromotionDeps {
  readonly stacks: StackOps;
  /** The version side of the target (wrangler's versions and deployments; scripts/lib/wrangler-versions.ts). */
  readonly versions: VersionOps;
  /** Builds the bundle from this tree (infra/build.ts). */
  build(): Promise<{ readonly buildId: string }>;
  /** The test gate on that bundle; throws with a reason when it fails. */
  runGate(buildId: string): Promise<void>;
  /**
   * Smoke checks against a stack's URL, expecting `expectBuildId`; `headers` go with every request (a version
   * override that pins the Worker to the new version while traffic is split); `objectVersion` adds the check of
   * which version fresh Durable Objects run (scripts/lib/smoke.ts). The stack name picks its admin token.
   */
  smoke(
    stack: string,
    url: URL,
    expectBuildId: string,
    options?: {
      readonly headers?: Readonly<Record<string, string>>;
      readonly objectVersion?: { readonly expect: string; readonly all: boolean };
    },
  ): Promise<SmokeReport>;
  /** Reads an environment's /health; throws when it does not answer 200 with JSON. */
  health(url: URL): Promise<{ buildId?: unknown; versionId?: unknown }>;
  /** Waits between a traffic step and its checks. */
  sleep(ms: number): Promise<void>;
  log(line: string): void;
}

export interface PromotionOptions {
  readonly from: string;
  readonly to: string;
  /** Steps 1-2 and a preview of the target instead of the deploy. */
  readonly dryRun: boolean;
  /** Traffic percentages for the new version, rising, ending at 100 (scripts/lib/promotion-steps.ts parseSteps). */
  readonly steps: readonly number[];
  /** Seconds to wait after each traffic step, before its checks. */
  readonly waitSeconds: number;
  /** /health requests counted after each step. */
  readonly samples?: number;
}

export type PromotionOutcome =
  | {
      readonly ok: true;
      readonly buildId: string;
      readonly urls: Record<string, string>;
      readonly deployed: boolean;
      /** How traffic moved: `steps` for a gradual promotion, `one-step` for a class change or a first deploy. */
      readonly mode?: "steps" | "one-step";
      /** The new version serving 100 % on the target (when known). */
      readonly versionId?: string;
    }
  | {
      readonly ok: false;
      readonly step: string;
      readonly reason: string;
      readonly targetChanged: boolean;
      /** True when a failed traffic step sent the target back to 100 % on its previous version. */
      readonly reverted?: boolean;
    };

class StepFailure extends Error {
  readonly step: string;
  constructor(step: string, message: string) {
    super(message);
    this.step = step;
  }
}

const urlOf = (stack: string, outputs: Record<string, unknown>): URL => {
  if (typeof outputs.url !== "string") {
    throw new StepFailure("resolve", `stack ${stack} has no url output: run \`pulumi up -s ${stack}\` first`);
  }
  return new URL(outputs.url);
};

function smokeProblem(report: SmokeReport): string | undefined {
  if (report.ok) return undefined;
  const failed = report.results.filter((r) => !r.ok).map((r) => `${r.check}: ${r.detail}`);
  return `smoke checks failed against ${report.url}:\n    ${failed.join("\n    ")}`;
}

function assertSmoke(step: string, report: SmokeReport): void {
  const problem = smokeProblem(report);
  if (problem) throw new StepFailure(step, problem);
}

const short = (id: string) => id.slice(0, 12);

/** The plan for the target: one step at 100 % (and why), or steps from the live version. */
interface TargetPlan {
  readonly reason?: string;
  readonly previous?: string;
  readonly previousBuild?: string | undefined;
}

/**
 * Why the target cannot take the new version gradually (a Durable Object class change, no deployment yet, ...), or
 * undefined when it can. Cloudflare applies a version's class changes only in a non-versioned deploy at 100 %, and
 * refuses a split between versions whose Durable Object exports differ in any field (error 100405). Only
 * Cloudflare confirming that nothing is deployed counts as a first deploy: a failure to read the deployment stops
 * the promotion before anything changes.
 */
async function planTarget(to: string, versions: VersionOps): Promise<TargetPlan> {
  let deployment: ActiveDeployment | null;
  try {
    deployment = await versions.deployment(to);
  } catch (error) {
    throw new StepFailure(
      "read",
      `could not read ${to}'s deployment from Cloudflare (${(error as Error).message}); nothing was changed: ` +
        "check the token and the network, then run the promotion again",
    );
  }
  const live = mainVersion(deployment?.versions);
  if (!deployment || !live) return { reason: `${to} has no deployment yet (a first deploy)` };
  if (deployment.versions.length > 1) {
    throw new StepFailure(
      "split",
      `${to} is already split (${formatSplit(deployment.versions)}), an earlier promotion did not finish: ` +
        `roll it back first (npm run rollback -- ${to} --to ${live.versionId})`,
    );
  }
  const info = (await versions.versions(to)).find((v) => v.id === live.versionId) ?? {
    id: live.versionId,
    createdOn: "",
  };
  const declared = exportsFromManifest(manifest);
  const change = classChange(info, {
    id: "the new version",
    createdOn: "",
    classes: classSignature(declared),
    exportsKey: exportsKeyOf(declared),
  });
  return { reason: change, previous: live.versionId, previousBuild: info.buildId };
}

/**
 * Promotes the build that `from` runs to `to`:
 *   1. build here and prove it is the build `from` runs (its stack output and its /health);
 *   2. the gate: the test suites on that bundle, then smoke checks against `from`;
 *   3. `pulumi up` on `to` that uploads the build as a new version while the live version keeps 100 % (or a
 *      preview with dryRun);
 *   4. traffic moves to the new version step by step (a split deployment per step); after each step and a wait,
 *      /health answers are counted by version and the smoke checks run. A failed check returns `to` to 100 % on
 *      the previous version. When the new version changes Durable Object classes (or `to` has no live version),
 *      steps 3-4 are one `pulumi up` at 100 % and its smoke checks instead;
 *   5. `pulumi up` on `to` without the hold: the stack's deployment takes the new version at 100 %, which is what
 *      already runs, so the Pulumi state says what Cloudflare serves.
 * Nothing touches `to` before step 3.
 */
export async function promote(options: PromotionOptions, deps: PromotionDeps): Promise<PromotionOutcome> {
  const { from, to } = options;
  const samples = options.samples ?? 20;
  const step = (n: number, text: string) => deps.log(`[${n}/5] ${text}`);
  let targetChanged = false;
  let previousTargetBuild: unknown;
  let oneStep = false;
  try {
    step(1, `building the bundle and checking it is the build ${from} runs`);
    const { buildId } = await deps.build();
    const fromOutputs = await deps.stacks.outputs(from);
    const fromUrl = urlOf(from, fromOutputs);
    if (fromOutputs.buildId !== buildId) {
      throw new StepFailure(
        "verify",
        `this tree builds ${buildId} but stack ${from} deployed ${String(fromOutputs.buildId)}: ` +
          `deploy this commit to ${from} first (pulumi up -s ${from}), or check out the commit ${from} runs`,
      );
    }
    const live = await deps.health(fromUrl).catch((e: Error) => {
      throw new StepFailure("verify", `${fromUrl.href}health did not answer: ${e.message}`);
    });
    if (live.buildId !== buildId) {
      throw new StepFailure(
        "verify",
        `${from} at ${fromUrl.href} reports build ${String(live.buildId)}, not ${buildId}: it is not running what its stack says`,
      );
    }
    deps.log(`      build ${buildId} is what ${from} runs (${fromUrl.href})`);

    step(2, `gate: test suites on build ${short(buildId)}, then smoke checks against ${from}`);
    await deps.runGate(buildId).catch((e: Error) => {
      throw new StepFailure("gate", `the test gate failed: ${e.message}`);
    });
    assertSmoke("gate", await deps.smoke(from, fromUrl, buildId));

    const targetOutputs = await deps.stacks.outputs(to).catch(() => ({}) as Record<string, unknown>);
    previousTargetBuild = targetOutputs.buildId;
    const onOutput = (text: string) => deps.log(`      ${text.trimEnd()}`);
    const plan = await planTarget(to, deps.versions);
    if (options.dryRun) {
      // The preview step 3 would run: the same hold when traffic moves in steps, none for a one-step deploy.
      const gradual = plan.reason === undefined && plan.previous !== undefined;
      step(
        3,
        gradual
          ? `preview of ${to}: upload build ${short(buildId)} while ${plan.previous} keeps 100 %, then steps of ${options.steps.join(", ")} % (dry run: nothing is deployed)`
          : `preview of ${to}: build ${short(buildId)} at 100 % in one step, because ${plan.reason} (dry run: nothing is deployed)`,
      );
      await deps.stacks
        .preview(to, {
          expectedBuildId: buildId,
          ...(gradual ? { holdTrafficOn: plan.previous } : {}),
          onOutput,
        })
        .catch((e: Error) => {
          throw new StepFailure("preview", `pulumi preview -s ${to} failed: ${e.message}`);
        });
      deps.log(`dry run passed: build ${buildId} is ready to promote from ${from} to ${to}`);
      return { ok: true, buildId, urls: { [from]: fromUrl.href }, deployed: false };
    }

    if (plan.reason !== undefined || !plan.previous) {
      oneStep = true;
      step(3, `deploying build ${short(buildId)} to ${to} at 100 % in one step`);
      deps.log(
        `      ${plan.reason}: Cloudflare applies Durable Object class changes when their version is deployed, ` +
          "and versions with different classes cannot split traffic, so there are no steps.",
      );
      targetChanged = true;
      await deps.stacks.up(to, { expectedBuildId: buildId, onOutput }).catch((e: Error) => {
        throw new StepFailure("deploy", `pulumi up -s ${to} failed: ${e.message}`);
      });
      const toOutputs = await deps.stacks.outputs(to);
      const toUrl = urlOf(to, toOutputs);
      const deployedVersion = typeof toOutputs.versionId === "string" ? toOutputs.versionId : undefined;
      step(4, `smoke checks against ${to}, expecting build ${short(buildId)}`);
      // The non-versioned deploy updates Durable Object code immediately: every object must run the new version.
      assertSmoke(
        "verify-target",
        await deps.smoke(to, toUrl, buildId, {
          ...(deployedVersion ? { objectVersion: { expect: deployedVersion, all: true } } : {}),
        }),
      );
      step(5, `the stack's state is the deployment it just made: nothing to bring in line`);
      deps.log(`promoted build ${buildId} from ${from} to ${to} in one step`);
      const versionId = typeof toOutputs.versionId === "string" ? toOutputs.versionId : undefined;
      return {
        ok: true,
        buildId,
        urls: { [from]: fromUrl.href, [to]: toUrl.href },
        deployed: true,
        mode: "one-step",
        ...(versionId ? { versionId } : {}),
      };
    }

    const previous = plan.previous;
    step(3, `uploading build ${short(buildId)} to ${to} as a new version; ${previous} keeps 100 %`);
    targetChanged = true;
    await deps.stacks
      .up(to, { expectedBuildId: buildId, holdTrafficOn: previous, onOutput })
      .catch((e: Error) => {
        throw new StepFailure("upload", `pulumi up -s ${to} (upload, traffic held) failed: ${e.message}`);
      });
    const uploaded = await deps.stacks.outputs(to);
    const toUrl = urlOf(to, uploaded);
    const next = uploaded.versionId;
    const scriptName = uploaded.scriptName;
    if (typeof scriptName !== "string") {
      throw new StepFailure("upload", `stack ${to} has no scriptName output after the upload`);
    }
    if (typeof next !== "string" || next === previous) {
      throw new StepFailure(
        "upload",
        `${to} reports version ${String(next)} after the upload, not a new version beside ${previous}`,
      );
    }
    deps.log(`      uploaded version ${next} (build ${short(buildId)}); serving: ${previous} at 100 %`);

    step(4, `moving traffic to ${next} in steps of ${options.steps.join(", ")} %`);
    for (const percent of options.steps) {
      const split = splitFor(previous, next, percent);
      // Immediate: objects assigned the new version run its code now, so this step's checks can reach them.
      await deps.versions.deploy(to, split, `promote build ${buildId}: ${percent} %`, {
        codeUpdate: "immediate",
      });
      deps.log(`      ${String(percent).padStart(3)} %: deployed ${formatSplit(split)}`);
      if (options.waitSeconds > 0) {
        deps.log(`             waiting ${options.waitSeconds} s`);
        await deps.sleep(options.waitSeconds * 1000);
      }
      const count: AnswerCount = await countAnswers(deps.health, toUrl, samples);
      deps.log(`             ${formatCount(count, previous, next)}`);
      // The smoke checks pin the Worker to the new version (Cloudflare's version override), so its routes run the
      // new code and a chat's two sockets meet in one Worker version. The override does not move Durable Objects:
      // each keeps the version Cloudflare assigned it by the split, so the object check reports how many fresh
      // objects run the new code and exercises those; only at 100 % must every object run it.
      const problem =
        countProblem(count, previous, next, percent) ??
        smokeProblem(
          await deps.smoke(to, toUrl, buildId, {
            headers: versionOverride(scriptName, next),
            objectVersion: { expect: next, all: percent >= 100 },
          }),
        );
      if (problem) {
        await revert(
          to,
          toUrl,
          previous,
          { buildId, previousBuild: plan.previousBuild, why: `${percent} % step failed` },
          deps,
          samples,
        );
        deps.log(`promotion stopped at ${percent} %: ${problem}`);
        return {
          ok: false,
          step: `traffic-${percent}`,
          reason: problem,
          targetChanged: true,
          reverted: true,
        };
      }
      deps.log(`             smoke checks passed on ${next}`);
    }

    step(5, `pulumi up -s ${to}: the stack's deployment takes ${next} at 100 %, as it now runs`);
    await deps.stacks.up(to, { expectedBuildId: buildId, onOutput }).catch((e: Error) => {
      throw new StepFailure(
        "reconcile",
        `${to} serves ${next} at 100 %, but pulumi up -s ${to} failed, so its state still holds ${previous}: ` +
          `${e.message}. Run pulumi up -s ${to} again (same commit) before anything else.`,
      );
    });
    const settled = await deps.stacks.outputs(to);
    if (settled.versionId !== next) {
      throw new StepFailure(
        "reconcile",
        `after pulumi up, ${to}'s state names version ${String(settled.versionId)}, not ${next} that was promoted`,
      );
    }
    deps.log(`promoted build ${buildId} from ${from} to ${to}: version ${next} at 100 %`);
    deps.log(`      ${from}: ${fromUrl.href}`);
    deps.log(`      ${to}: ${toUrl.href}`);
    return {
      ok: true,
      buildId,
      urls: { [from]: fromUrl.href, [to]: toUrl.href },
      deployed: true,
      mode: "steps",
      versionId: next,
    };
  } catch (error) {
    const failure =
      error instanceof StepFailure
        ? error
        : // A Pulumi failure arrives already translated (scripts/lib/pulumi-errors.ts): one sentence and its fix.
          new StepFailure(
            (error as Error)?.name === "PulumiProblem" ? "pulumi" : "unexpected",
            String((error as Error)?.message ?? error),
          );
    deps.log(`promotion stopped at ${failure.step}: ${failure.message}`);
    if (!targetChanged) {
      deps.log(`      ${to} was not changed.`);
    } else if (oneStep) {
      deps.log(
        `      ${to} may now run the new build. A rollback cannot cross a Durable Object class change: ` +
          `fix forward (revert the faulty code, keep the class declarations), deploy it to ${from} and promote again` +
          (previousTargetBuild ? ` (previous build ${String(previousTargetBuild)})` : "") +
          ".",
      );
    } else if (failure.step === "upload") {
      deps.log(
        `      ${to} still serves its previous version at 100 %; the new version may be uploaded, unused.`,
      );
    }
    return { ok: false, step: failure.step, reason: failure.message, targetChanged };
  }
}

/** How many times a revert is tried before the promotion hands over to the operator. */
const REVERT_ATTEMPTS = 3;

/**
 * A failed step: back to 100 % on the previous version, with immediate code update (objects on the rejected
 * version restart on the previous one now, not within Cloudflare's deferred delay), recorded as a rejection of the
 * build in the deployment's message (infra/release-record.ts), which a later plain `pulumi up` honours. A revert
 * that fails is tried again; if it keeps failing, the live split and the exact command that ends it are printed.
 */
async function revert(
  to: string,
  url: URL,
  previous: string,
  what: { readonly buildId: string; readonly previousBuild: string | undefined; readonly why: string },
  deps: PromotionDeps,
  samples: number,
): Promise<void> {
  deps.log(`      ${what.why}: returning ${to} to 100 % on ${previous}`);
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.versions.deploy(
        to,
        [{ versionId: previous, percentage: 100 }],
        rejectionMessage(what.buildId, what.why),
        {
          codeUpdate: "immediate",
        },
      );
      break;
    } catch (error) {
      const message = (error as Error).message;
      if (attempt < REVERT_ATTEMPTS) {
        deps.log(`      the revert failed (${message}); trying again (${attempt + 1} of ${REVERT_ATTEMPTS})`);
        await deps.sleep(2000 * attempt);
        continue;
      }
      const live = await deps.versions.deployment(to).catch(() => null);
      throw new StepFailure(
        "revert",
        `the revert of ${to} failed ${REVERT_ATTEMPTS} times (${message}). ${to} now serves ` +
          `${live ? formatSplit(live.versions) : "an unknown split (Cloudflare did not answer)"}. ` +
          `End the split now: npm run rollback -- ${to} --to ${previous}`,
      );
    }
  }
  const count = await countAnswers(deps.health, url, samples);
  const answered = Object.entries(count.byVersion)
    .map(([id, n]) => `${n} from ${id}`)
    .join(", ");
  deps.log(
    `      ${to} is back at 100 % on ${previous}` +
      (what.previousBuild ? ` (build ${short(what.previousBuild)})` : "") +
      `: ${answered || "no answers"}${count.failures.length ? `, ${count.failures.length} failed` : ""}. ` +
      `Build ${short(what.buildId)} is recorded as rejected: pulumi up -s ${to} will not ship it.`,
  );
}
