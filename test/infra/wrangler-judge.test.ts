import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, describe, it } from "vitest";
import { ROOT } from "../../infra/build.ts";
import { localStackSettings } from "../../infra/stack-environment.ts";
import { wranglerConfig } from "../../infra/wrangler-config.ts";

// wrangler as a second judge of what Pulumi sends: the configuration generated from the manifest and a stack's
// settings goes through wrangler's own validation and a dry-run build. wrangler only *warns* about, e.g., a bound
// class without a live `exports` entry, so every configuration warning counts as a failure here.
//
// `exports` needs wrangler >= 4.164, which needs Node >= 22.12 (the project's own Node, see README). Until both are
// installed this suite reports itself skipped with the reason; WRANGLER_JUDGE_NODE / WRANGLER_JUDGE_WRANGLER point
// it at another Node binary / wrangler.js.
const MIN_WRANGLER = [4, 164];
const MIN_NODE = [22, 12];
const node = process.env.WRANGLER_JUDGE_NODE ?? process.execPath;
const wranglerJs =
  process.env.WRANGLER_JUDGE_WRANGLER ?? path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

const atLeast = (version: string, min: number[]) => {
  const [major = 0, minor = 0] = version.replace(/^v/, "").split(".").map(Number);
  return major > (min[0] ?? 0) || (major === min[0] && minor >= (min[1] ?? 0));
};

function run(file: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      {
        env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", WRANGLER_SEND_METRICS: "false" },
        timeout: 120_000,
      },
      (error, stdout, stderr) =>
        done({
          code: error ? Number(error.code ?? 1) : 0,
          // wrangler colours its warnings even when told not to: read them without the escape codes.
          output: stripVTControlCharacters(`${stdout}\n${stderr}`),
        }),
    );
  });
}

const nodeVersion = (await run(node, ["--version"])).output.trim();
const wranglerVersion = JSON.parse(
  await readFile(path.join(path.dirname(wranglerJs), "../package.json"), "utf8"),
).version as string;
const ready = atLeast(nodeVersion, MIN_NODE) && atLeast(wranglerVersion, MIN_WRANGLER);
const why = ready
  ? ""
  : ` (skipped: needs Node >= 22.12 and wrangler >= 4.164; have ${nodeVersion}, ${wranglerVersion})`;

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Writes `config` and runs `wrangler deploy --dry-run` on it; returns wrangler's verdict. */
async function judge(mutate: (config: Record<string, unknown>) => void, stack: string) {
  const dir = await mkdtemp(path.join(tmpdir(), "wrangler-judge-"));
  dirs.push(dir);
  const settings = localStackSettings(stack);
  if (!settings.ok) throw new Error(settings.problems.join("\n"));
  const config = { ...wranglerConfig(settings.settings, { configDir: dir, buildId: "judge" }) } as Record<
    string,
    unknown
  >;
  mutate(config);
  const file = path.join(dir, "wrangler.json");
  await writeFile(file, JSON.stringify(config, null, 2));
  const { code, output } = await run(node, [
    wranglerJs,
    "deploy",
    "--dry-run",
    "--outdir",
    path.join(dir, "out"),
    "--config",
    file,
  ]);
  const warnings = output.split("\n").filter((line) => /\[WARNING\]|\[ERROR\]/.test(line));
  return { code, output, warnings };
}

// The three judgements are three wrangler processes (~2 CPU s each, mostly loading wrangler): they run side by
// side, not one after another.
describe.concurrent("wrangler as a second judge", () => {
  describe.skipIf(!ready).each(["staging", "prod"])(`wrangler judges stack %s${why}`, (stack) => {
    it("accepts the generated configuration: validation and dry-run build, no warning", async ({
      expect,
    }) => {
      const verdict = await judge(() => {}, stack);
      expect(verdict.warnings, verdict.output).toEqual([]);
      expect(verdict.code, verdict.output).toBe(0);
      expect(verdict.output).toContain("--dry-run: exiting now.");
    }, 180_000);
  });

  describe.skipIf(!ready)(`wrangler's judgement can fail${why}`, () => {
    it("a bound class missing from `exports` is a warning, which this judge counts as a failure", async ({
      expect,
    }) => {
      const verdict = await judge((config) => {
        const { Counter: _dropped, ...rest } = config.exports as Record<string, unknown>;
        config.exports = rest;
      }, "staging");
      expect(verdict.warnings.join("\n"), verdict.output).toMatch(/WARNING/);
      expect(verdict.output).toMatch(/no live `exports` entry/);
    }, 180_000);
  });
});
