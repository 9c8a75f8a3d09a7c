import {
  isJurisdiction,
  isLocationHint,
  JURISDICTIONS,
  type Jurisdiction,
  LOCATION_HINTS,
  type LocationHint,
} from "../worker/platform.ts";
import { previewProblems } from "./preview-stacks.ts";

/**
 * A stack's settings, validated. Pure data: the Pulumi program, the offline synth and `npm run dev -- --env <stack>`
 * all derive their configuration from this one shape.
 */
export interface StackSettings {
  readonly stack: string;
  /** The Cloudflare account; "" when validated for local use, where no account is involved. */
  readonly accountId: string;
  /** The Worker script's name; also the workers.dev host label. */
  readonly workerName: string;
  /** ENVIRONMENT binding and /health `environment`. */
  readonly environment: string;
  /** `<this>.workers.dev`; absent with a custom domain (or locally). */
  readonly workersDevSubdomain?: string | undefined;
  readonly locationHint?: LocationHint | undefined;
  readonly jurisdiction?: Jurisdiction | undefined;
  readonly compatibilityDate: string;
  readonly compatibilityFlags: readonly string[];
  readonly smartPlacement: boolean;
  readonly observability: boolean;
  readonly customDomain?: { readonly hostname: string; readonly zoneId: string } | undefined;
  /** Pulumi `protect` on every resource of the stack. */
  readonly protect: boolean;
  /** Consent to apply a migration that deletes a Durable Object class in a protected stack. */
  readonly allowClassDeletion: boolean;
  /** The PUBLIC_WRITES rate limit: requests per period per client IP. */
  readonly publicWrites: { readonly limit: number; readonly period: 10 | 60 };
  /** Origins CORS allows; empty = same-origin only. */
  readonly corsAllowedOrigins: readonly string[];
  /** Hosts webhook jobs may call; empty = any public host. */
  readonly webhookAllowedHosts: readonly string[];
  /** The stack whose build this one must deploy (a StackReference name, e.g. organization/do-platform/staging). */
  readonly promotedFrom?: string | undefined;
  /** Consent to deploy a build other than promotedFrom's (an emergency fix straight to prod). */
  readonly allowBuildMismatch: boolean;
  /** Consent to deploy, at 100 %, a build a promotion to this stack rejected and reverted. */
  readonly allowRejectedBuild: boolean;
}

/** Every setting the program understands; Pulumi.yaml declares exactly these (a test keeps them equal). */
export const SETTING_KEYS = [
  "accountId",
  "workerName",
  "environment",
  "workersDevSubdomain",
  "locationHint",
  "jurisdiction",
  "compatibilityDate",
  "compatibilityFlags",
  "smartPlacement",
  "observability",
  "customDomain",
  "customDomainZoneId",
  "protect",
  "allowClassDeletion",
  "adminToken",
  "publicWritesLimit",
  "publicWritesPeriod",
  "corsAllowedOrigins",
  "webhookAllowedHosts",
  "promotedFrom",
  "allowBuildMismatch",
  "allowRejectedBuild",
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** Settings that hold secrets: they must be set with `pulumi config set --secret`, and are never echoed. */
export const SECRET_SETTINGS: readonly SettingKey[] = ["adminToken"];

export interface StackConfigInput {
  readonly stack: string;
  /**
   * The stack's config for this project, keys without the project prefix, values as Pulumi passes them (strings;
   * lists as JSON), with Pulumi.yaml's defaults already merged underneath.
   */
  readonly values: Readonly<Record<string, string | undefined>>;
  /** Keys whose value was set with `--secret`. */
  readonly secretKeys: readonly string[];
  /**
   * "deploy": everything `pulumi up` needs (account, URL, secrets). "local": only what shapes the worker's
   * runtime (`npm run dev -- --env <stack>`), so no account id or secret is required.
   */
  readonly purpose: "deploy" | "local";
  /** Today, for the "not in the future" check on compatibilityDate (injectable for tests). */
  readonly today?: Date;
}

export type StackConfigResult =
  | { readonly ok: true; readonly settings: StackSettings }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Deployed stacks refuse a shorter admin token (`openssl rand -hex 32` gives 64 characters). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

const ACCOUNT_ID = /^[0-9a-f]{32}$/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ENVIRONMENT = /^[A-Za-z0-9._-]{1,64}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const COMPATIBILITY_FLAG = /^[a-z0-9_]+$/;
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/;
const STACK_REFERENCE = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+){0,2}$/;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** `pulumi config set` for one key of this stack, exactly as a user would type it. */
export function configSetCommand(stack: string, key: string, value: string, secret = false): string {
  return `pulumi config set ${secret ? "--secret " : ""}${key} ${value} -s ${stack}`;
}

/**
 * Validates a stack's config and returns its settings, or every problem at once, each saying what to set and how.
 * Pure: no Pulumi runtime, so the synth and the dev server run the very same checks as `pulumi up`.
 */
export function validateStackConfig(input: StackConfigInput): StackConfigResult {
  const { stack, values, purpose } = input;
  const deploy = purpose === "deploy";
  const secret = new Set(input.secretKeys);
  const problems: string[] = [];
  const set = (key: string, value: string) => configSetCommand(stack, key, value);
  // Secret values never appear in a message, whatever the key.
  const show = (key: string) => (secret.has(key) ? "[secret]" : JSON.stringify(values[key]));
  const text = (key: SettingKey) => values[key] ?? "";

  const bool = (key: SettingKey): boolean => {
    const raw = text(key);
    if (raw === "true" || raw === "false") return raw === "true";
    if (raw !== "") problems.push(`${key} must be true or false, got ${show(key)}: ${set(key, "true")}.`);
    return false;
  };

  for (const key of Object.keys(values)) {
    if ((SETTING_KEYS as readonly string[]).includes(key)) continue;
    const near = SETTING_KEYS.find((known) => known.toLowerCase() === key.toLowerCase());
    problems.push(
      `"${key}" is not a setting of this project${near ? ` (did you mean ${near}?)` : ""}; ` +
        `remove it with \`pulumi config rm ${key} -s ${stack}\`. Settings: ${SETTING_KEYS.join(" ")}.`,
    );
  }

  const accountId = text("accountId");
  if (deploy && accountId === "") {
    problems.push(
      `accountId is missing: ${set("accountId", "<32-hex-digit account id>")} ` +
        "(Cloudflare dashboard > Workers & Pages > Account details).",
    );
  } else if (accountId !== "" && !ACCOUNT_ID.test(accountId)) {
    problems.push(
      `accountId ${show("accountId")} is not a Cloudflare account id (32 hex digits): ` +
        `${set("accountId", "<32-hex-digit account id>")}.`,
    );
  }

  const workerName = text("workerName") || `do-platform-${stack}`;
  if (!DNS_LABEL.test(workerName)) {
    problems.push(
      `workerName ${JSON.stringify(workerName)} must be 1-63 of a-z 0-9 and -, not starting or ending with -: ` +
        `${set("workerName", `do-platform-${stack}`)}.`,
    );
  }

  const environment = text("environment") || stack;
  if (!ENVIRONMENT.test(environment)) {
    problems.push(
      `environment ${show("environment")} must be 1-64 of A-Z a-z 0-9 . _ -: ${set("environment", stack)}.`,
    );
  }

  const locationHint = text("locationHint") || undefined;
  if (locationHint !== undefined && !isLocationHint(locationHint)) {
    problems.push(
      `locationHint ${show("locationHint")} is not a location hint; use one of: ${LOCATION_HINTS.join(" ")} ` +
        `(${set("locationHint", "enam")}), or leave it empty for none.`,
    );
  }

  const jurisdiction = text("jurisdiction") || undefined;
  if (jurisdiction !== undefined && !isJurisdiction(jurisdiction)) {
    problems.push(
      `jurisdiction ${show("jurisdiction")} is not valid; use one of: ${JURISDICTIONS.join(" ")} ` +
        `(${set("jurisdiction", "eu")}), or leave it empty for none.`,
    );
  }

  const compatibilityDate = text("compatibilityDate");
  const date = new Date(`${compatibilityDate}T00:00:00Z`);
  const isRealDate =
    ISO_DATE.test(compatibilityDate) &&
    !Number.isNaN(date.getTime()) &&
    date.toISOString().slice(0, 10) === compatibilityDate;
  if (!isRealDate) {
    problems.push(
      `compatibilityDate ${show("compatibilityDate")} must be a date like 2026-04-20 (YYYY-MM-DD): ` +
        `${set("compatibilityDate", "2026-04-20")}.`,
    );
  } else if (date.getTime() > (input.today ?? new Date()).getTime()) {
    problems.push(
      `compatibilityDate ${compatibilityDate} is in the future, which Cloudflare refuses: ` +
        `${set("compatibilityDate", "2026-04-20")}.`,
    );
  }

  const compatibilityFlags = parseStringList(text("compatibilityFlags") || "[]");
  if (!compatibilityFlags || compatibilityFlags.some((flag) => !COMPATIBILITY_FLAG.test(flag))) {
    problems.push(
      `compatibilityFlags ${secret.has("compatibilityFlags") ? "[secret]" : text("compatibilityFlags")} must be a list of flag names (a-z 0-9 _), e.g. ` +
        `[nodejs_compat]: pulumi config set --path 'compatibilityFlags[0]' nodejs_compat -s ${stack}.`,
    );
  }

  const smartPlacement = bool("smartPlacement");
  const observability = bool("observability");
  const protect = bool("protect");
  const allowClassDeletion = bool("allowClassDeletion");

  const hostname = text("customDomain");
  const zoneId = text("customDomainZoneId");
  if (hostname !== "" && !HOSTNAME.test(hostname)) {
    problems.push(
      `customDomain ${show("customDomain")} must be a bare lower-case hostname like api.example.com ` +
        `(no scheme, path or port): ${set("customDomain", "api.example.com")}.`,
    );
  }
  if (hostname !== "" && zoneId === "") {
    problems.push(
      `customDomain ${hostname} has no zone: ${set("customDomainZoneId", "<32-hex-digit zone id>")} ` +
        `(the zone that contains ${hostname}; dashboard > the domain > Overview > Zone ID).`,
    );
  }
  if (zoneId !== "" && hostname === "") {
    problems.push(
      `customDomainZoneId is set but customDomain is not: ${set("customDomain", "api.example.com")}, ` +
        `or \`pulumi config rm customDomainZoneId -s ${stack}\`.`,
    );
  }
  if (zoneId !== "" && !ACCOUNT_ID.test(zoneId)) {
    problems.push(
      `customDomainZoneId ${show("customDomainZoneId")} is not a zone id (32 hex digits): ` +
        `${set("customDomainZoneId", "<32-hex-digit zone id>")}.`,
    );
  }

  const workersDevSubdomain = text("workersDevSubdomain") || undefined;
  if (deploy && hostname === "" && workersDevSubdomain === undefined) {
    problems.push(
      `workersDevSubdomain is missing: ${set("workersDevSubdomain", "<your-subdomain>")} ` +
        "(the <your-subdomain> of <your-subdomain>.workers.dev; dashboard > Workers & Pages > Subdomain), " +
        "or serve the stack on a custom domain (customDomain).",
    );
  } else if (workersDevSubdomain !== undefined && !DNS_LABEL.test(workersDevSubdomain)) {
    problems.push(
      `workersDevSubdomain ${show("workersDevSubdomain")} must be a DNS label (the part before .workers.dev): ` +
        `${set("workersDevSubdomain", "<your-subdomain>")}.`,
    );
  }

  if (deploy) {
    const command = configSetCommand(stack, "adminToken", "<token>", true);
    if (text("adminToken") === "") {
      problems.push(`adminToken is missing; the worker's ADMIN_TOKEN secret is set with: ${command}.`);
    } else if (!secret.has("adminToken")) {
      problems.push(
        `adminToken was set without --secret, so Pulumi.${stack}.yaml holds it in clear text: encrypt it with ` +
          `${command}, and rotate the token if that file was shared.`,
      );
    } else if (text("adminToken").length < MIN_ADMIN_TOKEN_LENGTH) {
      // The length only, never the value: a deployed admin token must not be guessable.
      problems.push(
        `adminToken is too short (${text("adminToken").length} characters; a deployed stack needs at least ` +
          `${MIN_ADMIN_TOKEN_LENGTH}): ${configSetCommand(stack, "adminToken", '"$(openssl rand -hex 32)"', true)}.`,
      );
    }
  }

  const limit = Number(text("publicWritesLimit") || "120");
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) {
    problems.push(
      `publicWritesLimit ${show("publicWritesLimit")} must be a whole number of requests from 1 to 1000000: ` +
        `${set("publicWritesLimit", "120")}.`,
    );
  }
  const period = Number(text("publicWritesPeriod") || "60");
  if (period !== 10 && period !== 60) {
    problems.push(
      `publicWritesPeriod ${show("publicWritesPeriod")} must be 10 or 60 (seconds; what Cloudflare's rate ` +
        `limiting binding accepts): ${set("publicWritesPeriod", "60")}.`,
    );
  }

  const corsAllowedOrigins = parseStringList(text("corsAllowedOrigins") || "[]");
  if (!corsAllowedOrigins || corsAllowedOrigins.some((o) => !ORIGIN.test(o))) {
    problems.push(
      `corsAllowedOrigins must be a list of origins like https://app.example.com (scheme and host, no path): ` +
        `pulumi config set --path 'corsAllowedOrigins[0]' https://app.example.com -s ${stack}.`,
    );
  } else if (deploy && corsAllowedOrigins.some((o) => !o.startsWith("https://"))) {
    // A page served over http can be rewritten by anyone on its network path, and would then act with this
    // origin's CORS and write access. Local runs may still list http origins.
    const plain = corsAllowedOrigins.filter((o) => !o.startsWith("https://"));
    problems.push(
      `corsAllowedOrigins of a deployed stack must be https origins, got ${plain.join(", ")}: ` +
        `pulumi config set --path 'corsAllowedOrigins[0]' https://app.example.com -s ${stack}.`,
    );
  }
  const webhookAllowedHosts = parseStringList(text("webhookAllowedHosts") || "[]");
  if (!webhookAllowedHosts || webhookAllowedHosts.some((h) => !HOSTNAME.test(h))) {
    problems.push(
      `webhookAllowedHosts must be a list of host names like hooks.example.com: ` +
        `pulumi config set --path 'webhookAllowedHosts[0]' hooks.example.com -s ${stack}.`,
    );
  }

  const promotedFrom = text("promotedFrom") || undefined;
  if (promotedFrom !== undefined && !STACK_REFERENCE.test(promotedFrom)) {
    problems.push(
      `promotedFrom ${show("promotedFrom")} must name a stack (staging, or organization/do-platform/staging): ` +
        `${set("promotedFrom", "organization/do-platform/staging")}.`,
    );
  }
  const allowBuildMismatch = bool("allowBuildMismatch");
  const allowRejectedBuild = bool("allowRejectedBuild");

  problems.push(
    ...previewProblems({ stack, workerName, protect, promotedFrom, customDomain: hostname || undefined }),
  );
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    settings: {
      stack,
      accountId,
      workerName,
      environment,
      workersDevSubdomain: hostname === "" ? workersDevSubdomain : undefined,
      locationHint: locationHint as LocationHint | undefined,
      jurisdiction: jurisdiction as Jurisdiction | undefined,
      compatibilityDate,
      compatibilityFlags: compatibilityFlags ?? [],
      smartPlacement,
      observability,
      customDomain: hostname === "" ? undefined : { hostname, zoneId },
      protect,
      allowClassDeletion,
      publicWrites: { limit, period: period as 10 | 60 },
      corsAllowedOrigins: corsAllowedOrigins ?? [],
      webhookAllowedHosts: webhookAllowedHosts ?? [],
      promotedFrom,
      allowBuildMismatch,
      allowRejectedBuild,
    },
  };
}

/** One message for all problems, the shape Pulumi prints for a RunError. */
export function formatConfigProblems(stack: string, problems: readonly string[]): string {
  return `Stack "${stack}" is not configured correctly:\n  - ${problems.join("\n  - ")}`;
}

function parseStringList(raw: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}
