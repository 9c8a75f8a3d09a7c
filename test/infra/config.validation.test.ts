import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { StackConfigError } from "../../infra/config.ts";
import { projectConfigDefaults } from "../../infra/project-file.ts";
import { type StackConfigInput, validateStackConfig } from "../../infra/stack-settings.ts";
import { runProgramUnderMocks } from "../../scripts/lib/pulumi-mocks.ts";
import { LOCATION_HINTS } from "../../worker/platform.ts";
import { ACCOUNT, ZONE } from "./deploy-fixtures.ts";

const today = new Date("2026-11-22T12:00:00Z");
/** 32 characters: the shortest admin token a deployed stack accepts. */
const STRONG_TOKEN = "0123456789abcdef0123456789abcdef";
/** A deployable staging config (Pulumi.yaml defaults underneath), with `changes` on top. */
const input = (
  changes: Record<string, string> = {},
  rest: Partial<StackConfigInput> = {},
): StackConfigInput => ({
  stack: "staging",
  values: {
    ...projectConfigDefaults(),
    accountId: ACCOUNT,
    workersDevSubdomain: "acme",
    adminToken: STRONG_TOKEN,
    ...changes,
  },
  secretKeys: ["adminToken"],
  purpose: "deploy",
  today,
  ...rest,
});
const problemsOf = (i: StackConfigInput) => {
  const result = validateStackConfig(i);
  return result.ok ? [] : result.problems;
};

describe("validateStackConfig", () => {
  it("accepts a complete stack and applies the documented defaults", () => {
    const result = validateStackConfig(input({ locationHint: "wnam" }));
    expect(result).toEqual({
      ok: true,
      settings: {
        stack: "staging",
        accountId: ACCOUNT,
        workerName: "do-platform-staging",
        environment: "staging",
        workersDevSubdomain: "acme",
        locationHint: "wnam",
        jurisdiction: undefined,
        compatibilityDate: "2026-08-22",
        compatibilityFlags: [],
        smartPlacement: false,
        observability: true,
        customDomain: undefined,
        protect: false,
        allowClassDeletion: false,
        publicWrites: { limit: 120, period: 60 },
        corsAllowedOrigins: [],
        webhookAllowedHosts: [],
        promotedFrom: undefined,
        allowBuildMismatch: false,
        allowRejectedBuild: false,
      },
    });
  });

  it.each<[string, Record<string, string>, string | RegExp]>([
    [
      "an unknown location hint names the valid values",
      { locationHint: "mars" },
      `locationHint "mars" is not a location hint; use one of: ${LOCATION_HINTS.join(" ")}`,
    ],
    [
      "an unknown jurisdiction names the valid values",
      { jurisdiction: "us" },
      'jurisdiction "us" is not valid; use one of: eu fedramp',
    ],
    [
      "a malformed date",
      { compatibilityDate: "20-04-2026" },
      'compatibilityDate "20-04-2026" must be a date like 2026-04-20 (YYYY-MM-DD): pulumi config set compatibilityDate 2026-04-20 -s staging',
    ],
    [
      "an impossible date",
      { compatibilityDate: "2026-02-30" },
      'compatibilityDate "2026-02-30" must be a date',
    ],
    [
      "a date in the future",
      { compatibilityDate: "2026-12-01" },
      "compatibilityDate 2026-12-01 is in the future",
    ],
    [
      "a hostname without its zone",
      { customDomain: "api.example.com" },
      "customDomain api.example.com has no zone: pulumi config set customDomainZoneId <32-hex-digit zone id> -s staging",
    ],
    [
      "a zone without a hostname",
      { customDomainZoneId: ZONE },
      "customDomainZoneId is set but customDomain is not",
    ],
    [
      "a URL where a hostname belongs",
      { customDomain: "https://api.example.com/", customDomainZoneId: ZONE },
      /customDomain "https:\/\/api\.example\.com\/" must be a bare lower-case hostname/,
    ],
    [
      "a missing account id says what to set and how",
      { accountId: "" },
      "accountId is missing: pulumi config set accountId <32-hex-digit account id> -s staging",
    ],
    [
      "a malformed account id",
      { accountId: "my-account" },
      'accountId "my-account" is not a Cloudflare account id (32 hex digits)',
    ],
    [
      "a missing workers.dev subdomain",
      { workersDevSubdomain: "" },
      "workersDevSubdomain is missing: pulumi config set workersDevSubdomain <your-subdomain> -s staging",
    ],
    ["a bad worker name", { workerName: "Bad_Name" }, 'workerName "Bad_Name" must be 1-63 of a-z 0-9 and -'],
    [
      "a boolean that is not one",
      { protect: "yes" },
      'protect must be true or false, got "yes": pulumi config set protect true -s staging',
    ],
    [
      "flags that are not a list",
      { compatibilityFlags: "nodejs_compat" },
      /compatibilityFlags nodejs_compat must be a list of flag names/,
    ],
    [
      "a malformed flag",
      { compatibilityFlags: '["nodejs compat"]' },
      /compatibilityFlags \["nodejs compat"\] must be a list/,
    ],
    [
      "a mistyped key, with a suggestion",
      { locationhint: "wnam" },
      '"locationhint" is not a setting of this project (did you mean locationHint?)',
    ],
    [
      "a missing admin token, naming the exact command",
      { adminToken: "" },
      "adminToken is missing; the worker's ADMIN_TOKEN secret is set with: pulumi config set --secret adminToken <token> -s staging",
    ],
  ])("refuses %s", (_label, changes, message) => {
    const problems = problemsOf(input(changes));
    expect(problems).toHaveLength(1);
    if (typeof message === "string") expect(problems[0]).toContain(message);
    else expect(problems[0]).toMatch(message);
  });

  it("refuses an admin token set without --secret, without echoing it", () => {
    const [problem, ...rest] = problemsOf(input({}, { secretKeys: [] }));
    expect(rest).toEqual([]);
    expect(problem).toContain("adminToken was set without --secret");
    expect(problem).toContain("pulumi config set --secret adminToken <token> -s staging");
    expect(problem).not.toContain("t0ken");
  });

  it("needs no workers.dev subdomain when a custom domain serves the stack", () => {
    const result = validateStackConfig(
      input({ workersDevSubdomain: "", customDomain: "api.example.com", customDomainZoneId: ZONE }),
    );
    expect(result).toMatchObject({
      ok: true,
      settings: {
        customDomain: { hostname: "api.example.com", zoneId: ZONE },
        workersDevSubdomain: undefined,
      },
    });
  });

  it("needs no account, subdomain or secret for a local run, but checks the runtime settings", () => {
    const local = {
      ...input({ accountId: "", workersDevSubdomain: "", adminToken: "" }),
      purpose: "local" as const,
    };
    expect(validateStackConfig(local).ok).toBe(true);
    expect(problemsOf({ ...local, values: { ...local.values, locationHint: "mars" } })).toEqual([
      expect.stringContaining('locationHint "mars" is not a location hint'),
    ]);
  });

  it("reports every problem at once", () => {
    const problems = problemsOf(
      input({ accountId: "", locationHint: "mars", compatibilityDate: "2026-13-45" }),
    );
    expect(problems).toEqual([
      expect.stringContaining("accountId is missing"),
      expect.stringContaining('locationHint "mars"'),
      expect.stringContaining('compatibilityDate "2026-13-45"'),
    ]);
  });
});

describe("stack config errors from the Pulumi program", () => {
  it("stop the deploy with one StackConfigError that Pulumi prints without a stack trace", async () => {
    const run = runProgramUnderMocks({ stack: "prod", config: { locationHint: "mars" } });
    await expect(run).rejects.toBeInstanceOf(StackConfigError);
    await expect(run).rejects.toSatisfy((error) => pulumi.RunError.isInstance(error));
    await expect(run).rejects.toThrow(
      /^Stack "prod" is not configured correctly:\n {2}- accountId is missing/,
    );
    await expect(run).rejects.toThrow(/locationHint "mars" is not a location hint/);
    await expect(run).rejects.toThrow("pulumi config set --secret adminToken <token> -s prod");
  });
});

describe("security and promotion settings", () => {
  const base = {
    accountId: "0123456789abcdef0123456789abcdef",
    workersDevSubdomain: "acme",
    adminToken: STRONG_TOKEN,
    compatibilityDate: "2026-04-20",
  };
  const validate = (values: Record<string, string>) =>
    validateStackConfig({
      stack: "prod",
      values: { ...base, ...values },
      secretKeys: ["adminToken"],
      purpose: "deploy",
    });

  it("reads the rate limit, CORS origins, webhook hosts and the promotion source", () => {
    const result = validate({
      publicWritesLimit: "30",
      publicWritesPeriod: "10",
      corsAllowedOrigins: '["https://app.example.com"]',
      webhookAllowedHosts: '["hooks.example.com"]',
      promotedFrom: "organization/do-platform/staging",
    });
    expect(result.ok && result.settings).toMatchObject({
      publicWrites: { limit: 30, period: 10 },
      corsAllowedOrigins: ["https://app.example.com"],
      webhookAllowedHosts: ["hooks.example.com"],
      promotedFrom: "organization/do-platform/staging",
    });
  });

  it("names each malformed one and how to set it", () => {
    const result = validate({
      publicWritesLimit: "0",
      publicWritesPeriod: "30",
      corsAllowedOrigins: '["app.example.com/path"]',
      webhookAllowedHosts: '["https://hooks.example.com"]',
      promotedFrom: "no spaces allowed",
    });
    expect(result.ok).toBe(false);
    const text = result.ok ? "" : result.problems.join("\n");
    expect(text).toMatch(/publicWritesLimit "0" must be a whole number/);
    expect(text).toMatch(/publicWritesPeriod "30" must be 10 or 60/);
    expect(text).toMatch(/corsAllowedOrigins must be a list of origins/);
    expect(text).toMatch(/webhookAllowedHosts must be a list of host names/);
    expect(text).toMatch(/promotedFrom "no spaces allowed" must name a stack/);
  });

  it("refuses an admin token under 32 characters for a deployed stack, without echoing it", () => {
    for (const token of ["a", "x".repeat(31)]) {
      const result = validate({ adminToken: token });
      expect(result.ok).toBe(false);
      const text = result.ok ? "" : result.problems.join("\n");
      expect(text).toContain(`adminToken is too short (${token.length} characters`);
      expect(text).toContain("pulumi config set --secret adminToken");
      if (token.length > 1) expect(text).not.toContain(token);
    }
    expect(validate({ adminToken: "x".repeat(32) }).ok).toBe(true);
  });

  it("takes only https CORS origins for a deployed stack; a local run may list http ones", () => {
    const origins = '["https://app.example.com", "http://app.example.com"]';
    const result = validate({ corsAllowedOrigins: origins });
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.problems.join("\n")).toMatch(
      /corsAllowedOrigins of a deployed stack must be https origins, got http:\/\/app\.example\.com/,
    );
    const local = validateStackConfig({
      stack: "prod",
      values: { ...base, accountId: "", adminToken: "", corsAllowedOrigins: origins },
      secretKeys: [],
      purpose: "local",
    });
    expect(local.ok && local.settings.corsAllowedOrigins).toEqual([
      "https://app.example.com",
      "http://app.example.com",
    ]);
  });
});
