import { execFile } from "node:child_process";
import { ROOT } from "../../infra/build.ts";
import type { ProbeResult } from "./cli-probe.ts";

/** What a script printed and exited with. */
export interface ScriptRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node <file> ...args` from the repository, as `npm run <name>` runs a script, with both streams collected. */
export function runScript(
  file: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  /** Kill the script after this long (it then counts as exit 1): for a test whose failure would be a hang. */
  options: { readonly timeoutMs?: number } = {},
): Promise<ScriptRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [file, ...args],
      {
        cwd: ROOT,
        env,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        ...(options.timeoutMs ? { timeout: options.timeoutMs, killSignal: "SIGKILL" as const } : {}),
      },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * Many scripts' real entry modules under many command lines in ONE process (test/support/cli-probe.ts says how and
 * why); throws when the probe itself fails.
 */
export async function probeScripts(
  runs: readonly (readonly [script: string, args: readonly string[]])[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProbeResult[]> {
  const probe = await runScript("test/support/cli-probe.ts", [JSON.stringify(runs)], env);
  if (probe.code !== 0) throw new Error(`the CLI probe failed (${probe.code}):\n${probe.stderr}`);
  return JSON.parse(probe.stdout) as ProbeResult[];
}
