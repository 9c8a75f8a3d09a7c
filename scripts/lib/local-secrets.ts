import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
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
    file = parseEnv(readFileSync(path.join(root, ".dev.vars"), "utf8"));
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
