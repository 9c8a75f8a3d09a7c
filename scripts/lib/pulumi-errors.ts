/**
 * The Automation API reports a failed `pulumi` command as a dump (`code: -2 / stdout: / stderr: Command failed
 * with exit code 255 …`, the error repeated). The scripts show a person one sentence and the command that fixes
 * it instead: known failures are recognised here from the CLI's own messages, anything else is cut down to the
 * CLI's first `error:` line.
 */
export type PulumiProblemKind =
  | "no-cli"
  | "not-logged-in"
  | "no-stack"
  | "no-passphrase"
  | "no-output"
  | "other";

export class PulumiProblem extends Error {
  override readonly name = "PulumiProblem";
  readonly kind: PulumiProblemKind;
  /** One sentence for a person. */
  readonly sentence: string;
  /** The command that fixes it, when there is one. */
  readonly fix?: string | undefined;
  constructor(kind: PulumiProblemKind, sentence: string, fix?: string) {
    super(fix ? `${sentence} Fix: ${fix}` : sentence);
    this.kind = kind;
    this.sentence = sentence;
    this.fix = fix;
  }
}

/** The text of an Automation API error: its stderr when it has one (CommandError), else its message. */
function textOf(error: unknown): string {
  const result = (error as { commandResult?: { stderr?: unknown; err?: { message?: unknown } } })
    ?.commandResult;
  const parts = [result?.stderr, result?.err?.message, (error as Error)?.message, String(error)];
  return parts.filter((p): p is string => typeof p === "string").join("\n");
}

/** The first line the CLI wrote as `error: …`, or the first non-empty line of the text. */
function firstErrorLine(text: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const line =
    lines.find((l) => /^error: /i.test(l)) ?? lines.find((l) => !/^(code|stdout|stderr|err\?):/i.test(l));
  return (line ?? "unknown error").replace(/^error: /i, "");
}

/**
 * Translates a failure of the Pulumi CLI (through the Automation API) while working on `stack` (when one is
 * involved) into a PulumiProblem.
 */
export function explainPulumiError(error: unknown, stack?: string): PulumiProblem {
  if (error instanceof PulumiProblem) return error;
  const text = textOf(error);
  const s = stack ? ` -s ${stack}` : "";
  if (/\bENOENT\b/.test(text) && /pulumi/i.test(text)) return noPulumiCli();
  if (/passphrase must be set|PULUMI_CONFIG_PASSPHRASE/i.test(text) && !/incorrect passphrase/i.test(text)) {
    return new PulumiProblem(
      "no-passphrase",
      `Stack ${stack ?? "(this stack)"} keeps its secrets under a passphrase, and none is set.`,
      "export PULUMI_CONFIG_PASSPHRASE=<the stack's passphrase> (or PULUMI_CONFIG_PASSPHRASE_FILE=<file>)",
    );
  }
  if (/incorrect passphrase/i.test(text)) {
    return new PulumiProblem(
      "no-passphrase",
      `The passphrase in PULUMI_CONFIG_PASSPHRASE does not decrypt stack ${stack ?? "(this stack)"}'s secrets.`,
      "export PULUMI_CONFIG_PASSPHRASE=<the passphrase the stack was created with>",
    );
  }
  if (/no stack named .* found|stack .* not found|StackNotFoundError/i.test(text)) {
    return new PulumiProblem(
      "no-stack",
      `There is no stack ${stack ?? ""} in the current Pulumi backend.`.replace("  ", " "),
      `pulumi stack select ${stack ?? "<stack>"} --create (then configure and pulumi up${s}), or pulumi login to the backend that has it`,
    );
  }
  if (
    /PULUMI_ACCESS_TOKEN must be set|not logged in|pulumi login|invalid access token|401 Unauthorized|could not determine current cloud|getting user info/i.test(
      text,
    )
  ) {
    return new PulumiProblem(
      "not-logged-in",
      "The Pulumi CLI is not logged in to a backend.",
      "pulumi login (Pulumi Cloud; or export PULUMI_ACCESS_TOKEN), or pulumi login --local / pulumi login s3://<bucket> for a self-managed backend",
    );
  }
  return new PulumiProblem("other", `Pulumi failed: ${firstErrorLine(text)}`);
}

/** A stack with no `url` output has not been deployed (or its deploy failed before the end). */
export function noUrlOutput(stack: string): PulumiProblem {
  return new PulumiProblem(
    "no-output",
    `Stack ${stack} has no url output yet: it has not been deployed.`,
    `pulumi up -s ${stack}`,
  );
}

/** No `pulumi` on PATH: the same sentence for the Automation API's failure and for a script that runs the CLI. */
export function noPulumiCli(): PulumiProblem {
  return new PulumiProblem(
    "no-cli",
    "The Pulumi CLI is not installed (no `pulumi` on PATH).",
    "install it from https://www.pulumi.com/docs/iac/download-install/ (curl -fsSL https://get.pulumi.com | sh)",
  );
}
