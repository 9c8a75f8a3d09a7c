import { randomUUID } from "node:crypto";
import { CloudflareApiError } from "./envelope.ts";
import { type LifecyclePlan, planExports, planMigrations } from "./lifecycle.ts";
import { checkVersionUpload } from "./rules.ts";
import {
  type Binding,
  type ExportsMap,
  jsonBody,
  parseBody,
  scriptUploadMetadata,
  type UploadMetadata,
} from "./shapes.ts";
import {
  now,
  type ScriptRecord,
  type SecretVault,
  type StandinState,
  type StoredAssets,
  type StoredBinding,
  type StoredModule,
  type VersionRecord,
} from "./state.ts";

/**
 * Turning an upload (wrangler's multipart form, or the new Workers API's JSON version) into a stored version.
 */

/** wrangler 4.164 cli.js `INVALID_INHERIT_BINDING_CODE`: an `inherit` binding with nothing to inherit. */
const INVALID_INHERIT_BINDING_CODE = 10057;

export interface VersionInput {
  readonly mainModule: string;
  readonly modules: readonly StoredModule[];
  readonly bindings: readonly Binding[];
  readonly compatibilityDate: string | undefined;
  readonly compatibilityFlags: readonly string[];
  readonly exports: ExportsMap | undefined;
  readonly migrations: UploadMetadata["migrations"];
  readonly assetsJwt: string | undefined;
  readonly assetsConfig: Record<string, unknown> | undefined;
  readonly keepAssets: boolean;
  readonly keepBindings: readonly string[];
  readonly annotations: Readonly<Record<string, string>>;
  readonly source: VersionRecord["source"];
}

/** Completed asset-upload sessions: completion token -> the manifest it completed. */
export type CompletedAssetUploads = Map<string, StoredAssets["manifest"]>;

/** Reads wrangler's multipart upload: a `metadata` part (JSON) and one part per module, named by the module. */
export async function readMultipartUpload(
  request: Request,
  source: VersionRecord["source"],
): Promise<{ metadata: UploadMetadata; input: VersionInput }> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new CloudflareApiError(400, 10021, "The upload is not a multipart/form-data body.");
  }
  const metadataPart = form.get("metadata");
  if (metadataPart === null) throw new CloudflareApiError(400, 10021, "The upload has no metadata part.");
  const metadataText = typeof metadataPart === "string" ? metadataPart : await metadataPart.text();
  const metadata = parseBody(
    scriptUploadMetadata,
    await jsonBody(new Request("http://x", { method: "POST", body: metadataText }), "metadata"),
    "metadata",
  );
  const modules: StoredModule[] = [];
  for (const [name, part] of form.entries()) {
    if (name === "metadata" || typeof part === "string") continue;
    modules.push({
      name: part.name || name,
      contentType: part.type.split(";")[0] ?? "application/octet-stream",
      content: Buffer.from(await part.arrayBuffer()),
    });
  }
  return {
    metadata,
    input: {
      mainModule: metadata.main_module,
      modules,
      bindings: metadata.bindings ?? [],
      compatibilityDate: metadata.compatibility_date,
      compatibilityFlags: metadata.compatibility_flags ?? [],
      exports: metadata.exports,
      migrations: metadata.migrations,
      assetsJwt: metadata.assets?.jwt,
      assetsConfig: metadata.assets?.config,
      keepAssets: metadata.keep_assets ?? false,
      keepBindings: metadata.keep_bindings ?? [],
      annotations: Object.fromEntries(
        Object.entries(metadata.annotations ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      source,
    },
  };
}

/** The latest uploaded version of a script (the one `inherit` and `keep_*` refer to). */
const latestVersion = (script: ScriptRecord) => script.versions.at(-1);

function storeBindings(
  script: ScriptRecord,
  input: VersionInput,
  vault: SecretVault,
  inheritStrict: boolean,
): StoredBinding[] {
  const previous = latestVersion(script);
  const stored: StoredBinding[] = [];
  for (const binding of input.bindings) {
    if (binding.type === "secret_text") {
      stored.push({ type: "secret_text", name: binding.name, sha256: vault.keep(binding.text) });
    } else if (binding.type === "inherit") {
      const from = previous?.bindings.find((b) => b.name === (binding.old_name ?? binding.name));
      if (from) stored.push({ ...from, name: binding.name });
      else if (inheritStrict)
        throw new CloudflareApiError(
          400,
          INVALID_INHERIT_BINDING_CODE,
          `Binding ${binding.name} inherits from the previous version, which has no binding ${binding.old_name ?? binding.name}.`,
        );
    } else {
      stored.push(binding);
    }
  }
  const named = new Set(stored.map((b) => b.name));
  for (const kept of previous?.bindings ?? [])
    if (input.keepBindings.includes(kept.type) && !named.has(kept.name)) stored.push(kept);
  return stored;
}

function storeAssets(
  script: ScriptRecord,
  input: VersionInput,
  completed: CompletedAssetUploads,
): StoredAssets | undefined {
  if (input.assetsJwt !== undefined) {
    const manifest = completed.get(input.assetsJwt);
    if (!manifest)
      throw new CloudflareApiError(
        400,
        10021,
        "The assets completion token is unknown or was not completed.",
      );
    return { manifest, config: input.assetsConfig ?? {} };
  }
  const previous = latestVersion(script)?.assets;
  if (input.keepAssets && previous)
    return { manifest: previous.manifest, config: input.assetsConfig ?? previous.config };
  return undefined;
}

export interface CreatedVersion {
  readonly version: VersionRecord;
  readonly plan: LifecyclePlan | undefined;
}

/**
 * Stores a new version of `script`. `kind` says which path it came through: a non-versioned script upload applies
 * its class lifecycle now (the caller deploys it); a version upload is checked by `checkVersionUpload` first.
 */
export function createVersion(
  state: StandinState,
  script: ScriptRecord,
  input: VersionInput,
  options: {
    readonly kind: "script-upload" | "version-upload";
    readonly vault: SecretVault;
    readonly completedAssets: CompletedAssetUploads;
    readonly inheritStrict: boolean;
    readonly exportsInVersionUpload: "refuse" | "defer";
  },
): CreatedVersion {
  if (input.exports !== undefined && input.migrations !== undefined)
    throw new CloudflareApiError(400, 10021, "`exports` and `migrations` are mutually exclusive on upload.");
  if (!input.modules.some((m) => m.name === input.mainModule))
    throw new CloudflareApiError(
      400,
      10021,
      `No module named ${input.mainModule} (the main module) was uploaded.`,
    );
  const plan =
    input.migrations !== undefined
      ? planMigrations(script, input.migrations)
      : input.exports !== undefined
        ? planExports(script, input.exports, state.scripts)
        : undefined;
  if (options.kind === "version-upload")
    checkVersionUpload(
      script,
      { exports: input.exports, migrations: input.migrations, bindings: input.bindings },
      plan,
      options.exportsInVersionUpload,
    );
  const bindings = storeBindings(script, input, options.vault, options.inheritStrict);
  const assets = storeAssets(script, input, options.completedAssets);
  const version: VersionRecord = {
    id: randomUUID(),
    number: script.versions.length + 1,
    createdOn: now(),
    source: input.source,
    annotations: input.annotations,
    mainModule: input.mainModule,
    modules: input.modules,
    bindings,
    compatibilityDate: input.compatibilityDate,
    compatibilityFlags: input.compatibilityFlags,
    exports: input.exports,
    assets,
    lifecycleEpoch:
      script.lifecycleEpoch + (options.kind === "script-upload" && plan?.changesClasses ? 1 : 0),
  };
  if (options.kind === "script-upload" && plan) {
    plan.apply();
    version.exportsReconciliation = plan.reconciliation;
  }
  script.versions.push(version);
  script.modifiedOn = version.createdOn;
  return { version, plan };
}
