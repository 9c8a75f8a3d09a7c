// Deploy credentials reach only the code that needs them: the deploy workflows hand credentials only to the steps that deploy, smoke or promote;
// production runs only from main; the Pulumi CLI is pinned; Pulumi Cloud is reached by OIDC token exchange.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../infra/build.ts";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  id?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const dir = join(ROOT, ".github", "workflows");
const workflows = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((file) => ({ file, workflow: parse(readFileSync(join(dir, file), "utf8")) as Workflow }));
const jobs = workflows.flatMap(({ file, workflow }) =>
  Object.entries(workflow.jobs).map(([id, job]) => ({ where: `${file} ${id}`, file, job })),
);
const steps = jobs.flatMap(({ where, job }) =>
  job.steps.map((step, i) => ({
    where: `${where} step ${step.name ?? step.run ?? step.uses ?? i}`,
    job,
    step,
  })),
);

const usesSecrets = (value: unknown) => /\bsecrets\./.test(JSON.stringify(value ?? {}));
const environmentOf = (job: Job) =>
  typeof job.environment === "string" ? job.environment : job.environment?.name;
/**
 * The only commands that may hold a credential: the deploy, the smoke checks, the promotion and its policy
 * preview, and a pull request's preview stack.
 */
const CREDENTIALED_RUN = /^(?:pulumi (?:up|preview)\b|npm run (?:smoke|promote|preview)\b)/;
/** The environments that hold credentials, each with its own (never repository-wide) secrets. */
const DEPLOY_ENVIRONMENTS = /^(?:staging|production|preview)$/;

describe("deploy workflows and their credentials", () => {
  it("finds the workflows", () => {
    expect(workflows.map((w) => w.file)).toEqual(
      expect.arrayContaining(["ci.yml", "deploy-staging.yml", "promote-prod.yml"]),
    );
  });

  it("no workflow or job hands out secrets in its env: only steps do", () => {
    for (const { file, workflow } of workflows) expect(usesSecrets(workflow.env), file).toBe(false);
    for (const { where, job } of jobs) expect(usesSecrets(job.env), where).toBe(false);
  });

  it("only the deploy, smoke and promote steps see a secret", () => {
    const holders = steps.filter(({ step }) => usesSecrets(step.env) || usesSecrets(step.with));
    expect(holders.length).toBeGreaterThan(0);
    for (const { where, step } of holders) {
      expect(step.run ?? "", `${where} holds a secret`).toMatch(CREDENTIALED_RUN);
    }
  });

  it("install and test steps run with no secret, and the tests run in a job with no environment", () => {
    const installOrTest = steps.filter(({ step }) => /^npm (?:ci|test)\b/.test(step.run ?? ""));
    expect(installOrTest.length).toBeGreaterThan(0);
    for (const { where, step } of installOrTest) expect(step.env, where).toBeUndefined();
    for (const { where, job } of steps.filter(({ step }) => /^npm test\b/.test(step.run ?? ""))) {
      expect(environmentOf(job), where).toBeUndefined();
    }
  });

  it("a job that may ask for an OIDC token is one that deploys from a protected environment", () => {
    for (const { where, job } of jobs.filter(({ job }) => job.permissions?.["id-token"] === "write")) {
      expect(environmentOf(job), where).toMatch(DEPLOY_ENVIRONMENTS);
    }
    for (const { file, workflow } of workflows)
      expect(workflow.permissions?.["id-token"], file).toBeUndefined();
  });

  it("production runs only from main", () => {
    const prod = jobs.filter(({ job }) => environmentOf(job) === "production");
    expect(prod.length).toBeGreaterThan(0);
    for (const { where, job } of prod)
      expect(job.if?.replace(/\s+/g, " "), where).toContain("github.ref == 'refs/heads/main'");
  });

  it("staging and prod read their secrets from their own environment", () => {
    for (const { where, job } of jobs) {
      if (!job.steps.some((step) => usesSecrets(step.env))) continue;
      expect(environmentOf(job), `${where} reads secrets outside an environment`).toMatch(
        DEPLOY_ENVIRONMENTS,
      );
    }
    const notProd = jobs.filter(({ job }) => ["staging", "preview"].includes(environmentOf(job) ?? ""));
    for (const { where, job } of notProd)
      expect(JSON.stringify(job), where).not.toContain("ADMIN_TOKEN_PROD");
  });

  it("pins the Pulumi CLI to an exact version", () => {
    const installs = steps.filter(({ step }) => step.uses?.startsWith("pulumi/actions@"));
    expect(installs.length).toBeGreaterThan(0);
    for (const { where, step } of installs) {
      expect(String(step.with?.["pulumi-version"] ?? "(default: newest 3.x)"), where).toMatch(
        /^\d+\.\d+\.\d+$/,
      );
    }
  });

  it("logs in to Pulumi Cloud by OIDC token exchange, its token kept as a step output", () => {
    for (const { where, job } of jobs.filter(({ job }) =>
      job.steps.some((s) => CREDENTIALED_RUN.test(s.run ?? "")),
    )) {
      const login = job.steps.find((s) => s.uses?.startsWith("pulumi/auth-actions@"));
      expect(login, `${where} has no pulumi/auth-actions step`).toBeDefined();
      expect(login?.with?.["export-environment-variables"], where).toBe(false);
      for (const step of job.steps.filter((s) => CREDENTIALED_RUN.test(s.run ?? ""))) {
        expect(step.env?.PULUMI_ACCESS_TOKEN, where).toContain(
          `steps.${login?.id}.outputs.pulumi-access-token`,
        );
      }
    }
  });

  it("deploys a pull request's preview only from the repository itself, never from a fork", () => {
    const previews = jobs.filter(({ job }) => environmentOf(job) === "preview");
    expect(previews.length).toBeGreaterThan(0);
    for (const { where, job } of previews) {
      expect(job.if?.replace(/\s+/g, " "), where).toContain(
        "github.event.pull_request.head.repo.full_name == github.repository",
      );
    }
  });

  it("pins every action to a commit SHA", () => {
    for (const { where, step } of steps.filter(({ step }) => step.uses)) {
      expect(step.uses, where).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    }
  });
});

describe("the prod promotion workflow", () => {
  const promoteJob = jobs.find(({ where }) => where.startsWith("promote-prod.yml"));
  const stepNamed = (name: string) =>
    (
      (promoteJob?.job as { steps?: { name?: string; env?: Record<string, string>; run?: string }[] })
        ?.steps ?? []
    ).find((s) => s.name === name);

  it("gives wrangler and Cloudflare's SDK the account id in the promote step", () => {
    expect(stepNamed("npm run promote")?.env).toHaveProperty("CLOUDFLARE_ACCOUNT_ID");
  });

  it("hands the policies the classes prod has and the build it serves (stale tombstones, rotations)", () => {
    const run = stepNamed("Policies before prod (infra/policy, CrossGuard)")?.run ?? "";
    expect(run).toContain('"provisionedClasses"');
    expect(run).toContain("pulumi stack output classes --stack prod");
    expect(run).toContain('"servingBuildId"');
  });
});
