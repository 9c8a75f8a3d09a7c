import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PulumiProblem } from "../../scripts/lib/pulumi-errors.ts";
import { resolveTarget, stackConfigValue } from "../../scripts/lib/pulumi-stacks.ts";
import { type FakePulumi, type FakeRule, fakePulumi, PULUMI_MESSAGES } from "../support/fake-pulumi.ts";
import { probeScripts, runScript, type ScriptRun } from "../support/script-process.ts";

const originalPath = process.env.PATH;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  process.env.PATH = originalPath;
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function withFake(rules: FakeRule[]): Promise<FakePulumi> {
  const fake = await fakePulumi(rules);
  cleanups.push(fake.dispose);
  process.env.PATH = `${fake.dir}${path.delimiter}${originalPath}`;
  return fake;
}

async function problemOf(promise: Promise<unknown>): Promise<PulumiProblem> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PulumiProblem);
  return error as PulumiProblem;
}

const selectOk: FakeRule = { args: ["stack", "select"] };

describe("Automation API failures read as one sentence and the command that fixes them", () => {
  it("no Pulumi CLI on PATH", async () => {
    const empty = await mkdtemp(path.join(tmpdir(), "no-pulumi-"));
    cleanups.push(() => rm(empty, { recursive: true, force: true }));
    process.env.PATH = empty;
    const problem = await problemOf(resolveTarget("staging"));
    expect(problem.kind).toBe("no-cli");
    expect(problem.message).toBe(
      "The Pulumi CLI is not installed (no `pulumi` on PATH). Fix: install it from " +
        "https://www.pulumi.com/docs/iac/download-install/ (curl -fsSL https://get.pulumi.com | sh)",
    );
  });

  it("not logged in", async () => {
    await withFake([{ args: ["stack", "select"], stderr: PULUMI_MESSAGES.notLoggedIn, code: 255 }]);
    const problem = await problemOf(resolveTarget("staging"));
    expect(problem.kind).toBe("not-logged-in");
    expect(problem.message).toMatch(/^The Pulumi CLI is not logged in to a backend\. Fix: pulumi login /);
  });

  it("no such stack", async () => {
    await withFake([{ args: ["stack", "select"], stderr: PULUMI_MESSAGES.noStack("staging"), code: 255 }]);
    const problem = await problemOf(resolveTarget("staging"));
    expect(problem.kind).toBe("no-stack");
    expect(problem.message).toMatch(
      /^There is no stack staging in the current Pulumi backend\. Fix: pulumi stack select staging --create/,
    );
  });

  it("no passphrase for a stack's secrets", async () => {
    await withFake([
      selectOk,
      { args: ["config", "--show-secrets"], stderr: PULUMI_MESSAGES.noPassphrase, code: 255 },
    ]);
    const problem = await problemOf(stackConfigValue("staging", "adminToken"));
    expect(problem.kind).toBe("no-passphrase");
    expect(problem.message).toBe(
      "Stack staging keeps its secrets under a passphrase, and none is set. Fix: export " +
        "PULUMI_CONFIG_PASSPHRASE=<the stack's passphrase> (or PULUMI_CONFIG_PASSPHRASE_FILE=<file>)",
    );
  });

  it("a stack with no url output", async () => {
    await withFake([selectOk, { args: ["stack", "output"], stdout: "{}\n" }]);
    const problem = await problemOf(resolveTarget("staging"));
    expect(problem.kind).toBe("no-output");
    expect(problem.message).toBe(
      "Stack staging has no url output yet: it has not been deployed. Fix: pulumi up -s staging",
    );
  });

  it("anything else is cut to the CLI's own error line, never the Automation API's dump", async () => {
    await withFake([{ args: ["stack", "select"], stderr: "warning: x\nerror: the sky fell\n", code: 255 }]);
    const problem = await problemOf(resolveTarget("staging"));
    expect(problem.message).toBe("Pulumi failed: the sky fell");
  });

  it("reads a stack's secret through the CLI, decrypted", async () => {
    const fake = await withFake([
      selectOk,
      {
        args: ["config", "--show-secrets"],
        stdout: JSON.stringify({ "do-platform:adminToken": { value: "s3cret", secret: true } }),
      },
    ]);
    expect(await stackConfigValue("prod", "adminToken")).toBe("s3cret");
    expect(await fake.calls()).toContainEqual([
      "config",
      "--show-secrets",
      "--json",
      "--stack",
      "prod",
      "--non-interactive",
    ]);
  });
});

describe("the scripts print the sentence, one line, exit 1", () => {
  // Each script's real entry module with its command line, the fake CLI answering "no such stack": `urls` as its
  // own process, as a user runs it; `smoke` and `promote` in one probe process beside it (test/support/cli-probe.ts;
  // each separate process loads Pulumi's Automation API and the scripts' dependencies again, ~1 CPU s).
  const cases: [string, string[]][] = [
    ["smoke", ["staging"]],
    ["urls", []],
    ["promote", ["--dry-run"]],
  ];
  let outcomes: Promise<Map<string, ScriptRun>> | undefined;
  function outcome(script: string) {
    outcomes ??= (async () => {
      const fake = await fakePulumi([
        { args: ["stack", "select"], stderr: PULUMI_MESSAGES.noStack("staging"), code: 255 },
        { args: ["stack", "ls"], stderr: PULUMI_MESSAGES.notLoggedIn, code: 255 },
      ]);
      const env = { ...process.env, PATH: `${fake.dir}${path.delimiter}${originalPath}` };
      try {
        const [own, probed] = await Promise.all([
          runScript("scripts/urls.ts", [], env),
          probeScripts(
            cases.filter(([s]) => s !== "urls"),
            env,
          ),
        ]);
        return new Map<string, ScriptRun>([["urls", own], ...probed.map((r) => [r.script, r] as const)]);
      } finally {
        await fake.dispose();
      }
    })();
    return outcomes.then((all) => all.get(script)!);
  }

  it.each(cases)("npm run %s", async (script) => {
    const run = await outcome(script);
    const output = run.stdout + run.stderr;
    expect(run.code).toBe(1);
    expect(output).not.toMatch(/code: -2|stderr:|Command failed|at .*\.js:\d+/);
    expect(output).toMatch(
      script === "urls"
        ? /urls: The Pulumi CLI is not logged in to a backend\. Fix: pulumi login/
        : /There is no stack staging in the current Pulumi backend\. Fix: pulumi stack select staging --create/,
    );
    if (script === "promote")
      expect(output).toMatch(/promotion stopped at pulumi: There is no stack staging/);
  });
});
