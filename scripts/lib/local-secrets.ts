import { randomBytes } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { SECRET_NAMES } from "../../worker/platform.ts";

/**
 * Secret bindings for a local run, by binding name (ADMIN_TOKEN): from the process environment, else from a
 * git-ignored `.dev.vars` (KEY=value lines, the format wrangler uses). Stack files never hold them in clear
 * text, so `npm run dev -- --env <stack>` cannot take them from there. Unset secrets are simply absent.
 */
export function readLocalSecrets(
  root: string,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  let file: Record<string, string | undefined> = {};
  try {
    file = parseEnv(readFileSync(path.join(root, DEV_VARS_FILE), "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secrets: Record<string, string> = {};
  for (const name of Object.values(SECRET_NAMES)) {
    const value = environment[name] || file[name];
    if (value) secrets[name] = value;
  }
  return secrets;
}

/** The git-ignored file of local secrets (wrangler's name and format). */
export const DEV_VARS_FILE = ".dev.vars";

/**
 * Appends a generated admin token to `.dev.vars` (creating it), so the next `npm run dev`, `npm run smoke` against
 * a local URL and any shell that exported it keep working across restarts. Returns the file's path.
 */
export function persistAdminToken(root: string, token: string): string {
  const file = path.join(root, DEV_VARS_FILE);
  let before = "";
  try {
    before = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const separator = before === "" || before.endsWith("\n") ? "" : "\n";
  const header = before === "" ? "# Local secrets for npm run dev and npm run smoke (git-ignored).\n" : "";
  appendFileSync(file, `${separator}${header}${SECRET_NAMES.adminToken}=${token}\n`, { mode: 0o600 });
  return file;
}

/**
 * `npm run dev` is never open: when no ADMIN_TOKEN was provided, a random one is generated (and printed by dev),
 * so admin routes work locally without anyone having to know a default.
 */
export function withAdminToken(secrets: Record<string, string>): {
  secrets: Record<string, string>;
  generatedAdminToken?: string;
} {
  if (secrets[SECRET_NAMES.adminToken]) return { secrets };
  const generatedAdminToken = randomBytes(24).toString("base64url");
  return { secrets: { ...secrets, [SECRET_NAMES.adminToken]: generatedAdminToken }, generatedAdminToken };
}
