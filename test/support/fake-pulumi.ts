import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** One canned answer of the fake CLI: for the first rule whose `args` prefix the command line. */
export interface FakeRule {
  readonly args: readonly string[];
  readonly stdout?: string;
  readonly stderr?: string;
  readonly code?: number;
}

export interface FakePulumi {
  /** A directory holding only the fake `pulumi`: put it first on PATH. */
  readonly dir: string;
  /** Every command line the fake received, in order (without `version`). */
  calls(): Promise<string[][]>;
  dispose(): Promise<void>;
}

/**
 * A `pulumi` executable that answers like the real CLI from canned rules (and `version` always), recording each
 * command line: the Automation API drives it exactly as it drives the real one, so tests see what the scripts make
 * of the CLI's real failure messages. Unmatched commands fail like an unknown command would.
 */
export async function fakePulumi(rules: readonly FakeRule[]): Promise<FakePulumi> {
  const dir = await mkdtemp(path.join(tmpdir(), "fake-pulumi-"));
  await writeFile(path.join(dir, "rules.json"), JSON.stringify(rules));
  const script = `#!${process.execPath}
const fs = require("node:fs");
const path = require("node:path");
const args = process.argv.slice(2);
if (args[0] === "version") { process.stdout.write("v3.200.0\\n"); process.exit(0); }
fs.appendFileSync(path.join(${JSON.stringify(dir)}, "calls.jsonl"), JSON.stringify(args) + "\\n");
const rules = JSON.parse(fs.readFileSync(path.join(${JSON.stringify(dir)}, "rules.json"), "utf8"));
const rule = rules.find((r) => r.args.every((a, i) => args[i] === a));
if (!rule) { process.stderr.write("error: fake pulumi has no rule for: " + args.join(" ") + "\\n"); process.exit(255); }
if (rule.stdout) process.stdout.write(rule.stdout);
if (rule.stderr) process.stderr.write(rule.stderr);
process.exit(rule.code ?? 0);
`;
  await writeFile(path.join(dir, "pulumi"), script, { mode: 0o755 });
  return {
    dir,
    async calls() {
      const text = await readFile(path.join(dir, "calls.jsonl"), "utf8").catch(() => "");
      return text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[]);
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The real CLI's messages for the failures the scripts translate (Pulumi 3.x). */
export const PULUMI_MESSAGES = {
  noStack: (stack: string) => `error: no stack named '${stack}' found\n`,
  notLoggedIn: "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n",
  noPassphrase:
    "error: getting stack configuration: get stack secrets manager: passphrase must be set with " +
    "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables\n",
};
