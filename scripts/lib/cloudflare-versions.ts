import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Cloudflare, { APIError } from "cloudflare";
import type { Deployment, DeploymentListResponse } from "cloudflare/resources/workers/scripts/deployments";
import { ROOT } from "../../infra/build.ts";
import { classSignature, type DurableObjectExport } from "../../infra/class-lifecycle.ts";
import { parseVersionMessage } from "../../infra/release-record.ts";
import { localStackSettings } from "../../infra/stack-environment.ts";
import { formatConfigProblems } from "../../infra/stack-settings.ts";
import { wranglerConfig } from "../../infra/wrangler-config.ts";
import { wranglerProblem } from "../../infra/wrangler-deploy.ts";
import type { ActiveDeployment, VersionInfo, VersionOps } from "./versions.ts";

/**
 * The real VersionOps. Reads go through Cloudflare's own SDK (the `cloudflare` package, generated from its OpenAPI
 * document): every version, paged, with its annotations and live `exports` (`wrangler versions list` shows only the
 * newest 10), and the deployments with their messages. Writes go through wrangler, as a person would run them:
 * `versions deploy` and `rollback`. Both honour a stand-in of the API (CLOUDFLARE_API_BASE_URL), which is how
 * `npm test` and `npm run rehearse` run them.
 *
 * Credentials as wrangler takes them: CLOUDFLARE_API_TOKEN, and the account from CLOUDFLARE_ACCOUNT_ID or the stack
 * file's accountId.
 */
export class VersionsUnavailable extends Error {
  override readonly name = "VersionsUnavailable";
}

/** Cloudflare's "no such Worker" (https://developers.cloudflare.com/api/, error 10007). */
const WORKER_NOT_FOUND = 10007;

interface Target {
  readonly accountId: string;
  readonly workerName: string;
  readonly settings: Exclude<ReturnType<typeof localStackSettings>, { ok: false }>["settings"];
}

function targetOf(stack: string, env: NodeJS.ProcessEnv): Target {
  const result = localStackSettings(stack);
  if (!result.ok) throw new VersionsUnavailable(formatConfigProblems(stack, result.problems));
  const accountId = env.CLOUDFLARE_ACCOUNT_ID || result.settings.accountId;
  if (!accountId) {
    throw new VersionsUnavailable(
      `No Cloudflare account for stack ${stack}: export CLOUDFLARE_ACCOUNT_ID=<32-hex-digit id> ` +
        `(or pulumi config get accountId -s ${stack}).`,
    );
  }
  if (!env.CLOUDFLARE_API_TOKEN) {
    throw new VersionsUnavailable(
      "No Cloudflare API token: export CLOUDFLARE_API_TOKEN=<token with Workers Scripts: Edit> and run it again.",
    );
  }
  return { accountId, workerName: result.settings.workerName, settings: result.settings };
}

function clientFor(env: NodeJS.ProcessEnv): Cloudflare {
  return new Cloudflare({
    apiToken: env.CLOUDFLARE_API_TOKEN ?? null,
    // wrangler's variable for a stand-in of the API; the SDK's own is CLOUDFLARE_BASE_URL.
    baseURL: env.CLOUDFLARE_API_BASE_URL || env.CLOUDFLARE_BASE_URL || undefined,
    maxRetries: 2,
  });
}

const isNotFound = (error: unknown) =>
  error instanceof APIError && (error.errors ?? []).some((e) => e.code === WORKER_NOT_FOUND);

/**
 * The Durable Object entries of an `exports` map in the API's (and wrangler's) snake_case, as the platform's
 * camel-cased shape: a version Cloudflare lists, or a wrangler configuration about to be deployed.
 */
export function liveExports(
  exports: Record<string, unknown> | undefined,
): Record<string, DurableObjectExport> {
  const live: Record<string, DurableObjectExport> = {};
  for (const [name, raw] of Object.entries(exports ?? {})) {
    const entry = raw as { type?: string; storage?: string; state?: string; transfer_from?: string };
    if (entry.type !== "durable-object") continue;
    live[name] = {
      type: "durable-object",
      ...(entry.storage ? { storage: entry.storage as DurableObjectExport["storage"] } : {}),
      ...(entry.state ? { state: entry.state as DurableObjectExport["state"] } : {}),
      ...(entry.transfer_from ? { transferFrom: entry.transfer_from } : {}),
    };
  }
  return live;
}

/** One canonical string for a set of live exports (sorted keys), so two versions compare by value. */
export function exportsKeyOf(exports: Readonly<Record<string, DurableObjectExport>>): string {
  const live = Object.entries(exports)
    .filter(([, e]) => e.state === undefined || e.state === "expecting-transfer")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, e]) => [name, Object.fromEntries(Object.entries(e).sort(([a], [b]) => a.localeCompare(b)))]);
  return JSON.stringify(Object.fromEntries(live));
}

/** Runs wrangler with a configuration generated for the stack (infra/wrangler-config.ts). */
async function wrangler(target: Target, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `wrangler-${target.settings.stack}-`));
  try {
    const file = path.join(dir, "wrangler.json");
    await writeFile(
      file,
      JSON.stringify(wranglerConfig(target.settings, { configDir: dir, buildId: "versions" })),
    );
    // wrangler's package `exports` hide its bin path from require.resolve: take it from the install.
    const bin = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
    return await new Promise((done, fail) =>
      execFile(
        process.execPath,
        [bin, ...args, "--config", file],
        {
          maxBuffer: 16 << 20,
          env: { ...env, CLOUDFLARE_ACCOUNT_ID: target.accountId, WRANGLER_SEND_METRICS: "false" },
        },
        (error, stdout, stderr) =>
          error
            ? fail(
                new Error(
                  `wrangler ${args.slice(0, 2).join(" ")} failed: ${wranglerProblem(stderr, stdout, error)}`,
                ),
              )
            : done(`${stdout}\n${stderr}`),
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function cloudflareVersionOps(env: NodeJS.ProcessEnv = process.env): VersionOps {
  return {
    async versions(stack) {
      const target = targetOf(stack, env);
      const client = clientFor(env);
      const found: VersionInfo[] = [];
      try {
        // The Workers API takes the Worker's name where it says worker_id; the SDK pages through all of them.
        for await (const version of client.workers.beta.workers.versions.list(target.workerName, {
          account_id: target.accountId,
        })) {
          const exports = liveExports(version.exports as Record<string, unknown> | undefined);
          const fromMessage = parseVersionMessage(version.annotations?.["workers/message"]);
          const tag = version.annotations?.["workers/tag"];
          const hasExports = Object.keys(exports).length > 0;
          found.push({
            id: version.id,
            createdOn: version.created_on,
            buildId: tag && /^[0-9a-f]{64}$/.test(tag) ? tag : fromMessage.buildId,
            classes: hasExports ? classSignature(exports) : fromMessage.classes,
            ...(hasExports ? { exportsKey: exportsKeyOf(exports) } : {}),
          });
        }
      } catch (error) {
        if (isNotFound(error)) return [];
        throw error;
      }
      return found.sort((a, b) => b.createdOn.localeCompare(a.createdOn));
    },

    async deployment(stack): Promise<ActiveDeployment | null> {
      const target = targetOf(stack, env);
      const client = clientFor(env);
      let newest: Deployment | undefined;
      try {
        // One GET, read as wrangler reads it (`result.deployments`): the SDK's paginated `deployments.list`
        // iterates `result.items`, which this endpoint's answer does not have, so it would see no deployment.
        const answer = (await client.get(
          `/accounts/${target.accountId}/workers/scripts/${target.workerName}/deployments`,
        )) as DeploymentListResponse | { result?: DeploymentListResponse };
        const list = "result" in answer ? answer.result : (answer as DeploymentListResponse);
        for (const d of list?.deployments ?? []) {
          if (!newest || d.created_on > newest.created_on) newest = d;
        }
      } catch (error) {
        // Only Cloudflare saying the Worker does not exist means "nothing deployed"; anything else is a failure.
        if (isNotFound(error)) return null;
        throw error;
      }
      if (!newest) return null;
      return {
        versions: newest.versions.map((v) => ({ versionId: v.version_id, percentage: v.percentage })),
        message: newest.annotations?.["workers/message"] ?? "",
      };
    },

    async deploy(stack, versions, message, options = {}) {
      const target = targetOf(stack, env);
      const specs = versions.map((v) => `${v.versionId}@${v.percentage}%`);
      await wrangler(
        target,
        [
          "versions",
          "deploy",
          ...specs,
          "--yes",
          "--message",
          message,
          "--durable-objects-code-update-mode",
          options.codeUpdate ?? "deferred",
        ],
        env,
      );
    },

    async rollback(stack, versionId, message) {
      const target = targetOf(stack, env);
      const output = await wrangler(
        target,
        [
          "rollback",
          versionId,
          "--yes",
          "--message",
          message,
          "--durable-objects-code-update-mode",
          "immediate",
        ],
        env,
      );
      // wrangler lists the secrets that changed before it forces the rollback (Cloudflare's error 10220).
      const changed =
        /The following secrets have changed since version \S+ was deployed[^\n]*\n((?:\s+\*\s+\S+\n?)+)/.exec(
          // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are control characters.
          output.replace(/\u001b\[[0-9;]*m/g, ""),
        );
      const secretsChanged = changed ? [...changed[1]!.matchAll(/\*\s+(\S+)/g)].map((m) => m[1]!) : [];
      return { secretsChanged };
    },
  };
}
