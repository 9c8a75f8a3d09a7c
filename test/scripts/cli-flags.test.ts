import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../infra/build.ts";
import { interpretCli, stackNameProblem } from "../../scripts/lib/cli.ts";
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

  it("takes a negative number as a flag's value, for the script to judge (not 'ambiguous')", () => {
    expect(interpretCli(spec, ["staging", "--flag", "-1"])).toMatchObject({
      kind: "ok",
      values: { flag: "-1" },
    });
  });
});

describe("stackNameProblem", () => {
  it.each([
    ["staging", undefined],
    ["pr-42", undefined],
    ["stagin", 'there is no stack "stagin" (no Pulumi.stagin.yaml): did you mean staging?'],
    ["production", 'there is no stack "production" (no Pulumi.production.yaml): did you mean prod?'],
    ["prd", 'there is no stack "prd" (no Pulumi.prd.yaml): did you mean prod?'],
    ["qa", 'there is no stack "qa" (no Pulumi.qa.yaml): use prod, staging or a preview pr-<number>.'],
    [
      "pr-abc",
      'there is no stack "pr-abc": a preview stack is pr-<number>, the pull request\'s number (e.g. pr-42).',
    ],
  ])("%s: %s", (stack, problem) => {
    expect(stackNameProblem(stack)).toBe(problem);
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
/**
 * A mistyped stack name or value, per script that takes one: the first line of what it must answer (then the
 * usage, exit 2). Each used to end in a stack trace or a message that named no fix.
 */
const mistakes: readonly (readonly [script: string, args: string[], line: string])[] = [
  ["synth", ["stagin"], 'there is no stack "stagin" (no Pulumi.stagin.yaml): did you mean staging?'],
  ["synth", ["production"], 'there is no stack "production" (no Pulumi.production.yaml): did you mean prod?'],
  [
    "synth",
    ["pr-abc"],
    'there is no stack "pr-abc": a preview stack is pr-<number>, the pull request\'s number (e.g. pr-42).',
  ],
  ["wrangler-config", ["prd"], 'there is no stack "prd" (no Pulumi.prd.yaml): did you mean prod?'],
  ["rollback", ["prd"], 'there is no stack "prd" (no Pulumi.prd.yaml): did you mean prod?'],
  ["smoke", ["stagin"], 'there is no stack "stagin" (no Pulumi.stagin.yaml): did you mean staging?'],
  ["status", ["prod", "stagin"], 'there is no stack "stagin" (no Pulumi.stagin.yaml): did you mean staging?'],
  ["logs", ["prd"], 'there is no stack "prd" (no Pulumi.prd.yaml): did you mean prod?'],
  ["rotate-token", ["stagin"], 'there is no stack "stagin" (no Pulumi.stagin.yaml): did you mean staging?'],
  ["promote", ["--to", "prd"], 'there is no stack "prd" (no Pulumi.prd.yaml): did you mean prod?'],
  ["promote", ["--wait", "-1"], '--wait takes a number of seconds, 0 or more (e.g. --wait 5), got "-1"'],
  ["deploy", ["stagin"], 'there is no stack "stagin" (no Pulumi.stagin.yaml): did you mean staging?'],
  ["deploy", ["pr-42"], "pr-42 is a preview stack: deploy it with npm run preview -- up 42"],
  ["dev", ["--env", "stagin"], 'there is no stack "stagin" (no Pulumi.stagin.yaml): did you mean staging?'],
  ["adopt", ["prd"], 'there is no stack "prd" (no Pulumi.prd.yaml): did you mean prod?'],
];

let probed: Promise<ProbeResult[]> | undefined;
function run(script: string, args: string[]): Promise<ScriptRun> {
  probed ??= probeScripts(
    [
      ...scripts.flatMap((s) => probedArgs.map((a) => [s, a] as const)),
      ...mistakes.map(([s, a]) => [s, a] as const),
    ],
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

/**
 * The packages that take half a second or more to load (Pulumi, Cloudflare's SDK, Miniflare, wrangler): a script
 * imports them with `await import(...)` after parseCli, so --help and a usage error do not wait for them. Read from
 * the source, not timed: a static import chain from a script to one of them is what made its --help take a second.
 */
const HEAVY_PACKAGES = ["@pulumi/pulumi", "@pulumi/cloudflare", "cloudflare", "miniflare", "wrangler"];
/** `import ... from "x"`, `import "x"`, `export ... from "x"`; `import type` and `export type` are erased. */
const STATIC_IMPORT = /^(?:import|export)\s+(type\s+)?(?:[^;"']*?\s+from\s+)?["']([^"']+)["']/gm;
/** The heavy packages a module's static imports reach, each with the chain of files that reaches it. */
function heavyImports(file: string, chain: string[] = [], seen = new Set<string>()): Map<string, string> {
  const found = new Map<string, string>();
  if (seen.has(file)) return found;
  seen.add(file);
  const here = [...chain, path.relative(ROOT, file)];
  for (const [, typeOnly, specifier = ""] of readFileSync(file, "utf8").matchAll(STATIC_IMPORT)) {
    if (typeOnly) continue;
    if (specifier.startsWith(".")) {
      for (const [name, via] of heavyImports(path.resolve(path.dirname(file), specifier), here, seen))
        if (!found.has(name)) found.set(name, via);
    } else {
      const name = specifier
        .split("/")
        .slice(0, specifier.startsWith("@") ? 2 : 1)
        .join("/");
      if (HEAVY_PACKAGES.includes(name) && !found.has(name)) found.set(name, here.join(" > "));
    }
  }
  return found;
}

describe("scripts read their arguments before loading Pulumi, Cloudflare's SDK, Miniflare or wrangler", () => {
  it.each(scripts)("npm run %s imports none of them statically", (script) => {
    const found = heavyImports(path.join(ROOT, "scripts", `${script}.ts`));
    expect([...found].map(([name, via]) => `${name} (${via})`)).toEqual([]);
  });
});

describe.each(mistakes.map(([s, a, line]) => [`${s} ${a.join(" ")}`, s, a, line] as const))(
  "npm run %s",
  (_name, script, args, line) => {
    it("answers one sentence with the fix, then the usage: exit 2, no stack trace", async () => {
      const { code, stdout, stderr } = await run(script, args);
      expect(stderr.split("\n")[0]).toBe(`npm run ${script}: ${line}`);
      expect(stderr.split("\n")[1]).toMatch(new RegExp(`^usage: npm run ${script}\\b`));
      expect(stderr).not.toMatch(/\n\s+at |Error:/);
      expect(stdout).toBe("");
      expect(code).toBe(2);
    });
  },
);

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
