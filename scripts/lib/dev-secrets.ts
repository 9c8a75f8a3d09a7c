import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseEnv } from "node:util";
import { ROOT } from "./build.ts";

export interface DevSecret {
  readonly value: string;
  /** Where it came from, for the start-up line. */
  readonly source: "environment" | ".dev.vars" | "generated";
}

/** KEY=VALUE pairs of the git-ignored .dev.vars file (as wrangler reads it); {} when there is none. */
export async function readDevVars(file = path.join(ROOT, ".dev.vars")): Promise<Record<string, string>> {
  try {
    return parseEnv(await readFile(file, "utf8")) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
}

/**
 * The admin token for `npm run dev`: ADMIN_TOKEN from the environment, else from .dev.vars, else a fresh random
 * one (printed at start-up, so the operator can use it; the local platform is never open).
 */
export async function devAdminToken(
  env: NodeJS.ProcessEnv = process.env,
  devVars?: Record<string, string>,
): Promise<DevSecret> {
  if (env.ADMIN_TOKEN) return { value: env.ADMIN_TOKEN, source: "environment" };
  const fromFile = (devVars ?? (await readDevVars())).ADMIN_TOKEN;
  if (fromFile) return { value: fromFile, source: ".dev.vars" };
  return { value: randomBytes(24).toString("base64url"), source: "generated" };
}
