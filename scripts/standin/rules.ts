import { CloudflareApiError } from "./envelope.ts";
import { declaredLiveClasses, exportsFingerprint, type LifecyclePlan } from "./lifecycle.ts";
import type { Binding, ExportsMap } from "./shapes.ts";
import { liveDeployment, type ScriptRecord, type VersionRecord, versionOf } from "./state.ts";

/**
 * Cloudflare's documented rules for versions and deployments, each with the code the API answers with.
 */

const GRADUAL_DO_DOCS =
  "https://developers.cloudflare.com/workers/versions-and-deployments/gradual-deployments/with-durable-objects/";

/**
 * 10211: "Version upload failed. You attempted to upload a version of a Worker that includes a Durable Object
 * migration, but migrations must be fully applied via a non-versioned deployment." (the API's text, quoted in
 * https://github.com/cloudflare/cloudflare-docs/issues/32982; the rule: the "With Durable Objects" page).
 */
export const VERSION_UPLOAD_WITH_MIGRATION_CODE = 10211;
/** 100405, wrangler 4.164 cli.js `INCONSISTENT_EXPORTS_ACROSS_VERSIONS_CODE`. */
export const INCONSISTENT_EXPORTS_ACROSS_VERSIONS_CODE = 100405;
/** 100406, wrangler 4.164 cli.js `ACTOR_BINDING_DEPENDS_ON_EXPORT_CODE`. */
export const ACTOR_BINDING_DEPENDS_ON_EXPORT_CODE = 100406;
/** 10220, wrangler 4.164 cli.js `CANNOT_ROLLBACK_WITH_MODIFIED_SECERT_CODE` (sic). */
export const CANNOT_ROLLBACK_WITH_MODIFIED_SECRET_CODE = 10220;
/** 10007, wrangler 4.164 cli.js `WORKER_NOT_FOUND_ERR_CODE`. */
export const WORKER_NOT_FOUND_CODE = 10007;
/**
 * Codes Cloudflare does not document for these refusals (its docs state the rule only); the stand-in's choice:
 * a deployment's shape (more than two versions, percentages not summing to 100, an unknown version) answers
 * 10001, a rollback across a class migration answers 10211 (the class-lifecycle code).
 */
export const INVALID_DEPLOYMENT_CODE = 10001;

export function workerNotFound(name: string): CloudflareApiError {
  return new CloudflareApiError(
    404,
    WORKER_NOT_FOUND_CODE,
    `This Worker does not exist on your account: ${name}.`,
  );
}

/**
 * A version upload (…/scripts/{name}/versions, and the new Workers API's versions): legacy `migrations` are
 * refused with 10211; a Durable Object binding to a class that `exports` declares but that is not provisioned is
 * refused with 100406 (checked first: wrangler handles it as the upload's own error); and, when `refuseExports`
 * (the default), an `exports` map that would change the provisioned classes is refused with 10211 too.
 *
 * Evidence on the last point is split: the "With Durable Objects" page and the API's 10211 text say a class
 * lifecycle change cannot go through a version upload; wrangler's own source (workers-sdk
 * packages/deploy-helpers/src/deploy/versions-upload.ts) says the versions endpoint persists `exports` and defers
 * reconciliation to the deployment. `exportsInVersionUpload: "defer"` models the latter.
 */
export function checkVersionUpload(
  script: ScriptRecord,
  upload: { exports: ExportsMap | undefined; migrations: unknown; bindings: readonly Binding[] },
  plan: LifecyclePlan | undefined,
  mode: "refuse" | "defer",
): void {
  if (upload.migrations !== undefined)
    throw new CloudflareApiError(
      400,
      VERSION_UPLOAD_WITH_MIGRATION_CODE,
      "Version upload failed. You attempted to upload a version of a Worker that includes a Durable Object migration, but migrations must be fully applied via a non-versioned deployment. Refer to the documentation for more information.",
      GRADUAL_DO_DOCS,
    );
  const declared = declaredLiveClasses(upload.exports);
  for (const binding of upload.bindings) {
    if (binding.type !== "durable_object_namespace") continue;
    if (binding.script_name && binding.script_name !== script.name) continue;
    const className = binding.class_name ?? "";
    if (declared.has(className) && !script.classes.has(className))
      throw new CloudflareApiError(
        400,
        ACTOR_BINDING_DEPENDS_ON_EXPORT_CODE,
        `Binding ${binding.name} references Durable Object class ${className}, which is declared in exports but not yet provisioned. Declarative exports are reconciled when the version is deployed: deploy it with a non-versioned upload first.`,
        GRADUAL_DO_DOCS,
      );
  }
  if (mode === "refuse" && plan?.changesClasses) {
    const r = plan.reconciliation;
    const what = [
      ...r.created.map((c) => `create ${c}`),
      ...r.deleted.map((c) => `delete ${c}`),
      ...r.renamed.map((c) => `rename ${c.from} to ${c.to}`),
      ...r.transferred.map((c) => `transfer ${c.class} to ${c.to}`),
    ];
    throw new CloudflareApiError(
      400,
      VERSION_UPLOAD_WITH_MIGRATION_CODE,
      `Version upload failed. You attempted to upload a version of a Worker that includes a Durable Object migration (${what.join(", ") || "an expected transfer"}), but migrations must be fully applied via a non-versioned deployment. Refer to the documentation for more information.`,
      GRADUAL_DO_DOCS,
    );
  }
}

/** Secret names whose value differs between two versions (or that only one of them has). */
export function changedSecrets(a: VersionRecord, b: VersionRecord): string[] {
  const secrets = (v: VersionRecord) =>
    new Map(v.bindings.flatMap((b) => (b.type === "secret_text" ? [[b.name, b.sha256] as const] : [])));
  const [x, y] = [secrets(a), secrets(b)];
  return [...new Set([...x.keys(), ...y.keys()])].filter((name) => x.get(name) !== y.get(name)).sort();
}

/**
 * A new deployment (POST …/scripts/{name}/deployments): at most two versions, percentages summing to 100
 * (https://developers.cloudflare.com/workers/versions-and-deployments/gradual-deployments/), identical Durable
 * Object exports in a split (100405), no rollback across a secret change without `force` (10220,
 * https://developers.cloudflare.com/workers/versions-and-deployments/rollbacks/ and wrangler's rollback command,
 * which retries with `?force=true` once the user confirms), no rollback across a Durable Object migration (the
 * rollbacks page's "Bindings" limits). Returns the versions in the deployment's order.
 */
export function checkDeployment(
  script: ScriptRecord,
  versions: readonly { version_id: string; percentage: number }[],
  force: boolean,
): VersionRecord[] {
  const invalid = (message: string) => new CloudflareApiError(400, INVALID_DEPLOYMENT_CODE, message);
  if (versions.length < 1 || versions.length > 2)
    throw invalid(`A deployment has one or two versions; this one has ${versions.length}.`);
  if (new Set(versions.map((v) => v.version_id)).size !== versions.length)
    throw invalid("A deployment names each version once.");
  for (const { percentage } of versions)
    if (!(percentage > 0 && percentage <= 100)) throw invalid(`Percentage ${percentage} is not in (0, 100].`);
  const total = versions.reduce((sum, v) => sum + v.percentage, 0);
  if (Math.abs(total - 100) > 1e-9) throw invalid(`Percentages must sum to 100; these sum to ${total}.`);
  const records = versions.map(({ version_id }) => {
    const record = versionOf(script, version_id);
    if (!record) throw invalid(`Version ${version_id} does not exist on Worker ${script.name}.`);
    return record;
  });
  if (
    records.length === 2 &&
    exportsFingerprint(records[0]?.exports) !== exportsFingerprint(records[1]?.exports)
  )
    throw new CloudflareApiError(
      400,
      INCONSISTENT_EXPORTS_ACROSS_VERSIONS_CODE,
      "All versions in a multi-version deployment must declare identical `exports`.",
      GRADUAL_DO_DOCS,
    );
  const live = liveDeployment(script);
  const target = records[0];
  if (records.length === 1 && target && live) {
    const newestLive = live.versions
      .map((v) => versionOf(script, v.version_id))
      .filter((v): v is VersionRecord => v !== undefined)
      .sort((a, b) => b.number - a.number)[0];
    if (newestLive && target.number < newestLive.number) {
      if (target.lifecycleEpoch !== script.lifecycleEpoch)
        throw new CloudflareApiError(
          400,
          VERSION_UPLOAD_WITH_MIGRATION_CODE,
          `Cannot roll back to version ${target.id}: a Durable Object migration has occurred between it and the version in the active deployment.`,
          "https://developers.cloudflare.com/workers/versions-and-deployments/rollbacks/",
        );
      const changed = changedSecrets(target, newestLive);
      if (changed.length > 0 && !force)
        throw new CloudflareApiError(
          400,
          CANNOT_ROLLBACK_WITH_MODIFIED_SECRET_CODE,
          `A secret has changed since version ${target.id} was deployed. Deploy with force to roll back anyway. The following secrets have changed: ${changed.join(", ")}`,
          "https://developers.cloudflare.com/workers/versions-and-deployments/rollbacks/",
        );
    }
  }
  return records;
}
