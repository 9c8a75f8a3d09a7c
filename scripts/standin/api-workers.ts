import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import type { Context } from "./context.ts";
import { CloudflareApiError, paginate, success } from "./envelope.ts";
import { workerNotFound } from "./rules.ts";
import {
  domainUpdate,
  jsonBody,
  latestVersionPatch,
  parseBody,
  workerCreate,
  workerEdit,
  workerUpdate,
  workerVersionCreate,
} from "./shapes.ts";
import { newScript, now, type ScriptRecord } from "./state.ts";
import { createVersion } from "./uploads.ts";
import { workerVersionView, workerView } from "./views.ts";

/**
 * The new Workers API (…/workers/workers, the SDK's `workers.beta.workers`), which @pulumi/cloudflare's `Worker`
 * and `WorkerVersion` drive, and custom domains (PUT …/workers/domains). A Worker is a script: the two APIs see
 * the same records (its id is the script's tag; the API also accepts the name).
 *
 * `POST …/versions?deploy=true` uploads and deploys at 100 % in one call. Cloudflare does not document that it
 * accepts a Durable Object class-lifecycle change there; the stand-in treats it as a version upload (10211 for a
 * lifecycle change, 100406 for a binding to an unprovisioned class) before deploying.
 */
export function workerRoutes(app: Hono, ctx: Context): void {
  const { state } = ctx;
  const worker = (idOrName: string): ScriptRecord => {
    for (const script of state.scripts.values())
      if (script.id === idOrName || script.name === idOrName) return script;
    throw workerNotFound(idOrName);
  };
  const applySettings = (script: ScriptRecord, body: Partial<ReturnType<typeof parseWorker>>) => {
    if (body.logpush !== undefined) script.worker.logpush = body.logpush;
    if (body.observability !== undefined) script.worker.observability = { ...body.observability };
    if (body.tags !== undefined) script.worker.tags = [...body.tags];
    if (body.tail_consumers !== undefined)
      script.worker.tail_consumers = body.tail_consumers.map((t) => ({ ...t }));
    if (body.subdomain?.enabled !== undefined) script.workersDev = body.subdomain.enabled;
    if (body.subdomain?.previews_enabled !== undefined)
      script.previewsEnabled = body.subdomain.previews_enabled;
    script.modifiedOn = now();
  };
  const parseWorker = (input: unknown) => parseBody(workerCreate, input, "Worker");

  app.post("/workers/workers", async (c) => {
    const body = parseWorker(await jsonBody(c.req.raw, "Worker"));
    if (state.scripts.has(body.name))
      throw new CloudflareApiError(409, 10021, `A Worker named ${body.name} already exists on this account.`);
    const script = newScript(body.name);
    applySettings(script, body);
    await ctx.addScript(script);
    return c.json(success(workerView(script)));
  });

  app.get("/workers/workers/:id", (c) => c.json(success(workerView(worker(c.req.param("id"))))));

  app.put("/workers/workers/:id", async (c) => {
    const script = worker(c.req.param("id"));
    const body = parseBody(workerUpdate, await jsonBody(c.req.raw, "Worker"), "Worker");
    if (body.name !== script.name)
      throw new CloudflareApiError(400, 10021, "The stand-in does not model renaming a Worker.");
    applySettings(script, body);
    return c.json(success(workerView(script)));
  });

  app.patch("/workers/workers/:id", async (c) => {
    const script = worker(c.req.param("id"));
    const body = parseBody(workerEdit, await jsonBody(c.req.raw, "Worker"), "Worker");
    if (body.name !== undefined && body.name !== script.name)
      throw new CloudflareApiError(400, 10021, "The stand-in does not model renaming a Worker.");
    applySettings(script, body);
    return c.json(success(workerView(script)));
  });

  app.post("/workers/workers/:id/versions", async (c) => {
    const script = worker(c.req.param("id"));
    const body = parseBody(workerVersionCreate, await jsonBody(c.req.raw, "version"), "version");
    const modules = (body.modules ?? []).map((m) => ({
      name: m.name,
      contentType: m.content_type,
      content: Buffer.from(m.content_base64, "base64"),
    }));
    const { version } = createVersion(
      state,
      script,
      {
        mainModule: body.main_module ?? modules[0]?.name ?? "",
        modules,
        bindings: body.bindings ?? [],
        compatibilityDate: body.compatibility_date,
        compatibilityFlags: body.compatibility_flags ?? [],
        exports: body.exports,
        migrations: body.migrations,
        assetsJwt: body.assets?.jwt,
        assetsConfig: body.assets?.config,
        keepAssets: false,
        keepBindings: [],
        annotations: Object.fromEntries(
          Object.entries(body.annotations ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
        ),
        source: "terraform",
      },
      {
        kind: "version-upload",
        vault: ctx.vault,
        completedAssets: ctx.completedAssets,
        inheritStrict: true,
        exportsInVersionUpload: ctx.options.exportsInVersionUpload,
      },
    );
    if (c.req.query("deploy") === "true")
      await ctx.deploy(script, [{ version_id: version.id, percentage: 100 }], {
        source: "terraform",
        annotations: { "workers/triggered_by": "version_upload_and_deploy" },
        codeUpdateStrategy: undefined,
      });
    return c.json(success(workerVersionView(script, version)));
  });

  app.patch("/workers/workers/:id/versions/latest", async (c) => {
    const script = worker(c.req.param("id"));
    // wrangler 4.164 cli.js `NO_VERSIONS_ERR_CODE`.
    if (script.versions.length === 0)
      throw new CloudflareApiError(400, 10222, `Worker ${script.name} has no version to patch.`);
    const body = parseBody(latestVersionPatch, await jsonBody(c.req.raw, "version patch"), "version patch");
    const version = await ctx.newSecretVersion(
      script,
      Object.fromEntries(Object.entries(body.env ?? {}).map(([name, value]) => [name, value?.text ?? null])),
      "wrangler",
      false,
      Object.fromEntries(
        Object.entries({ "workers/triggered_by": "secret", ...body.annotations }).filter(
          (e): e is [string, string] => e[1] !== undefined,
        ),
      ),
    );
    return c.json(success(workerVersionView(script, version)));
  });

  app.get("/workers/workers/:id/versions", (c) => {
    const script = worker(c.req.param("id"));
    const { items, info } = paginate([...script.versions].reverse(), c.req.query(), 20);
    return c.json(
      success(
        items.map((v) => workerVersionView(script, v)),
        info,
      ),
    );
  });

  app.get("/workers/workers/:id/versions/:version", (c) => {
    const script = worker(c.req.param("id"));
    const version = script.versions.find((v) => v.id === c.req.param("version"));
    if (!version)
      throw new CloudflareApiError(
        404,
        10007,
        `Version ${c.req.param("version")} of ${script.name} was not found.`,
      );
    return c.json(success(workerVersionView(script, version)));
  });

  app.put("/workers/domains", async (c) => {
    const body = parseBody(domainUpdate, await jsonBody(c.req.raw, "domain"), "domain");
    if (!state.scripts.has(body.service)) throw workerNotFound(body.service);
    const existing = state.domains.get(body.hostname);
    const zoneName = body.zone_name ?? body.hostname.split(".").slice(-2).join(".");
    const domain = {
      id: existing?.id ?? randomUUID().replaceAll("-", ""),
      hostname: body.hostname,
      service: body.service,
      zone_id: body.zone_id ?? existing?.zone_id ?? randomUUID().replaceAll("-", ""),
      zone_name: zoneName,
    };
    state.domains.set(body.hostname, domain);
    return c.json(success({ ...domain, cert_id: "", environment: "production" }));
  });
}
