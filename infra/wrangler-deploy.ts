import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * The non-versioned deploy: `wrangler deploy` of the bundle the build wrote, exactly as wrangler itself ships a
 * Worker whose configuration declares Durable Object `exports`. Cloudflare refuses a version upload that changes the
 * Durable Object class lifecycle (error 10211: "migrations must be fully applied via a non-versioned deployment",
 * https://developers.cloudflare.com/workers/versions-and-deployments/gradual-deployments/with-durable-objects/),
 * and wrangler 4.164 never uses the versions API when `exports` carries a Durable Object (cli.js,
 * `canUseNewVersionsDeploymentsApi`): it sends one `PUT /accounts/{account}/workers/scripts/{name}` that uploads
 * and deploys at 100 %. This module runs that path for the Pulumi program (infra/non-versioned-deploy.ts) and for
 * `npm run rehearse`; it needs no Pulumi runtime.
 */

/** A wrangler.json with its paths (main, assets.directory) relative to the project root. */
export type RootRelativeWranglerConfig = Readonly<Record<string, unknown>> & {
  readonly name: string;
  readonly main: string;
  readonly assets?: { readonly directory: string } & Readonly<Record<string, unknown>>;
};

export interface WranglerDeployRequest {
  readonly accountId: string;
  /** The configuration to deploy, from infra/wrangler-config.ts `wranglerDeployConfig`. */
  readonly config: RootRelativeWranglerConfig;
  /** sha256 of the bundle the program built: the file on disk must still be these bytes. */
  readonly bundleSha256: string;
  /** Secret bindings uploaded with the deploy (`--secrets-file`); never written anywhere but a 0600 temp file. */
  readonly secrets: Readonly<Record<string, string>>;
  /** The version's `workers/tag` annotation (the build id). */
  readonly tag: string;
  /** The version's `workers/message` annotation (build and classes, read back by rollback). */
  readonly message: string;
}

export interface WranglerDeployResult {
  /** The version the deploy created and sent 100 % of traffic to. */
  readonly versionId: string;
}

export class WranglerDeployError extends Error {
  override readonly name = "WranglerDeployError";
}

/** The project root: the nearest directory above `from` with a Pulumi.yaml (the CLI runs providers in infra/). */
export function findProjectRoot(from: string): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new WranglerDeployError(`no Pulumi.yaml above ${from}: run Pulumi from the project directory.`);
    }
    dir = parent;
  }
}

/**
 * Runs `wrangler deploy` for `request` from `root`, with the credentials of `env` (CLOUDFLARE_API_TOKEN, and
 * CLOUDFLARE_API_BASE_URL when pointed at a stand-in). Resolves with the new version's id, read from wrangler's
 * machine-readable output file; rejects with wrangler's own message (its error code included) on failure.
 */
export async function runWranglerDeploy(
  request: WranglerDeployRequest,
  options: { readonly root: string; readonly env?: NodeJS.ProcessEnv },
): Promise<WranglerDeployResult> {
  const { root } = options;
  const main = path.resolve(root, request.config.main);
  const bytes = await readFile(main).catch(() => {
    throw new WranglerDeployError(`${request.config.main} is missing: the build did not run in ${root}.`);
  });
  const onDisk = createHash("sha256").update(bytes).digest("hex");
  if (onDisk !== request.bundleSha256) {
    throw new WranglerDeployError(
      `${request.config.main} changed since this deploy was planned (sha256 ${onDisk.slice(0, 12)}, planned ` +
        `${request.bundleSha256.slice(0, 12)}): another build ran in ${root}. Run the deploy again.`,
    );
  }
  const dir = await mkdtemp(path.join(tmpdir(), "wrangler-deploy-"));
  try {
    const configFile = path.join(dir, "wrangler.json");
    const secretsFile = path.join(dir, "secrets.json");
    const outputFile = path.join(dir, "output.ndjson");
    const config = {
      ...request.config,
      main,
      ...(request.config.assets
        ? {
            assets: {
              ...request.config.assets,
              directory: path.resolve(root, request.config.assets.directory),
            },
          }
        : {}),
    };
    await writeFile(configFile, JSON.stringify(config));
    await writeFile(secretsFile, JSON.stringify(request.secrets), { mode: 0o600 });
    const args = [
      path.join(root, "node_modules/wrangler/bin/wrangler.js"),
      "deploy",
      "--config",
      configFile,
      "--secrets-file",
      secretsFile,
      "--tag",
      request.tag,
      "--message",
      request.message,
      // A class change is applied at once; objects restart on the new code now rather than within Cloudflare's
      // deferred delay (up to 300 s), so the checks after the deploy exercise what was deployed.
      "--durable-objects-code-update-mode",
      "immediate",
    ];
    await new Promise<void>((done, fail) =>
      execFile(
        process.execPath,
        args,
        {
          cwd: root,
          maxBuffer: 16 << 20,
          env: {
            ...(options.env ?? process.env),
            CLOUDFLARE_ACCOUNT_ID: request.accountId,
            WRANGLER_OUTPUT_FILE_PATH: outputFile,
            WRANGLER_SEND_METRICS: "false",
          },
        },
        (error, stdout, stderr) =>
          error
            ? fail(
                new WranglerDeployError(
                  `wrangler deploy of ${request.config.name} failed: ${wranglerProblem(stderr, stdout, error)}`,
                ),
              )
            : done(),
      ),
    );
    const versionId = deployedVersionId(await readFile(outputFile, "utf8").catch(() => ""));
    if (!versionId) {
      throw new WranglerDeployError(`wrangler deploy of ${request.config.name} reported no version id.`);
    }
    return { versionId };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The `version_id` of the `deploy` entry in wrangler's ND-JSON output file. */
export function deployedVersionId(ndjson: string): string | undefined {
  for (const line of ndjson.split("\n")) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as { type?: string; version_id?: string | null };
    if (entry.type === "deploy" && entry.version_id) return entry.version_id;
  }
  return undefined;
}

/** wrangler's error lines without its colours and banner: the API's message and `[code: N]` stay. */
export function wranglerProblem(stderr: string, stdout: string, error: Error): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are control characters.
  const plain = `${stderr}\n${stdout}`.replace(/\u001b\[[0-9;]*m/g, "");
  const lines = plain
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^⛅️|^─+$|^-+$|^🪵|^If you think this is a bug/.test(l));
  const from = lines.findIndex((l) => l.includes("[ERROR]") || l.includes("✘"));
  return (from >= 0 ? lines.slice(from) : lines.slice(-8)).join(" ").slice(0, 2000) || error.message;
}
