import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../infra/build.ts";

/**
 * `.env.example` names every environment variable the code and the workflows read, so a new one cannot go
 * undocumented: each name read as `process.env.X` (or `process.env["X"]`), each `*_ENV = "X"` constant the scripts
 * hand to a child process, and each `secrets.X`, `vars.X` and `env:` key of a workflow.
 */
function files(dir: string, ext: RegExp): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => ext.test(f) && !f.includes("node_modules"))
    .map((f) => path.join(ROOT, dir, f));
}

function codeNames(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of ["scripts", "infra", "test", "worker"].flatMap((d) => files(d, /\.(ts|mts|mjs)$/))) {
    const text = readFileSync(file, "utf8");
    const patterns = [
      /process\.env\.([A-Z][A-Z0-9_]+)/g,
      /process\.env\[\s*"([A-Z][A-Z0-9_]+)"\s*\]/g,
      /export const \w+_ENV\s*=\s*"([A-Z][A-Z0-9_]+)"/g,
    ];
    for (const pattern of patterns)
      for (const m of text.matchAll(pattern)) found.set(m[1]!, path.relative(ROOT, file));
  }
  return found;
}

function workflowNames(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of files(".github/workflows", /\.ya?ml$/)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\b(?:secrets|vars)\.([A-Z][A-Z0-9_]+)/g))
      found.set(m[1]!, path.relative(ROOT, file));
    // Keys of `env:` maps: upper-case keys in a workflow are environment variables.
    for (const m of text.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)) found.set(m[1]!, path.relative(ROOT, file));
  }
  return found;
}

/** The operating system's own, which every program reads. */
const SYSTEM = new Set(["PATH", "HOME"]);

const example = readFileSync(path.join(ROOT, ".env.example"), "utf8");
const documented = new Set(example.match(/\b[A-Z][A-Z0-9_]+\b/g));

describe(".env.example", () => {
  const read = new Map([...codeNames(), ...workflowNames()].filter(([name]) => !SYSTEM.has(name)));

  it("finds the variables the scripts and workflows read", () => {
    for (const name of [
      "CLOUDFLARE_API_TOKEN",
      "CLOUDFLARE_ACCOUNT_ID",
      "PULUMI_CONFIG_PASSPHRASE",
      "FC_SEED",
    ])
      expect([...read.keys()]).toContain(name);
  });

  it.each([...read].sort())("names %s (read in %s)", (name) => {
    expect(documented.has(name), `add a line for ${name} to .env.example`).toBe(true);
  });

  it("gives every variable it sets a comment line above it", () => {
    const lines = example.split("\n");
    lines.forEach((line, i) => {
      if (/^[A-Z][A-Z0-9_]*=/.test(line)) expect(lines[i - 1], line).toMatch(/^(#|[A-Z][A-Z0-9_]*=)/);
    });
  });
});
