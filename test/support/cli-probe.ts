// Runs many scripts' real entry modules under many command lines in ONE Node process, and prints what each would
// have printed and exited with, as JSON on stdout. test/scripts/cli-flags.test.ts uses it: spawning a process for
// every script twice cost ~38 s on two cores (each spawn re-loads Pulumi, esbuild, ...); here the shared
// dependencies load once. Usage: node test/support/cli-probe.ts '<json [script, argv][]>'
//
// Faithful to a real run where it matters for flag parsing: the script module is imported exactly as `node
// scripts/<name>.ts` (what `npm run <name>` runs) would run it, with process.argv set; the first process.exit()
// ends that run (its code is the exit code, nothing written after it counts, as nothing is written after a real
// exit); an error escaping the module is printed the way Node prints an uncaught error (with its stack) and exits 1.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";

export interface ProbeResult {
  script: string;
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

class ExitCalled extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`process.exit(${code})`);
    this.code = code;
  }
}

const root = path.resolve(import.meta.dirname, "../..");
const runs = JSON.parse(process.argv[2] ?? "[]") as [string, string[]][];
const realExit = process.exit.bind(process);
const realStdoutWrite = process.stdout.write.bind(process.stdout);
const realStderrWrite = process.stderr.write.bind(process.stderr);

// An exit thrown out of a callback or a caught-and-rethrown one is the run ending, not a crash of the probe.
process.on("unhandledRejection", (reason) => {
  if (!(reason instanceof ExitCalled)) current?.fail(reason);
});
process.on("uncaughtException", (error) => {
  if (!(error instanceof ExitCalled)) current?.fail(error);
});

let current: { fail(error: unknown): void } | undefined;
const results: ProbeResult[] = [];

for (const [index, [script, args]] of runs.entries()) {
  const result: ProbeResult = { script, args, code: null, stdout: "", stderr: "" };
  let ended = false;
  let end = () => {};
  const exited = new Promise<void>((resolve) => (end = resolve));
  const finish = (code: number) => {
    if (ended) return;
    ended = true;
    result.code = code;
    end();
  };
  current = {
    fail(error) {
      if (ended) return;
      result.stderr += `${inspect(error)}\n`;
      finish(1);
    },
  };
  const capture = (key: "stdout" | "stderr") =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (!ended) result[key] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture("stdout");
  process.stderr.write = capture("stderr");
  process.exit = ((code?: number | string | null) => {
    const n = Number(code ?? process.exitCode ?? 0);
    finish(n);
    throw new ExitCalled(n);
  }) as typeof process.exit;
  process.exitCode = undefined;
  process.argv = [process.argv[0]!, path.join(root, "scripts", `${script}.ts`), ...args];
  // The query gives each run its own instance of the entry module (its dependencies stay shared).
  const url = `${pathToFileURL(path.join(root, "scripts", `${script}.ts`)).href}?probe=${index}`;
  import(url).then(
    () => finish(Number(process.exitCode ?? 0)),
    (error) => (error instanceof ExitCalled ? finish(error.code) : current?.fail(error)),
  );
  await exited;
  results.push(result);
}

process.stdout.write = realStdoutWrite;
process.stderr.write = realStderrWrite;
realStdoutWrite(`${JSON.stringify(results)}\n`, () => realExit(0));
