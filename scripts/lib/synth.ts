import { createHash } from "node:crypto";
import { stackConfigFromFiles } from "../../infra/project-file.ts";
import { configSetCommand, SECRET_SETTINGS } from "../../infra/stack-settings.ts";
import { type MockRun, NON_VERSIONED_DEPLOY, runProgramUnderMocks } from "./pulumi-mocks.ts";

/** A value the synth used because the stack's files cannot provide it offline; always reported. */
export interface SynthPlaceholder {
  readonly key: string;
  /** The stand-in value, or "[secret]" for a secret. */
  readonly value: string;
  readonly reason: string;
}

export interface SynthResource {
  readonly type: string;
  readonly name: string;
  /** Inputs with secret values replaced by "[secret]" and the bundle text by its size and sha256. */
  readonly inputs: Record<string, unknown>;
  readonly protect: boolean;
  /** Kept at Cloudflare when Pulumi replaces or deletes it (every version stays available for a rollback). */
  readonly retainOnDelete: boolean;
  /** Inputs Pulumi encrypts in state and hides in previews (one secret binding makes all `bindings` secret). */
  readonly secretInputs: readonly string[];
}

/** What `npm run synth -- <stack>` prints: what `pulumi up -s <stack>` would send, computed offline. */
export interface SynthResult {
  readonly project: string;
  readonly stack: string;
  readonly placeholders: readonly SynthPlaceholder[];
  /** The Durable Object class lifecycle of this deploy. */
  readonly classes: {
    /** The deployed script the plan was made against (`--live-tag`, `--live-classes`); null = a new script. */
    readonly live: LiveScriptOption | null;
    /**
     * The `exports` this deploy sends, derived from worker/manifest.ts (never `migrations`): the WorkerVersion's, or
     * the non-versioned deploy's when the deploy changes the class lifecycle.
     */
    readonly exports: unknown;
    /** The program's `classLifecycle` output: starting point, classes created/deleted/renamed, applied tombstones. */
    readonly plan: unknown;
  };
  readonly resources: readonly SynthResource[];
  readonly outputs: Record<string, unknown>;
}

/** A deployed script, as the synth is told about it: its legacy tag and/or its live exported classes. */
export interface LiveScriptOption {
  readonly migrationTag?: string;
  readonly classes?: readonly string[];
}

export interface SynthOptions {
  readonly stack: string;
  /** The deployed script as Cloudflare would report it; undefined = a new script. */
  readonly live?: LiveScriptOption | undefined;
  /** Plain (non-secret) settings on top of the stack file, e.g. a team's accountId. */
  readonly config?: Readonly<Record<string, string>>;
  /** Directory holding Pulumi.yaml and the stack file (default: the repository). */
  readonly root?: string;
}

export const REDACTED = "[secret]";
const PLACEHOLDER_SECRET = "synth-placeholder-secret-never-deployed";
const LONG_TEXT = 2048;

/** Refused inputs to the synth: a secret on a command line would end up in shell history and CI logs. */
export class SynthUsageError extends Error {
  override readonly name = "SynthUsageError";
}

/**
 * Runs the real Pulumi program for one stack under Pulumi's mocks (no credentials, no network) and returns what
 * it would deploy, with every secret redacted. Settings a checkout cannot hold (the team's account id and
 * workers.dev subdomain, encrypted secrets) get clearly marked placeholders, listed in `placeholders`.
 */
export async function synthesize(options: SynthOptions): Promise<SynthResult> {
  const { stack } = options;
  const overrides: Record<string, string> = { ...options.config };
  for (const key of Object.keys(overrides)) {
    if ((SECRET_SETTINGS as readonly string[]).includes(key)) {
      throw new SynthUsageError(
        `${key} is a secret: never pass it on a command line. The synth stands in a placeholder and redacts it.`,
      );
    }
  }
  const files = stackConfigFromFiles(stack, overrides, options.root);
  const placeholders: SynthPlaceholder[] = [];
  const secretKeys: string[] = [];
  const fill = (key: string, value: string, reason: string, secret = false) => {
    overrides[key] = value;
    if (secret) secretKeys.push(key);
    placeholders.push({ key, value: secret ? REDACTED : value, reason });
  };
  const notCommitted = (key: string, example: string) =>
    `Pulumi.${stack}.yaml does not set ${key} (account-specific; each team runs ` +
    `${configSetCommand(stack, key, example)}). Pass --config ${key}=<value> to synthesize with yours.`;

  for (const key of files.encrypted) {
    if (!(SECRET_SETTINGS as readonly string[]).includes(key)) {
      throw new SynthUsageError(
        `Pulumi.${stack}.yaml holds ${key} encrypted; the synth cannot decrypt it: pass --config ${key}=<value>.`,
      );
    }
    fill(
      key,
      PLACEHOLDER_SECRET,
      `encrypted in Pulumi.${stack}.yaml; the synth never decrypts secrets.`,
      true,
    );
  }
  for (const key of SECRET_SETTINGS) {
    if (files.encrypted.includes(key) || files.values[key]) continue;
    fill(
      key,
      PLACEHOLDER_SECRET,
      `not set: \`pulumi up\` refuses to deploy until ${configSetCommand(stack, key, "<token>", true)}.`,
      true,
    );
  }
  if (!files.values.accountId) {
    fill("accountId", "0".repeat(32), notCommitted("accountId", "<32-hex-digit account id>"));
  }
  if (!files.values.workersDevSubdomain && !files.values.customDomain) {
    fill("workersDevSubdomain", "synth-placeholder", notCommitted("workersDevSubdomain", "<your-subdomain>"));
  }

  const run = await runProgramUnderMocks({
    stack,
    config: overrides,
    secretKeys,
    live: options.live,
    root: options.root,
  });
  return redact(run, {
    project: files.projectName,
    stack,
    placeholders,
    live: options.live ?? null,
  });
}

function redact(
  run: MockRun,
  meta: { project: string; stack: string; placeholders: SynthPlaceholder[]; live: LiveScriptOption | null },
): SynthResult {
  const secrets = run.config.secretKeys
    .map((key) => run.config.values[key])
    .filter((value): value is string => typeof value === "string" && value.length > 0);
  const scrub = (value: unknown): unknown => {
    if (typeof value === "string") {
      const hidden = secrets.reduce((text, secret) => text.split(secret).join(REDACTED), value);
      return hidden.length > LONG_TEXT ? summarize(hidden) : hidden;
    }
    if (Array.isArray(value)) return value.map(scrub);
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    }
    return value;
  };

  const resources = run.resources.map((r) => ({
    type: r.type,
    name: r.name,
    inputs: scrub(r.inputs) as Record<string, unknown>,
    protect: r.protect,
    retainOnDelete: r.retainOnDelete,
    secretInputs: r.secretInputs,
  }));
  const version = resources.find((r) => r.type === "cloudflare:index/workerVersion:WorkerVersion");
  const nonVersioned = resources.find((r) => r.type === NON_VERSIONED_DEPLOY);
  const outputs = Object.fromEntries(
    Object.entries(run.outputs).map(([key, value]) => [
      key,
      run.secretOutputs.includes(key) ? REDACTED : scrub(value),
    ]),
  );
  const result: SynthResult = {
    project: meta.project,
    stack: meta.stack,
    placeholders: meta.placeholders,
    classes: {
      live: meta.live,
      // The version's `exports`, or the one the non-versioned deploy hands wrangler (snake_case, as wrangler spells it).
      exports:
        version?.inputs.exports ?? (nonVersioned?.inputs.config as { exports?: unknown })?.exports ?? null,
      plan: outputs.classLifecycle ?? null,
    },
    resources,
    outputs,
  };
  // Belt and braces: the JSON is printed and may be pasted into a review; no secret may survive in it.
  const text = JSON.stringify(result);
  if (secrets.some((secret) => text.includes(secret))) {
    throw new Error("synth: a secret value survived redaction; refusing to print it.");
  }
  return result;
}

function summarize(text: string): string {
  const bytes = Buffer.byteLength(text);
  return `[${bytes} bytes, sha256 ${createHash("sha256").update(text).digest("hex")}]`;
}
