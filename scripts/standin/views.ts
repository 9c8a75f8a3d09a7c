import type { Worker, Version as WorkerVersion } from "cloudflare/resources/workers/beta/workers";
import type {
  Deployment,
  VersionGetResponse,
  VersionListResponse,
} from "cloudflare/resources/workers/scripts";
import type { DeploymentRecord, ScriptRecord, StoredBinding, VersionRecord } from "./state.ts";

/**
 * The stand-in's records rendered as the SDK's response types. Secrets are never returned with their value (as
 * Cloudflare never returns one): a `secret_text` binding shows its name and type only.
 */

type PublicBinding = Exclude<StoredBinding, { type: "secret_text" }> | { type: "secret_text"; name: string };
export const publicBindings = (bindings: readonly StoredBinding[]): PublicBinding[] =>
  bindings.map((b) => (b.type === "secret_text" ? { type: "secret_text", name: b.name } : b));

const source = (v: VersionRecord) => v.source;

export function versionListItem(v: VersionRecord) {
  return {
    id: v.id,
    number: v.number,
    metadata: {
      created_on: v.createdOn,
      modified_on: v.createdOn,
      source: source(v),
      author_email: "standin@example.com",
      author_id: "standin",
      hasPreview: false,
    },
    // wrangler reads `annotations` from each list item (cli.js versions list: `workers/tag`, `workers/message`,
    // `workers/triggered_by`); the SDK's list type leaves them out.
    annotations: { "workers/triggered_by": "upload", ...v.annotations },
  } satisfies VersionListResponse & { annotations: Record<string, string> };
}

export function versionView(v: VersionRecord) {
  return {
    ...versionListItem(v),
    resources: {
      bindings: publicBindings(v.bindings) as unknown as VersionGetResponse.Resources.Bindings,
      script: {
        etag: v.id.replaceAll("-", ""),
        handlers: ["fetch"],
        last_deployed_from: source(v),
      },
      script_runtime: {
        compatibility_date: v.compatibilityDate ?? "",
        compatibility_flags: [...v.compatibilityFlags],
        usage_model: "standard" as const,
        ...(v.exports ? { exports: v.exports } : {}),
      },
    },
  } satisfies VersionGetResponse;
}

export function deploymentView(d: DeploymentRecord) {
  return {
    id: d.id,
    created_on: d.createdOn,
    source: d.source,
    strategy: d.strategy,
    versions: d.versions.map((v) => ({ ...v })),
    annotations: { ...d.annotations },
    author_email: "standin@example.com",
  } satisfies Deployment;
}

/** A version on the new Workers API (`…/workers/workers/{id}/versions`). */
export function workerVersionView(script: ScriptRecord, v: VersionRecord): WorkerVersion {
  return {
    id: v.id,
    created_on: v.createdOn,
    number: v.number,
    urls: [],
    annotations: { ...v.annotations },
    bindings: publicBindings(v.bindings) as WorkerVersion["bindings"],
    compatibility_date: v.compatibilityDate ?? "",
    compatibility_flags: [...v.compatibilityFlags],
    // On reads, tombstones are omitted: only live exports come back (the SDK's doc of `Version.exports`).
    ...(v.exports
      ? {
          exports: Object.fromEntries(
            Object.entries(v.exports).filter(
              ([, e]) => e.state === undefined || e.state === "created" || e.state === "expecting-transfer",
            ),
          ) as WorkerVersion["exports"],
        }
      : {}),
    ...(v.exportsReconciliation ? { exports_reconciliation: v.exportsReconciliation } : {}),
    main_module: v.mainModule,
    ...(script.migrationTag ? { migration_tag: script.migrationTag } : {}),
    source: v.source,
    startup_time_ms: 1,
  };
}

export function workerView(script: ScriptRecord): Worker {
  return {
    id: script.id,
    name: script.name,
    created_on: script.createdOn,
    updated_on: script.modifiedOn,
    deployed_on: script.deployments[0]?.createdOn ?? null,
    logpush: script.worker.logpush,
    observability: script.worker.observability as Worker["observability"],
    references: {
      dispatch_namespace_outbounds: [],
      domains: [],
      durable_objects: [],
      queues: [],
      workers: [],
    },
    subdomain: { enabled: script.workersDev, previews_enabled: script.previewsEnabled },
    tags: [...script.worker.tags],
    tail_consumers: script.worker.tail_consumers.map((t) => ({ ...t })),
  };
}
