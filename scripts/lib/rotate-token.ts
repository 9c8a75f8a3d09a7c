import { randomBytes } from "node:crypto";
import { adminTokenVariable } from "./smoke-token.ts";

/** The Pulumi operations a rotation needs; the real ones are in scripts/lib/pulumi-stacks.ts, tests record. */
export interface RotationOps {
  setSecret(stack: string, key: string, value: string): Promise<void>;
  up(stack: string, onOutput: (text: string) => void): Promise<void>;
  outputs(stack: string): Promise<Record<string, unknown>>;
  /** Whether `token` opens the admin routes at `url` (proves the deploy took the new secret). */
  adminWorks(url: URL, token: string): Promise<boolean>;
  /** The build this tree builds (infra/build.ts): what `pulumi up` would ship. */
  localBuild(): Promise<string>;
  /** The build the environment at `url` serves (its /health), or undefined when it does not answer. */
  servedBuild(url: URL): Promise<string | undefined>;
}

export interface RotationResult {
  readonly ok: boolean;
  /** What the operator must still do, one line each. */
  readonly followUps: readonly string[];
}

/** A fresh admin token: 32 random bytes as hex, like the README's `openssl rand -hex 32`. */
export const newAdminToken = () => randomBytes(32).toString("hex");

/**
 * `npm run rotate-token -- <stack>`: sets a new `adminToken` secret on the stack, deploys it (`pulumi up`), checks
 * that the environment accepts the new token, and says what else holds the old one. The token itself is never
 * printed (CI logs keep what scripts print); `pulumi config get adminToken -s <stack>` shows it.
 */
export async function rotateToken(
  stack: string,
  ops: RotationOps,
  log: (line: string) => void,
  generate: () => string = newAdminToken,
): Promise<RotationResult> {
  const show = `pulumi config get adminToken -s ${stack}`;
  // A rotation is a `pulumi up`, which ships whatever this tree builds: it must be the build that already runs,
  // or rotating a secret would also change the code (on prod, code that staging may never have run).
  const before = (await ops.outputs(stack)).url;
  if (typeof before !== "string") {
    log(
      `rotation refused: stack ${stack} has no url output, so it was never deployed: pulumi up -s ${stack} first.`,
    );
    return { ok: false, followUps: [`Deploy ${stack} first (pulumi up -s ${stack}), then rotate.`] };
  }
  const [local, served] = await Promise.all([ops.localBuild(), ops.servedBuild(new URL(before))]);
  if (served !== local) {
    log(
      `rotation refused: ${stack} serves build ${served ?? "(no answer from /health)"} and this tree builds ` +
        `${local}; rotating deploys this tree, so it would change the code too. Nothing was changed.`,
    );
    return {
      ok: false,
      followUps: [
        served
          ? `Check out the commit ${stack} runs (build ${served.slice(0, 12)}: git log --all --grep, or the deploy's CI run), then rotate again.`
          : `Make ${before} answer /health (it did not), then rotate again.`,
      ],
    };
  }
  const token = generate();
  log(`[1/3] setting a new adminToken secret on stack ${stack} (Pulumi.${stack}.yaml, encrypted)`);
  await ops.setSecret(stack, "adminToken", token);
  log(`[2/3] deploying it: pulumi up -s ${stack}`);
  try {
    await ops.up(stack, (text) => log(`      ${text.trimEnd()}`));
  } catch (error) {
    log(`rotation stopped: the deploy failed: ${(error as Error).message}`);
    return {
      ok: false,
      followUps: [
        `Pulumi.${stack}.yaml holds the new token but ${stack} still runs with the old one (it keeps working).`,
        `Fix the cause, then run pulumi up -s ${stack} (or npm run rotate-token -- ${stack} again).`,
      ],
    };
  }
  const url = (await ops.outputs(stack)).url;
  log(`[3/3] checking that ${stack} accepts the new token, and still serves build ${local.slice(0, 12)}`);
  if (typeof url === "string" && (await ops.servedBuild(new URL(url))) !== local) {
    log(`rotation stopped: ${url} serves another build after the deploy`);
    return {
      ok: false,
      followUps: [`Check pulumi stack -s ${stack}: the rotation deployed code it should not have.`],
    };
  }
  if (typeof url === "string" && !(await ops.adminWorks(new URL(url), token))) {
    log(`rotation stopped: ${url} does not accept the new token after the deploy`);
    return { ok: false, followUps: [`Check pulumi stack -s ${stack} and run pulumi up -s ${stack} again.`] };
  }
  log(`rotated: ${stack} now accepts only the new admin token${typeof url === "string" ? ` (${url})` : ""}`);
  return {
    ok: true,
    followUps: [
      `Commit Pulumi.${stack}.yaml (the new token, encrypted).`,
      `Update the CI secret ${adminTokenVariable(stack)}: gh secret set ${adminTokenVariable(stack)} --body "$(${show})"`,
      `Give the new token to whoever uses the admin routes of ${stack} (read it with ${show}); the old one is refused.`,
    ],
  };
}
