import * as pulumi from "@pulumi/pulumi";
import { runtimeDefaults } from "../worker/manifest.ts";
import { isJurisdiction, isLocationHint, JURISDICTIONS, LOCATION_HINTS } from "../worker/platform.ts";

/** A stack's settings, validated. Read once in infra/index.ts and passed down as typed arguments. */
export interface StackConfig {
  readonly stack: string;
  readonly accountId: string;
  /** The Worker script's name; also the workers.dev host label. */
  readonly workerName: string;
  /** ENVIRONMENT binding and /health `environment`. */
  readonly environment: string;
  /** The account's workers.dev subdomain (`<this>.workers.dev`), for the environment URL. */
  readonly workersDevSubdomain: string;
  readonly locationHint?: string | undefined;
  readonly jurisdiction?: string | undefined;
  readonly compatibilityDate: string;
  readonly compatibilityFlags: readonly string[];
}

/** Pulumi prints a RunError's message without a stack trace: the right shape for "fix your config". */
export class StackConfigError extends pulumi.RunError {
  override readonly name = "StackConfigError";
}

const ACCOUNT_ID = /^[0-9a-f]{32}$/;
const WORKER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Reads and validates the stack's config (namespace = the project name in Pulumi.yaml). Collects every problem
 * and throws one error that says, for each, what to set and how.
 */
export function readStackConfig(config = new pulumi.Config(), stack = pulumi.getStack()): StackConfig {
  const problems: string[] = [];
  const set = (key: string, example: string) => `pulumi config set ${key} ${example} -s ${stack}`;

  const accountId = config.get("accountId") ?? "";
  if (!ACCOUNT_ID.test(accountId)) {
    problems.push(
      accountId
        ? `accountId "${accountId}" is not a Cloudflare account id (32 hex digits).`
        : `accountId is missing: ${set("accountId", "<32-hex-digit account id>")} (dashboard > Workers > Account ID).`,
    );
  }

  const workerName = config.get("workerName") ?? `do-platform-${stack}`;
  if (!WORKER_NAME.test(workerName)) {
    problems.push(`workerName "${workerName}" must be 1-63 of a-z 0-9 and -, not starting or ending with -.`);
  }

  const workersDevSubdomain = config.get("workersDevSubdomain") ?? "";
  if (!DNS_LABEL.test(workersDevSubdomain)) {
    problems.push(
      workersDevSubdomain
        ? `workersDevSubdomain "${workersDevSubdomain}" must be a DNS label (the part before .workers.dev).`
        : `workersDevSubdomain is missing: ${set("workersDevSubdomain", "<your-subdomain>")} (dashboard > Workers > Subdomain).`,
    );
  }

  const locationHint = config.get("locationHint");
  if (locationHint !== undefined && !isLocationHint(locationHint)) {
    problems.push(
      `locationHint "${locationHint}" is not a location hint; use one of: ${LOCATION_HINTS.join(" ")}.`,
    );
  }

  const jurisdiction = config.get("jurisdiction");
  if (jurisdiction !== undefined && !isJurisdiction(jurisdiction)) {
    problems.push(`jurisdiction "${jurisdiction}" is not valid; use one of: ${JURISDICTIONS.join(" ")}.`);
  }

  const compatibilityDate = config.get("compatibilityDate") ?? runtimeDefaults.compatibilityDate;
  if (!ISO_DATE.test(compatibilityDate) || Number.isNaN(Date.parse(`${compatibilityDate}T00:00:00Z`))) {
    problems.push(`compatibilityDate "${compatibilityDate}" must be a date like 2026-04-20 (YYYY-MM-DD).`);
  }

  const compatibilityFlags = config.getObject<string[]>("compatibilityFlags") ?? [
    ...runtimeDefaults.compatibilityFlags,
  ];
  if (!Array.isArray(compatibilityFlags) || compatibilityFlags.some((f) => typeof f !== "string")) {
    problems.push('compatibilityFlags must be a list of strings, e.g. ["nodejs_compat"].');
  }

  if (problems.length > 0) {
    throw new StackConfigError(
      `Stack "${stack}" is not configured correctly:\n  - ${problems.join("\n  - ")}`,
    );
  }
  return {
    stack,
    accountId,
    workerName,
    environment: config.get("environment") ?? stack,
    workersDevSubdomain,
    locationHint,
    jurisdiction,
    compatibilityDate,
    compatibilityFlags,
  };
}
