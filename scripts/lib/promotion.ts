import type { SmokeReport } from "./smoke.ts";

/**
 * The Pulumi operations promotion needs. The real implementation drives the Automation API
 * (scripts/lib/pulumi-stacks.ts `automationStackOps`); tests pass a recording fake.
 */
export interface StackOps {
  outputs(stack: string): Promise<Record<string, unknown>>;
  /** `pulumi up` with the bundle's build id set as the one the stack must deploy. */
  up(stack: string, options: { expectedBuildId: string; onOutput: (text: string) => void }): Promise<void>;
  /** `pulumi preview`, same settings as `up`. */
  preview(
    stack: string,
    options: { expectedBuildId: string; onOutput: (text: string) => void },
  ): Promise<void>;
}

export interface PromotionDeps {
  readonly stacks: StackOps;
  /** Builds the bundle from this tree (infra/build.ts). */
  build(): Promise<{ readonly buildId: string }>;
  /** The test gate on that bundle; throws with a reason when it fails. */
  runGate(buildId: string): Promise<void>;
  /** Smoke checks against a stack's URL, expecting `expectBuildId` (the stack name picks its admin token). */
  smoke(stack: string, url: URL, expectBuildId: string): Promise<SmokeReport>;
  /** Reads an environment's /health. */
  health(url: URL): Promise<{ buildId?: unknown }>;
  log(line: string): void;
}

export interface PromotionOptions {
  readonly from: string;
  readonly to: string;
  /** Steps 1-2 and a preview of the target instead of the deploy. */
  readonly dryRun: boolean;
}

export type PromotionOutcome =
  | {
      readonly ok: true;
      readonly buildId: string;
      readonly urls: Record<string, string>;
      readonly deployed: boolean;
    }
  | { readonly ok: false; readonly step: string; readonly reason: string; readonly targetChanged: boolean };

class StepFailure extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

const urlOf = (stack: string, outputs: Record<string, unknown>): URL => {
  if (typeof outputs.url !== "string") {
    throw new StepFailure("resolve", `stack ${stack} has no url output: run \`pulumi up -s ${stack}\` first`);
  }
  return new URL(outputs.url);
};

function assertSmoke(step: string, report: SmokeReport): void {
  if (!report.ok) {
    const failed = report.results.filter((r) => !r.ok).map((r) => `${r.check}: ${r.detail}`);
    throw new StepFailure(step, `smoke checks failed against ${report.url}:\n    ${failed.join("\n    ")}`);
  }
}

/**
 * Promotes the build that `from` runs to `to`:
 *   1. build here and prove it is the build `from` runs (its stack output and its /health);
 *   2. the gate: the test suites on that bundle, then smoke checks against `from`;
 *   3. `pulumi up` on `to` with that build id as the expected one (or a preview with dryRun);
 *   4. smoke checks against `to`, which must report the promoted build id.
 * Nothing touches `to` before step 3; a failure after it says how to roll back.
 */
export async function promote(options: PromotionOptions, deps: PromotionDeps): Promise<PromotionOutcome> {
  const { from, to } = options;
  const step = (n: number, text: string) => deps.log(`[${n}/4] ${text}`);
  let targetChanged = false;
  let previousTargetBuild: unknown;
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

    step(2, `gate: test suites on build ${buildId.slice(0, 12)}, then smoke checks against ${from}`);
    await deps.runGate(buildId).catch((e: Error) => {
      throw new StepFailure("gate", `the test gate failed: ${e.message}`);
    });
    assertSmoke("gate", await deps.smoke(from, fromUrl, buildId));

    const targetOutputs = await deps.stacks.outputs(to).catch(() => ({}) as Record<string, unknown>);
    previousTargetBuild = targetOutputs.buildId;
    const onOutput = (text: string) => deps.log(`      ${text.trimEnd()}`);
    if (options.dryRun) {
      step(3, `preview of ${to} (dry run: nothing is deployed)`);
      await deps.stacks.preview(to, { expectedBuildId: buildId, onOutput }).catch((e: Error) => {
        throw new StepFailure("preview", `pulumi preview -s ${to} failed: ${e.message}`);
      });
      deps.log(`dry run passed: build ${buildId} is ready to promote from ${from} to ${to}`);
      return { ok: true, buildId, urls: { [from]: fromUrl.href }, deployed: false };
    }

    step(3, `deploying build ${buildId.slice(0, 12)} to ${to}`);
    targetChanged = true;
    await deps.stacks.up(to, { expectedBuildId: buildId, onOutput }).catch((e: Error) => {
      throw new StepFailure("deploy", `pulumi up -s ${to} failed: ${e.message}`);
    });
    const toUrl = urlOf(to, await deps.stacks.outputs(to));

    step(4, `smoke checks against ${to}, expecting build ${buildId.slice(0, 12)}`);
    assertSmoke("verify-target", await deps.smoke(to, toUrl, buildId));
    deps.log(`promoted build ${buildId} from ${from} to ${to}`);
    deps.log(`      ${from}: ${fromUrl.href}`);
    deps.log(`      ${to}: ${toUrl.href}`);
    return { ok: true, buildId, urls: { [from]: fromUrl.href, [to]: toUrl.href }, deployed: true };
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
    if (targetChanged) {
      deps.log(
        `      ${to} may now run the new build. To roll back, promote the previous build` +
          (previousTargetBuild ? ` (${String(previousTargetBuild)})` : "") +
          `: check out the commit that builds it, deploy it to ${from}, and run npm run promote again.`,
      );
    } else {
      deps.log(`      ${to} was not changed.`);
    }
    return { ok: false, step: failure.step, reason: failure.message, targetChanged };
  }
}
