import { randomBytes } from "node:crypto";
import { adminTokenVariable } from "./smoke-token.ts";

/** The Pulumi operations a rotation needs; the real ones are in scripts/lib/pulumi-stacks.ts, tests record. */
export interface RotationOps {
  setSecret(stack: string, key: string, value: string): Promise<void>;
  up(stack: string, onOutput: (text: string) => void): Promise<void>;
  outputs(stack: string): Promise<Record<string, unknown>>;
  /** Whether `token` opens the admin routes at `url` (proves the deploy took the new secret). */
  adminWorks(url: URL, token: string): Promise<boolean>;
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
  const token = generate();
  const show = `pulumi config get adminToken -s ${stack}`;
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
  log(`[3/3] checking that ${stack} accepts the new token`);
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
