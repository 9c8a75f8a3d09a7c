import { type ParseArgsConfig, parseArgs } from "node:util";

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
    parsed = parseArgs({ args: [...argv], options: spec.options, allowPositionals: true, strict: true });
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

/** Parses process.argv for a script; prints and exits on `--help` (0) and on a bad command line (2). */
export function parseCli<O extends ParseArgsOptionsConfig>(
  spec: CliSpec<O>,
  argv: readonly string[] = process.argv.slice(2),
): { values: Parsed<O>["values"]; positionals: string[] } {
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
