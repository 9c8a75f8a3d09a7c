import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { assetsDirectoryOf, ROOT } from "../../infra/build.ts";
import { localStackSettings } from "../../infra/stack-environment.ts";
import { wranglerConfig } from "../../infra/wrangler-config.ts";
import { type Standin, type StandinOptions, startStandin } from "../../scripts/standin/index.ts";

/**
 * Helpers for the stand-in's suites: one stand-in per file (started before its tests, closed after, failing the
 * file if wrangler sent anything the stand-in does not implement), the project's wrangler configuration for a
 * stack pointed at the built bundle, and real wrangler run as a child process on this Node.
 */

export function useStandin(ready: (standin: Standin) => void, options: StandinOptions = {}): void {
  let standin: Standin | undefined;
  beforeAll(async () => {
    standin = await startStandin({
      ...options,
      onUnknownRequest: (what) =>
        console.error(`STAND-IN: wrangler sent a request it does not implement: ${what}`),
    });
    ready(standin);
  });
  afterAll(async () => {
    const unknown = standin?.state.unknownRequests ?? [];
    await standin?.close();
    expect(unknown, "requests the stand-in does not implement").toEqual([]);
  });
}

/** A scratch directory for wrangler configurations, removed after the file. */
export function useScratch(ready: (directory: string) => void): void {
  let directory = "";
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "standin-test-"));
    ready(directory);
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));
}

type Json = Record<string, unknown>;

/**
 * Writes `<name>.json` in `directory`: `npm run wrangler-config -- staging`'s configuration (infra/wrangler-config.ts)
 * with the Worker named `name`, deploying the global setup's build (dist/index.js as is, no bundling by wrangler),
 * then `change` applied. Returns the file's path.
 */
export async function writeWranglerConfig(
  directory: string,
  name: string,
  change: (config: Json) => Json = (c) => c,
): Promise<string> {
  const settings = localStackSettings("staging");
  if (!settings.ok) throw new Error("the staging stack's settings do not validate");
  const bundlePath = inject("bundlePath");
  const generated = wranglerConfig(settings.settings, { configDir: directory, buildId: inject("buildId") });
  const { $schema: _schema, ...rest } = generated;
  const config = change({
    ...rest,
    name,
    main: bundlePath,
    no_bundle: true,
    find_additional_modules: false,
    assets: { ...generated.assets, directory: assetsDirectoryOf(bundlePath) },
  });
  const file = path.join(directory, `${name}-${Math.random().toString(36).slice(2, 8)}.json`);
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

export interface WranglerRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, without ANSI colours. */
  readonly output: string;
}

/** Runs wrangler 4.164 (the project's devDependency) against the stand-in, as a child process on this Node. */
export function wrangler(standin: Standin, args: readonly string[], cwd: string): Promise<WranglerRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"), ...args],
      { cwd, env: { ...process.env, ...standin.env, CI: "1" }, encoding: "utf8", timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
        const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "");
        resolve({ code, stdout, stderr, output: plain(`${stdout}\n${stderr}`) });
      },
    );
  });
}

/** The version id of the newest version of `script` the stand-in holds. */
export function latestVersionId(standin: Standin, script: string): string {
  const id = standin.state.scripts.get(script)?.versions.at(-1)?.id;
  if (!id) throw new Error(`the stand-in has no version of ${script}`);
  return id;
}

/** Writes a secrets file (`wrangler deploy --secrets-file`) and returns its path. */
export async function writeSecrets(directory: string, secrets: Record<string, string>): Promise<string> {
  const file = path.join(directory, `secrets-${Math.random().toString(36).slice(2, 8)}.json`);
  await writeFile(file, JSON.stringify(secrets));
  return file;
}
