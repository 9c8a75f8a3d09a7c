import { ROOT } from "../../infra/build.ts";
import { readLocalSecrets } from "./local-secrets.ts";
import { stackConfigValue } from "./pulumi-stacks.ts";

/** Where a smoke run's admin token came from, for the one line smoke prints (never the token itself). */
export interface AdminTokenChoice {
  readonly token?: string | undefined;
  readonly source: string;
}

export interface AdminTokenSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The stack's `adminToken` secret (Automation API: `pulumi config get adminToken -s <stack>`). */
  readonly stackSecret: (stack: string) => Promise<string | undefined>;
  /** The local secrets `npm run dev` uses: ADMIN_TOKEN from the environment or .dev.vars. */
  readonly localSecrets: () => Record<string, string>;
}

/** The CI-friendly variable for a stack's token: ADMIN_TOKEN_STAGING, ADMIN_TOKEN_PROD, ADMIN_TOKEN_PR_12. */
export const adminTokenVariable = (stack: string) =>
  `ADMIN_TOKEN_${stack.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

/**
 * The admin token for smoke checks. For a stack: ADMIN_TOKEN_<STACK> from the environment (CI sets it), else the
 * stack's own secret read through Pulumi. For a URL (a local `npm run dev`, or any environment): ADMIN_TOKEN from
 * the environment, else `.dev.vars`, exactly as `npm run dev` reads it.
 */
export async function resolveAdminToken(
  stack: string | undefined,
  sources: AdminTokenSources,
): Promise<AdminTokenChoice> {
  if (stack !== undefined) {
    const variable = adminTokenVariable(stack);
    if (sources.env[variable]) return { token: sources.env[variable], source: variable };
    const secret = await sources.stackSecret(stack);
    if (secret) return { token: secret, source: `stack ${stack}'s adminToken secret` };
    return { source: `none (set ${variable}, or pulumi config set --secret adminToken <token> -s ${stack})` };
  }
  const local = sources.localSecrets().ADMIN_TOKEN;
  if (local) return { token: local, source: sources.env.ADMIN_TOKEN ? "ADMIN_TOKEN" : ".dev.vars" };
  return { source: "none (set ADMIN_TOKEN or put ADMIN_TOKEN=... in .dev.vars)" };
}

/** The real sources: this process's environment, the stack through the Automation API, .dev.vars in the repo. */
export function defaultAdminTokenSources(): AdminTokenSources {
  return {
    env: process.env,
    stackSecret: (stack) => stackConfigValue(stack, "adminToken"),
    localSecrets: () => readLocalSecrets(ROOT),
  };
}
