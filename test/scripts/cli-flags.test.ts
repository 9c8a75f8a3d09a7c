import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../infra/build.ts";
import { interpretCli } from "../../scripts/lib/cli.ts";
import type { ProbeResult } from "../support/cli-probe.ts";
import { probeScripts, runScript, type ScriptRun } from "../support/script-process.ts";

const spec = {
  name: "demo",
  usage: "usage: npm run demo -- <stack> [--flag X]",
  options: { flag: { type: "string" }, on: { type: "boolean", default: false } },
  positionals: { min: 1, max: 1 },
} as const;

describe("interpretCli", () => {
  it("parses flags and positionals", () => {
    expect(interpretCli(spec, ["staging", "--flag", "x", "--on"])).toEqual({
      kind: "ok",
      values: { flag: "x", on: true },
      positionals: ["staging"],
    });
  });

  it("answers --help and -h with the usage, wherever they are", () => {
    expect(interpretCli(spec, ["--bogus", "-h"])).toEqual({ kind: "help", text: spec.usage });
    expect(interpretCli(spec, ["--help"])).toEqual({ kind: "help", text: spec.usage });
  });

  it.each([
    [["staging", "--bogus"], "npm run demo: Unknown option '--bogus'."],
    [["staging", "--flag"], "npm run demo: Option '--flag <value>' argument missing"],
    [[], "npm run demo: expects 1 argument(s), got 0"],
    [["a", "b"], 'npm run demo: unexpected argument "b"'],
  ])("refuses %j with one line and the usage", (argv, line) => {
    expect(interpretCli(spec, argv)).toEqual({ kind: "error", text: `${line}\n${spec.usage}` });
  });
});

// Every script under scripts/ (a new one is covered by being there), run as a user runs it.
const scripts = readdirSync(path.join(ROOT, "scripts"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3));
const probedArgs = [["--help"], ["--bogus"]];

/** Parsing happens before anything else: no Pulumi CLI on the PATH, no network. */
const withoutPulumi = { ...process.env, PATH: path.dirname(process.execPath) };
const spawnScript = (file: string, args: string[]) => runScript(file, args, withoutPulumi);

// Each script's real entry module under each command line, all in one process (test/support/cli-probe.ts): a
// spawn per script and flag cost ~38 s on two cores, most of it re-loading the same dependencies.
let probed: Promise<ProbeResult[]> | undefined;
function run(script: string, args: string[]): Promise<ScriptRun> {
  probed ??= probeScripts(
    scripts.flatMap((s) => probedArgs.map((a) => [s, a] as const)),
    withoutPulumi,
  );
  return probed.then((results) => {
    const found = results.find((r) => r.script === script && r.args.join(" ") === args.join(" "));
    if (!found) throw new Error(`the CLI probe did not run ${script} ${args.join(" ")}`);
    return { code: found.code, stdout: found.stdout, stderr: found.stderr };
  });
}

describe.each(scripts)("npm run %s", (script) => {
  it("--help prints the usage and exits 0", async () => {
    const { code, stdout } = await run(script, ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^usage: npm run ${script}\\b`));
  });

  it("an unknown flag is one line and the usage, exit 2, no stack trace", async () => {
    const { code, stdout, stderr } = await run(script, ["--bogus"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    const lines = stderr.trimEnd().split("\n");
    expect(lines[0]).toBe(`npm run ${script}: Unknown option '--bogus'.`);
    expect(lines[1]).toMatch(new RegExp(`^usage: npm run ${script}\\b`));
    expect(stderr).not.toMatch(/TypeError|ERR_PARSE_ARGS|\n\s+at /);
  });
});

// The probe above runs each entry module in-process; these two prove the same answers from real separate
// processes (run side by side: each is a full start-up).
describe.concurrent("scripts spawned as their own process answer as in the probe", () => {
  it("npm run status --help prints the usage and exits 0", async () => {
    const spawned = await spawnScript("scripts/status.ts", ["--help"]);
    expect(spawned.code).toBe(0);
    expect(spawned.stdout).toMatch(/^usage: npm run status\b/);
    expect(spawned).toEqual(await run("status", ["--help"]));
  });

  it("npm run smoke --bogus is one line and the usage, exit 2", async () => {
    const spawned = await spawnScript("scripts/smoke.ts", ["--bogus"]);
    expect(spawned.code).toBe(2);
    expect(spawned.stderr.split("\n")[0]).toBe("npm run smoke: Unknown option '--bogus'.");
    expect(spawned).toEqual(await run("smoke", ["--bogus"]));
  });
});
