import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../infra/build.ts";
import type { ProbeResult } from "../support/cli-probe.ts";
import { guideFiles, type ShellCommand, shellCommands } from "../support/readme-examples.ts";
import { probeScripts } from "../support/script-process.ts";

/**
 * The npm-script lines of the guide (README.md and docs/*.md): every one names a script package.json has, and every
 * one that needs no account, no Pulumi CLI and no network runs here as written and succeeds. The curl examples run
 * in test/artifact/readme-examples.test.ts. Their links must lead somewhere.
 */

interface NpmLine {
  readonly where: string;
  readonly script: string;
  readonly args: string[];
}

const packageScripts = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts,
);

/** `npm run [-s] name [-- args]` and `npm test` in a command, up to a comment, a pipe or the next command. */
function npmLines({ file, line, command }: ShellCommand): NpmLine[] {
  const code = command.replace(/(^|\s)#.*$/, "");
  return code
    .split(/&&|\|\|?|;/)
    .map((part) => part.trim().split(/\s+/))
    .flatMap((words) => {
      if (words[0] !== "npm") return [];
      if (words[1] === "test") return [{ where: `${file}:${line}`, script: "test", args: [] }];
      if (words[1] !== "run") return [];
      const rest = words.slice(2).filter((w) => w !== "-s" && w !== "--silent");
      const [script, ...more] = rest;
      if (!script) return [];
      return [{ where: `${file}:${line}`, script, args: more[0] === "--" ? more.slice(1) : more }];
    });
}

const lines = shellCommands().flatMap(npmLines);

/**
 * Scripts that work offline on a checkout: what they need is in the repository. A line runs when it is one of them
 * (or asks for --help) and has no `<placeholder>` to fill in.
 */
const OFFLINE = new Set(["synth", "wrangler-config", "openapi"]);
const runnable = lines.filter(
  (l) => (OFFLINE.has(l.script) || l.args.includes("--help")) && !l.args.some((a) => /[<>]/.test(a)),
);

const outDir = mkdtempSync(path.join(tmpdir(), "doc-commands-"));
/** A file the line would write in the checkout goes to a temp dir instead. */
const runArgs = (l: NpmLine) =>
  l.args.map((a, i) => (l.args[i - 1] === "--out" ? path.join(outDir, path.basename(a)) : a));
const wranglerFiles = runnable
  .filter((l) => l.script === "wrangler-config")
  .map((l) => path.join(ROOT, `wrangler.${l.args[0]}.json`))
  .filter((f) => !existsSync(f));

let results: ProbeResult[] = [];
beforeAll(async () => {
  // --help first: a synth run takes over process.stdout for its JSON (Pulumi logs there), which the probe cannot undo.
  const unique = [...new Map(runnable.map((l) => [`${l.script} ${runArgs(l).join(" ")}`, l])).values()].sort(
    (a, b) => Number(b.args.includes("--help")) - Number(a.args.includes("--help")),
  );
  results = await probeScripts(
    unique.map((l) => [l.script, runArgs(l)] as const),
    { ...process.env, NO_COLOR: "1" },
  );
}, 120_000);
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  // The wrangler configurations this test wrote (git-ignored); a user's own stay.
  for (const file of wranglerFiles) rmSync(file, { force: true });
});

describe("the npm-script lines of the README and docs/", () => {
  it("finds them, and the offline ones among them (synth, wrangler-config, openapi)", () => {
    expect(lines.length).toBeGreaterThan(10);
    expect(new Set(runnable.map((l) => l.script))).toEqual(OFFLINE);
  });

  it.each(lines.map((l) => [`${l.where} npm run ${l.script}`, l] as const))(
    "%s names a script of package.json",
    (_where, l) => {
      expect(packageScripts).toContain(l.script);
    },
  );

  it.each(runnable.map((l) => [`${l.where} npm run ${l.script} ${l.args.join(" ")}`, l] as const))(
    "%s runs offline and succeeds",
    (_where, l) => {
      const args = runArgs(l);
      const run = results.find((r) => r.script === l.script && r.args.join(" ") === args.join(" "));
      expect(run, "the probe did not run this line").toBeDefined();
      expect(run!.code, run!.stderr).toBe(0);
      expect(run!.stderr).not.toMatch(/\n\s+at /);
      if (l.args.includes("--help"))
        expect(run!.stdout).toMatch(new RegExp(`^usage: npm run ${l.script}\\b`));
      else if (l.script !== "wrangler-config" && !l.args.includes("--out")) JSON.parse(run!.stdout);
      const out = args[args.indexOf("--out") + 1];
      if (l.args.includes("--out")) expect(existsSync(out!), `${out} was not written`).toBe(true);
    },
  );
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

function anchorsIn(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/^\s*```[\s\S]*?^\s*```/gm, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));
}

describe("the links of the README and docs/", () => {
  const links = guideFiles().flatMap((file) => {
    const text = readFileSync(file, "utf8").replace(/^\s*```[\s\S]*?^\s*```/gm, "");
    return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z]+:/i.test(target))
      .map((target) => [`${path.relative(ROOT, file)} -> ${target}`, file, target] as const);
  });

  it("finds them", () => {
    expect(links.length).toBeGreaterThan(20);
  });

  it.each(links)("%s exists", (_name, file, target) => {
    const [relative, anchor] = target.split("#") as [string, string | undefined];
    const destination = relative ? path.resolve(path.dirname(file), relative) : file;
    expect(existsSync(destination), `${destination} does not exist`).toBe(true);
    if (anchor && destination.endsWith(".md")) expect([...anchorsIn(destination)]).toContain(anchor);
  });
});

describe("the README's table of npm scripts", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const rows = readme.split("\n").filter((line) => line.startsWith("| `npm "));

  it.each(packageScripts)("has a row for %s", (script) => {
    const names = rows.flatMap((row) => [...row.matchAll(/`npm (?:run )?([\w:-]+)/g)].map((m) => m[1]));
    // `npm run format` / `format:check` share a row: the second is written without `npm run`.
    const shared = rows.some((row) => row.includes(`\`${script}\``));
    expect(names.includes(script) || shared, `add a row for npm run ${script} to README.md`).toBe(true);
  });
});
