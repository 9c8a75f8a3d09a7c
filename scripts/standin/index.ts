/**
 * A local stand-in of Cloudflare's API, for real wrangler (and the SDK's request shapes) to talk to, with each
 * deployed version served by a real local workerd. Start it with `startStandin()`, point wrangler at it with
 * `standin.env` (CLOUDFLARE_API_BASE_URL, CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID) and read the Worker at
 * `standin.urlOf(name)`. docs/standin.md says the same with examples; keep the two in step.
 *
 * WHAT IT MODELS
 * - Endpoints (under /client/v4/accounts/{account}): wrangler 4.164's `deploy` (non-versioned PUT of the script
 *   with `exports`, static-assets upload session and bulk upload, workers.dev subdomain, script settings),
 *   `versions upload|list|view|deploy`, `deployments list|status`, `rollback`, `secret put|bulk`,
 *   `versions secret put`; the new Workers API (`…/workers/workers`, its versions, `?deploy=true`) and custom
 *   domains (`PUT …/workers/domains`). Anything else is answered 404 in Cloudflare's envelope and recorded in
 *   `state.unknownRequests` (tests fail on it).
 * - Request bodies are parsed by schemas checked against the `cloudflare` SDK's params types and refuse unknown
 *   fields (400, 10021); answers are built as the SDK's response types (scripts/standin/shapes.ts, views.ts).
 * - State: scripts, versions (modules, bindings, secrets as sha256 digests, exports, annotations, assets),
 *   deployments newest first, the Durable Object classes provisioned per script, with the `exports` lifecycle
 *   (created, deleted, renamed, transferred, expecting-transfer, stale tombstones) and legacy migrations.
 * - Rules, each with its code (scripts/standin/rules.ts cites the source of each): 10211 for a class-lifecycle
 *   change or legacy migration in a version upload (and on the new API's `?deploy=true`, which Cloudflare does not
 *   document either way); 100406 for a binding to a class declared in `exports` but not provisioned, in a version
 *   upload; 100405 for a split whose versions' Durable Object exports differ; 10220 for a rollback (an older
 *   version at 100 %) across a secret change without `?force=true`; at most two versions per deployment with
 *   percentages summing to 100; no rollback across a class migration; 10007 for an unknown Worker; 10215 for a
 *   secret change while the latest version is not fully deployed; 100402 for an `exports` map that cannot apply.
 * - Serving: one local port per script (`urlOf`), one workerd (Miniflare) per script running the live
 *   deployment's versions, routed by its percentages or the version-override header; Durable Object storage
 *   persists across deployments in one directory per script.
 *
 * WHAT IT DOES NOT MODEL
 * - Authentication and authorisation (any token is accepted; only the account id is checked), rate limits,
 *   eventual consistency (every change is visible at once), pagination limits other than the ones named here.
 * - Per-object version assignment in a split: all Durable Objects run on the version with the larger share. A
 *   deployment replaces running objects at once (no deferred code update; `code_update_strategy` is recorded only).
 * - Moving a transferred namespace's stored objects between scripts' directories (the transfer is recorded; the
 *   served storage stays where it was), containers, routes and zones beyond recording a custom domain, binding
 *   kinds other than plain_text, secret_text, json, version_metadata, assets, ratelimit, durable_object_namespace
 *   and inherit (refused with 400 naming the kind), preview URLs, tails, logs, Workers for Platforms.
 * - Codes Cloudflare does not document: a malformed deployment answers 10001; a rollback across a class migration
 *   answers 10211.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import { assetRoutes } from "./api-assets.ts";
import { deploymentHelpers, scriptRoutes } from "./api-scripts.ts";
import { settingsRoutes } from "./api-settings.ts";
import { workerRoutes } from "./api-workers.ts";
import type { Context } from "./context.ts";
import { CloudflareApiError, failure } from "./envelope.ts";
import { listen } from "./node-http.ts";
import { type ScriptServer, startScriptServer } from "./serving.ts";
import { SecretVault, type StandinState } from "./state.ts";
import type { CompletedAssetUploads } from "./uploads.ts";

export type { StandinState } from "./state.ts";

export interface StandinOptions {
  /** The account id wrangler must use (CLOUDFLARE_ACCOUNT_ID). Default "standin-account". */
  readonly accountId?: string;
  /** The account's workers.dev subdomain. Default "standin". */
  readonly subdomain?: string;
  /** Where served Durable Object storage and assets live (one directory per script). Default: a fresh temp dir. */
  readonly directory?: string;
  /**
   * A version upload whose `exports` would change the provisioned classes: "refuse" (10211; the default, as the
   * "With Durable Objects" page says) or "defer" (accept, reconcile when deployed; what wrangler's source says).
   */
  readonly exportsInVersionUpload?: "refuse" | "defer";
  /** Called for every request the stand-in does not implement (after it answers 404). */
  readonly onUnknownRequest?: (what: string) => void;
  /** Called with one line per request answered ("METHOD path -> status"), for debugging. */
  readonly log?: (line: string) => void;
}

export interface Standin {
  /** e.g. http://127.0.0.1:40123/client/v4 — the value of CLOUDFLARE_API_BASE_URL. */
  readonly apiBaseUrl: string;
  readonly accountId: string;
  /** The environment that points wrangler at the stand-in (merge it into a child process's env). */
  readonly env: Readonly<Record<string, string>>;
  /** The script's workers.dev URL: its own local port. Throws for a script the stand-in does not know. */
  urlOf(scriptName: string): URL;
  readonly state: StandinState;
  close(): Promise<void>;
}

export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  const accountId = options.accountId ?? "standin-account";
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(path.join(tmpdir(), "standin-")));
  const state: StandinState = {
    accountId,
    subdomain: options.subdomain ?? "standin",
    scripts: new Map(),
    assetBlobs: new Map(),
    domains: new Map(),
    unknownRequests: [],
  };
  const vault = new SecretVault();
  const completedAssets: CompletedAssetUploads = new Map();
  const servers = new Map<string, ScriptServer>();

  const account = new Hono();
  const base: Omit<Context, "deploy" | "newSecretVersion" | "assetsUploadSession"> = {
    state,
    vault,
    completedAssets,
    options: { exportsInVersionUpload: options.exportsInVersionUpload ?? "refuse" },
    async addScript(script) {
      state.scripts.set(script.name, script);
      servers.set(
        script.name,
        await startScriptServer(state, script, vault, path.join(directory, script.name)),
      );
    },
    redeploy: async (script) => servers.get(script.name)?.redeploy(),
  };
  const assetsUploadSession = assetRoutes(account, state, completedAssets);
  const ctx: Context = { ...base, ...deploymentHelpers(base), assetsUploadSession };
  scriptRoutes(account, ctx);
  settingsRoutes(account, ctx);
  workerRoutes(account, ctx);

  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    options.log?.(
      `${c.req.method} ${new URL(c.req.url).pathname}${new URL(c.req.url).search} -> ${c.res.status}`,
    );
  });
  app.use("/client/v4/accounts/:account/*", async (c, next) => {
    if (c.req.param("account") !== accountId)
      throw new CloudflareApiError(
        403,
        10000,
        `Authentication error: this token has no access to account ${c.req.param("account")}.`,
      );
    await next();
  });
  app.route("/client/v4/accounts/:account", account);
  app.notFound((c) => {
    const what = `${c.req.method} ${new URL(c.req.url).pathname}${new URL(c.req.url).search}`;
    state.unknownRequests.push(what);
    options.onUnknownRequest?.(what);
    return c.json(
      failure(new CloudflareApiError(404, 7003, `The stand-in does not implement ${what}.`)),
      404,
    );
  });
  app.onError((error, c) => {
    if (error instanceof CloudflareApiError) return c.json(failure(error), error.status);
    return c.json(
      failure(new CloudflareApiError(500, 10000, `The stand-in failed: ${(error as Error).message}`)),
      500,
    );
  });

  const server = await listen((request) => Promise.resolve(app.fetch(request)));
  const apiBaseUrl = new URL("/client/v4", server.url).toString();
  return {
    apiBaseUrl,
    accountId,
    env: {
      CLOUDFLARE_API_BASE_URL: apiBaseUrl,
      CLOUDFLARE_API_TOKEN: "standin-token",
      CLOUDFLARE_ACCOUNT_ID: accountId,
      // No telemetry and no update check: wrangler must only talk to the stand-in.
      WRANGLER_SEND_METRICS: "false",
    },
    urlOf(scriptName) {
      const found = servers.get(scriptName);
      if (!found) throw new Error(`The stand-in has no Worker named ${scriptName}.`);
      return found.url;
    },
    state,
    async close() {
      await server.close();
      await Promise.all([...servers.values()].map((s) => s.close()));
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}
