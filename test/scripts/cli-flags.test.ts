import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../infra/build.ts";
import { interpretCli } from "../../scripts/lib/cli.ts";

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

function run(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", `scripts/${script}.ts`, ...args], {
      cwd: ROOT,
      // No Pulumi CLI and no network are needed: parsing happens before anything else.
      env: { ...process.env, PATH: path.dirname(process.execPath) },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
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
