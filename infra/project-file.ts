import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { ROOT } from "./build.ts";
import { isPreviewStack } from "./preview-stacks.ts";

/** One key of Pulumi.yaml's project-level `config:` block (Pulumi's ConfigTypeDeclaration). */
export interface ConfigDeclaration {
  readonly type?: "string" | "integer" | "boolean" | "array";
  readonly items?: { readonly type: string };
  readonly default?: unknown;
  readonly value?: unknown;
  readonly description?: string;
  readonly secret?: boolean;
}

export interface ProjectFile {
  readonly name: string;
  readonly config: Readonly<Record<string, ConfigDeclaration>>;
}

/** The project as Pulumi.yaml declares it. */
export function readProjectFile(root = ROOT): ProjectFile {
  const parsed = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as Partial<ProjectFile> | null;
  if (!parsed?.name) throw new Error("Pulumi.yaml has no project name");
  return { name: parsed.name, config: parsed.config ?? {} };
}

/** Pulumi hands every config value to the program as a string; lists and maps as JSON (as the CLI does). */
export const asConfigString = (value: unknown): string =>
  typeof value === "string" ? value : JSON.stringify(value);

/**
 * The project's declared defaults, keyed without the project prefix, in the string form the program receives.
 * The CLI merges these under the stack's own values before the program runs; the offline synth, the dev server
 * and the program itself (for a CLI older than 3.44, which ignores the block) merge them the same way, so
 * Pulumi.yaml is the one place a default is written.
 */
export function projectConfigDefaults(project = readProjectFile()): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const [key, declaration] of Object.entries(project.config)) {
    const value = declaration.default ?? declaration.value;
    if (value !== undefined && value !== null) defaults[key] = asConfigString(value);
  }
  return defaults;
}

/** A stack file's `config:` map, keys as written (`do-platform:locationHint`, `cloudflare:apiToken`). */
export function readStackFile(stack: string, root = ROOT): Record<string, unknown> {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    // A preview stack is made from the template alone: Pulumi.yaml's defaults, no stack file.
    if (isPreviewStack(stack)) return {};
    throw new Error(
      `No stack file Pulumi.${stack}.yaml: each stack has a Pulumi.<stack>.yaml next to Pulumi.yaml.`,
    );
  }
  return (parse(text) as { config?: Record<string, unknown> } | null)?.config ?? {};
}

/** A value `pulumi config set --secret` wrote: ciphertext only the stack's secrets provider can open. */
export const isEncrypted = (value: unknown): boolean =>
  typeof value === "object" && value !== null && "secure" in value;

/** What a stack file sets for this project, before defaults: plain values, and the keys it holds encrypted. */
export interface StackFileValues {
  /** Keys without the project prefix, values in Pulumi's string form. */
  readonly values: Record<string, string>;
  /** Keys whose value is ciphertext (`secure:`); they cannot be read without the stack's secrets provider. */
  readonly encrypted: readonly string[];
}

/** This project's keys from Pulumi.<stack>.yaml (other namespaces, like `cloudflare:`, are the providers'). */
export function readStackValues(stack: string, projectName: string, root = ROOT): StackFileValues {
  const values: Record<string, string> = {};
  const encrypted: string[] = [];
  for (const [qualified, value] of Object.entries(readStackFile(stack, root))) {
    const key = unqualify(qualified, projectName);
    if (key === undefined) continue;
    if (isEncrypted(value)) encrypted.push(key);
    else values[key] = asConfigString(value);
  }
  return { values, encrypted };
}

/** `do-platform:locationHint` or `locationHint` -> `locationHint`; another namespace -> undefined. */
export function unqualify(key: string, projectName: string): string | undefined {
  const colon = key.indexOf(":");
  if (colon === -1) return key;
  return key.slice(0, colon) === projectName ? key.slice(colon + 1) : undefined;
}

/** A stack's config as the CLI would hand it to the program, read from the files alone (no secrets provider). */
export interface StackConfigFromFiles {
  readonly projectName: string;
  /** Pulumi.yaml defaults, then Pulumi.<stack>.yaml, then `overrides`; encrypted values left out. */
  readonly values: Record<string, string>;
  /** Keys Pulumi.<stack>.yaml holds encrypted (not overridden): set, but unreadable offline. */
  readonly encrypted: readonly string[];
}

/** Merges a stack's config the way the Pulumi CLI does (project defaults under stack values), from the files. */
export function stackConfigFromFiles(
  stack: string,
  overrides: Readonly<Record<string, string>> = {},
  root = ROOT,
): StackConfigFromFiles {
  const project = readProjectFile(root);
  const file = readStackValues(stack, project.name, root);
  const values = { ...projectConfigDefaults(project), ...file.values };
  for (const [key, value] of Object.entries(overrides)) values[unqualify(key, project.name) ?? key] = value;
  return {
    projectName: project.name,
    values,
    encrypted: file.encrypted.filter((key) => !(key in overrides)),
  };
}
