import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import type { Context } from "./context.ts";
import { CloudflareApiError, paginate, success } from "./envelope.ts";
import { planExports } from "./lifecycle.ts";
import { checkDeployment, workerNotFound } from "./rules.ts";
import {
  deploymentCreate,
  jsonBody,
  parseBody,
  scriptSettings,
  scriptSubdomain,
  secretPut,
  secretsBulk,
} from "./shapes.ts";
import { newScript, now, type ScriptRecord, type VersionRecord } from "./state.ts";
import { createVersion, readMultipartUpload } from "./uploads.ts";
import { deploymentView, publicBindings, versionListItem, versionView } from "./views.ts";

/**
 * The script endpoints wrangler 4.164 drives (`deploy`, `versions upload|list|view|deploy`, `deployments
 * list|status`, `rollback`, `secret put|bulk`, `versions secret put`), under /accounts/{account}/workers.
 */

/** Cloudflare's code for "this service (script) has no such environment": wrangler treats it as "not found". */
const SERVICE_NOT_FOUND_CODE = 10090;
const VERSION_NOT_DEPLOYED_CODE = 10215;

export function scriptRoutes(app: Hono, ctx: Context): void {
  const { state } = ctx;
  const script = (name: string): ScriptRecord => {
    const found = state.scripts.get(name);
    if (!found) throw workerNotFound(name);
    return found;
  };
  const sourceOf = (request: Request): VersionRecord["source"] =>
    (request.headers.get("user-agent") ?? "").startsWith("wrangler") ? "wrangler" : "api";

  app.get("/workers/services/:name", (c) => {
    const found = state.scripts.get(c.req.param("name"));
    if (!found)
      throw new CloudflareApiError(
        404,
        SERVICE_NOT_FOUND_CODE,
        `Service ${c.req.param("name")} was not found.`,
      );
    return c.json(
      success({
        id: found.name,
        default_environment: {
          environment: "production",
          created_on: found.createdOn,
          modified_on: found.modifiedOn,
          script: {
            id: found.name,
            tag: found.id,
            etag: found.versions.at(-1)?.id ?? "",
            handlers: ["fetch"],
            ...(found.migrationTag ? { migration_tag: found.migrationTag } : {}),
            created_on: found.createdOn,
            modified_on: found.modifiedOn,
            last_deployed_from: found.versions.at(-1)?.source ?? "api",
          },
        },
        created_on: found.createdOn,
        modified_on: found.modifiedOn,
      }),
    );
  });

  // Non-versioned upload: creates the script if needed, applies the class lifecycle, deploys at 100 %.
  app.put("/workers/scripts/:name", async (c) => {
    const name = c.req.param("name");
    const { input } = await readMultipartUpload(c.req.raw, sourceOf(c.req.raw));
    const existing = state.scripts.get(name);
    const target = existing ?? newScript(name);
    const { version, plan } = createVersion(state, target, input, {
      kind: "script-upload",
      vault: ctx.vault,
      completedAssets: ctx.completedAssets,
      inheritStrict: c.req.query("bindings_inherit") === "strict",
      exportsInVersionUpload: ctx.options.exportsInVersionUpload,
    });
    if (!existing) await ctx.addScript(target);
    await ctx.deploy(target, [{ version_id: version.id, percentage: 100 }], {
      source: version.source,
      annotations: { "workers/triggered_by": "upload" },
      codeUpdateStrategy: undefined,
    });
    return c.json(
      success({
        id: name,
        tag: target.id,
        etag: version.id.replaceAll("-", ""),
        // wrangler reads the new version's id from `deployment_id` (cli.js deploy: "version id not deployment id").
        deployment_id: version.id,
        startup_time_ms: 1,
        created_on: target.createdOn,
        modified_on: target.modifiedOn,
        compatibility_date: version.compatibilityDate ?? "",
        compatibility_flags: [...version.compatibilityFlags],
        has_assets: version.assets !== undefined,
        has_modules: true,
        handlers: ["fetch"],
        ...(target.migrationTag ? { migration_tag: target.migrationTag } : {}),
        ...(plan && !("steps" in (input.migrations ?? {})) && input.exports
          ? { exports_reconciliation: plan.reconciliation }
          : {}),
        usage_model: "standard" as const,
      }),
    );
  });

  app.post("/workers/scripts/:name/versions", async (c) => {
    const target = script(c.req.param("name"));
    const { input } = await readMultipartUpload(c.req.raw, sourceOf(c.req.raw));
    const { version } = createVersion(state, target, input, {
      kind: "version-upload",
      vault: ctx.vault,
      completedAssets: ctx.completedAssets,
      inheritStrict: c.req.query("bindings_inherit") === "strict",
      exportsInVersionUpload: ctx.options.exportsInVersionUpload,
    });
    return c.json(success({ ...versionView(version), startup_time_ms: 1 }));
  });

  app.get("/workers/scripts/:name/versions", (c) => {
    const target = script(c.req.param("name"));
    const newestFirst = [...target.versions].reverse();
    const { items, info } = paginate(newestFirst, c.req.query(), 10);
    return c.json(success({ items: items.map(versionListItem) }, info));
  });

  app.get("/workers/scripts/:name/versions/:id", (c) => {
    const target = script(c.req.param("name"));
    const version = target.versions.find((v) => v.id === c.req.param("id"));
    if (!version)
      throw new CloudflareApiError(
        404,
        10007,
        `Version ${c.req.param("id")} of ${target.name} was not found.`,
      );
    return c.json(success(versionView(version)));
  });

  app.post("/workers/scripts/:name/deployments", async (c) => {
    const target = script(c.req.param("name"));
    const body = parseBody(deploymentCreate, await jsonBody(c.req.raw, "deployment"), "deployment");
    const deployment = await ctx.deploy(target, body.versions, {
      force: c.req.query("force") === "true",
      source: sourceOf(c.req.raw),
      annotations: { ...body.annotations },
      codeUpdateStrategy: body.code_update_strategy,
    });
    return c.json(success(deploymentView(deployment)));
  });

  app.get("/workers/scripts/:name/deployments", (c) => {
    const target = script(c.req.param("name"));
    return c.json(success({ deployments: target.deployments.map(deploymentView) }));
  });

  app.get("/workers/scripts/:name/deployments/:id", (c) => {
    const target = script(c.req.param("name"));
    const found = target.deployments.find((d) => d.id === c.req.param("id"));
    if (!found) throw new CloudflareApiError(404, 10007, `Deployment ${c.req.param("id")} was not found.`);
    return c.json(success(deploymentView(found)));
  });

  // Secrets: each change is a new version with the latest version's code and bindings, deployed at 100 %
  // (https://developers.cloudflare.com/workers/configuration/secrets/: "adds a new version ... and deploys it").
  app.put("/workers/scripts/:name/secrets", async (c) => {
    const target = script(c.req.param("name"));
    const body = parseBody(secretPut, await jsonBody(c.req.raw, "secret"), "secret");
    await ctx.newSecretVersion(target, { [body.name]: body.text }, sourceOf(c.req.raw));
    return c.json(success({ name: body.name, type: "secret_text" }));
  });

  app.patch("/workers/scripts/:name/secrets-bulk", async (c) => {
    const target = script(c.req.param("name"));
    const body = parseBody(secretsBulk, await jsonBody(c.req.raw, "secrets"), "secrets");
    const changes = Object.fromEntries(
      Object.entries(body.secrets ?? {}).map(([name, secret]) => [name, secret?.text ?? null]),
    );
    await ctx.newSecretVersion(target, changes, sourceOf(c.req.raw));
    return c.json(
      success(Object.fromEntries(Object.keys(changes).map((name) => [name, { name, type: "secret_text" }]))),
    );
  });

  app.get("/workers/scripts/:name/settings", (c) => {
    const target = script(c.req.param("name"));
    const latest = target.versions.at(-1);
    return c.json(
      success({
        bindings: publicBindings(latest?.bindings ?? []),
        compatibility_date: latest?.compatibilityDate ?? "",
        compatibility_flags: [...(latest?.compatibilityFlags ?? [])],
        logpush: target.worker.logpush,
        observability: target.worker.observability,
        tags: [...target.worker.tags],
        tail_consumers: [],
        usage_model: "standard",
      }),
    );
  });

  app.patch("/workers/scripts/:name/script-settings", async (c) => {
    const target = script(c.req.param("name"));
    const body = parseBody(scriptSettings, await jsonBody(c.req.raw, "script settings"), "script settings");
    if (body.logpush !== undefined) target.worker.logpush = body.logpush;
    if (body.observability !== undefined) target.worker.observability = { ...body.observability };
    if (body.tags) target.worker.tags = [...body.tags];
    return c.json(
      success({
        logpush: target.worker.logpush,
        observability: target.worker.observability,
        tags: target.worker.tags,
      }),
    );
  });

  app.get("/workers/scripts/:name/secrets", (c) => {
    const target = script(c.req.param("name"));
    const latest = target.versions.at(-1);
    return c.json(success(publicBindings(latest?.bindings ?? []).filter((b) => b.type === "secret_text")));
  });

  app.get("/workers/scripts/:name/subdomain", (c) => {
    const target = script(c.req.param("name"));
    return c.json(success({ enabled: target.workersDev, previews_enabled: target.previewsEnabled }));
  });

  app.post("/workers/scripts/:name/subdomain", async (c) => {
    const target = script(c.req.param("name"));
    const body = parseBody(scriptSubdomain, await jsonBody(c.req.raw, "subdomain"), "subdomain");
    target.workersDev = body.enabled;
    target.previewsEnabled = body.previews_enabled ?? target.previewsEnabled;
    return c.json(success({ enabled: target.workersDev, previews_enabled: target.previewsEnabled }));
  });

  app.get("/workers/subdomain", (c) => c.json(success({ subdomain: state.subdomain })));

  // Before the first deploy too: the session is the account's, named for the script it will serve.
  app.post("/workers/scripts/:name/assets-upload-session", (c) => ctx.assetsUploadSession(c.req.raw));
}

/** Helpers shared by the routes: a deployment, and a secret change as a new deployed version. */
export function deploymentHelpers(ctx: Pick<Context, "state" | "vault" | "redeploy">) {
  const deploy: Context["deploy"] = async (script, versions, options) => {
    const records = checkDeployment(script, versions, options.force ?? false);
    // Deferred class lifecycle (a version uploaded with `exports`, when uploads defer it): applied when the version
    // is deployed, as wrangler's source says the API does.
    const [first] = records;
    if (first?.exports) {
      const plan = planExports(script, first.exports, ctx.state.scripts);
      if (plan.changesClasses) {
        plan.apply();
        first.exportsReconciliation = plan.reconciliation;
        for (const record of records) record.lifecycleEpoch = script.lifecycleEpoch;
      }
    }
    const deployment = {
      id: randomUUID(),
      createdOn: now(),
      source: options.source,
      strategy: "percentage" as const,
      versions: versions.map((v) => ({ version_id: v.version_id, percentage: v.percentage })),
      annotations: options.annotations,
      codeUpdateStrategy: options.codeUpdateStrategy,
    };
    script.deployments.unshift(deployment);
    await ctx.redeploy(script);
    return deployment;
  };
  const newSecretVersion: Context["newSecretVersion"] = async (
    script,
    secrets,
    source,
    deployIt = true,
    annotations = { "workers/triggered_by": "secret" },
  ) => {
    const latest = script.versions.at(-1);
    if (!latest)
      throw new CloudflareApiError(400, 10021, `Worker ${script.name} has no version to add a secret to.`);
    // wrangler 4.164 cli.js `VERSION_NOT_DEPLOYED_ERR_CODE` (10215): a secret change deploys a new version built on
    // the latest one, which is refused while the latest version is not the whole live deployment.
    const live = script.deployments[0];
    if (deployIt && (live?.versions.length !== 1 || live.versions[0]?.version_id !== latest.id))
      throw new CloudflareApiError(
        400,
        VERSION_NOT_DEPLOYED_CODE,
        "Secret edit failed. You attempted to modify a secret, but the latest version of your Worker isn't currently deployed.",
      );
    const bindings = [
      ...latest.bindings.filter((b) => !(b.name in secrets)),
      ...Object.entries(secrets).flatMap(([name, value]) =>
        value === null ? [] : [{ type: "secret_text" as const, name, sha256: ctx.vault.keep(value) }],
      ),
    ];
    const version: VersionRecord = {
      ...latest,
      id: randomUUID(),
      number: script.versions.length + 1,
      createdOn: now(),
      source,
      annotations,
      bindings,
      lifecycleEpoch: script.lifecycleEpoch,
    };
    script.versions.push(version);
    if (!deployIt) return version;
    await deploy(script, [{ version_id: version.id, percentage: 100 }], {
      source,
      annotations: { "workers/triggered_by": "secret" },
      codeUpdateStrategy: undefined,
    });
    return version;
  };
  return { deploy, newSecretVersion };
}
