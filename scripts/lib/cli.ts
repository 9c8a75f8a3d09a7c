import { readdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { isPreviewStack } from "../../infra/preview-stacks.ts";

/** The repository (infra/build.ts has the same; not imported here, so --help never waits for esbuild to load). */
export const ROOT = path.resolve(import.meta.dirname, "../..");

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/**
 * Flag parsing for every script under scripts/: one place decides what a bad command line looks like, so every
 * script answers `--help` (usage on stdout, exit 0) and refuses an unknown flag, a missing value or a wrong number
 * of arguments with one line and the usage on stderr (exit 2), never a Node stack trace.
 */
export interface CliSpec<O extends ParseArgsOptionsConfig> {
  /** The script's name in messages: `npm run <name>`. */
  readonly name: string;
  /** The usage text, first line `usage: npm run <name> -- ...`, then one line per flag. */
  readonly usage: string;
  /** node:util parseArgs options; `--help`/`-h` is added. */
  readonly options: O;
  /** How many positional arguments are allowed (default: none). */
  readonly positionals?: { readonly min: number; readonly max: number };
}

type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>
>;

export type CliOutcome<O extends ParseArgsOptionsConfig> =
  | { readonly kind: "ok"; readonly values: Parsed<O>["values"]; readonly positionals: string[] }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "error"; readonly text: string };

/** Pure: what a command line means for a script (tested directly; `parseCli` acts on it). */
export function interpretCli<O extends ParseArgsOptionsConfig>(
  spec: CliSpec<O>,
  argv: readonly string[],
): CliOutcome<O> {
  const error = (message: string): CliOutcome<O> => ({
    kind: "error",
    text: `npm run ${spec.name}: ${message}\n${spec.usage}`,
  });
  // `--help` wins over everything else on the line, as in most CLIs.
  if (argv.some((a) => a === "--help" || a === "-h")) return { kind: "help", text: spec.usage };
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({
      args: negativeValuesJoined(spec.options, argv),
      options: spec.options,
      allowPositionals: true,
      strict: true,
    });
  } catch (caught) {
    // Node's messages are good but long ("... To specify a positional argument starting with a '-', ..."): keep
    // the first sentence.
    const message = String((caught as Error).message);
    return error(message.split(/(?<=\.)\s/)[0]!);
  }
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  const got = parsed.positionals.length;
  if (got < min) return error(`expects ${min === max ? min : `at least ${min}`} argument(s), got ${got}`);
  if (got > max) return error(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`);
  return { kind: "ok", values: parsed.values, positionals: parsed.positionals };
}

/**
 * `--wait -1` as `--wait=-1`: node:util parseArgs reads a value that starts with "-" as an option and calls the
 * flag "ambiguous", which tells a person nothing. A number, even a negative one, is the flag's value; the script
 * then says what range it takes.
 */
function negativeValuesJoined(options: ParseArgsOptionsConfig, argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    if (name && options[name]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** Parses process.argv for a script; prints and exits on `--help` (0) and on a bad command line (2). */
export function parseCli<O extends ParseArgsOptionsConfig>(
  spec: CliSpec<O>,
  argv: readonly string[] = process.argv.slice(2),
): { values: Parsed<O>["values"]; positionals: string[] } {
  quietOnClosedPipe();
  const outcome = interpretCli(spec, argv);
  if (outcome.kind === "help") {
    console.log(outcome.text);
    process.exit(0);
  }
  if (outcome.kind === "error") {
    console.error(outcome.text);
    process.exit(2);
  }
  return outcome;
}

/** A value that parsed but makes no sense (e.g. `--port abc`): the same one-line error and usage, exit 2. */
export function usageError(
  spec: Pick<CliSpec<ParseArgsOptionsConfig>, "name" | "usage">,
  message: string,
): never {
  console.error(`npm run ${spec.name}: ${message}\n${spec.usage}`);
  process.exit(2);
}

let pipeWatched = false;
/**
 * `npm run -s synth -- staging | head`: when the reader closes the pipe, stop quietly (exit 0, as `yes | head`
 * does) instead of Node's unhandled EPIPE trace.
 */
function quietOnClosedPipe(): void {
  if (pipeWatched) return;
  pipeWatched = true;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

/** The stacks of this checkout: one `Pulumi.<stack>.yaml` each, next to Pulumi.yaml. */
export function knownStacks(root = ROOT): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * What is wrong with a stack name given on a command line, as one sentence with the fix, or undefined when the
 * stack exists here: a stack file, or (where `previews` is allowed) a preview `pr-<number>`.
 */
export function stackNameProblem(
  stack: string,
  { previews = true, root = ROOT }: { readonly previews?: boolean; readonly root?: string } = {},
): string | undefined {
  const stacks = knownStacks(root);
  if (stacks.includes(stack) || (previews && isPreviewStack(stack))) return undefined;
  const choices = `${stacks.join(", ")}${previews ? " or a preview pr-<number>" : ""}`;
  if (previews && /^pr-/i.test(stack)) {
    return `there is no stack "${stack}": a preview stack is pr-<number>, the pull request's number (e.g. pr-42).`;
  }
  const near = closest(stack, stacks);
  return near
    ? `there is no stack "${stack}" (no Pulumi.${stack}.yaml): did you mean ${near}?`
    : `there is no stack "${stack}" (no Pulumi.${stack}.yaml): use ${choices}.`;
}

/** The stack name argument, checked: an unknown stack is a usage error (one sentence, the usage, exit 2). */
export function checkStackName(
  spec: Pick<CliSpec<ParseArgsOptionsConfig>, "name" | "usage">,
  stack: string,
  options?: { readonly previews?: boolean },
): string {
  const problem = stackNameProblem(stack, options);
  if (problem) usageError(spec, problem);
  return stack;
}

/** The candidate a typo most likely meant: a prefix either way, or at most two edits away. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance =
      candidate.startsWith(lower) || lower.startsWith(candidate) ? 1 : editDistance(lower, candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Levenshtein distance (insertions, deletions, substitutions), for short names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Whether something already listens on host:port (port 0 never is: the system picks a free one). */
export function addressInUse(host: string, port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "EADDRINUSE"));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}
