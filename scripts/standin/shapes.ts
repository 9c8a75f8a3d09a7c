import type {
  WorkerCreateParams,
  WorkerUpdateParams,
  VersionCreateParams as WorkerVersionCreateParams,
} from "cloudflare/resources/workers/beta/workers";
import type { DomainUpdateParams } from "cloudflare/resources/workers/domains";
import type {
  DeploymentCreateParams,
  ScriptUpdateParams,
  VersionCreateParams as ScriptVersionCreateParams,
} from "cloudflare/resources/workers/scripts";
import type { UploadCreateParams as AssetUploadParams } from "cloudflare/resources/workers/scripts/assets";
import type {
  SecretBulkUpdateParams,
  SecretUpdateParams,
} from "cloudflare/resources/workers/scripts/secrets";
import type { SubdomainCreateParams } from "cloudflare/resources/workers/scripts/subdomain";
import * as v from "valibot";
import { CloudflareApiError } from "./envelope.ts";

/**
 * Request bodies as Cloudflare's SDK types them (the `cloudflare` package, generated from Cloudflare's OpenAPI
 * document). Each schema below is checked at compile time by `Within<schema output, SDK type>`: everything it
 * accepts is a value of the SDK type and carries no key the SDK type lacks. At run time the schemas are strict:
 * a body with a field the SDK does not know (a module's `content_sha256`, for instance) is refused with 400 and
 * code 10021, the code Cloudflare answers invalid Worker metadata with ("binding DB of type d1 must have a valid
 * `id` specified [code: 10021]", "Worker validation failed [code: 10021]").
 *
 * Only the binding kinds this project uploads (and `inherit`, `json`) are modelled; any other kind is refused with
 * 400 naming the kind, so a new binding shows up as a gap in the stand-in, never as a silent pass.
 *
 * Where wrangler 4.164 sends a field the SDK's type for that endpoint lacks, the field is listed in `wranglerExtras`
 * below with where wrangler sends it: the SDK lags the API there, and wrangler is Cloudflare's own client.
 */

// ---------- compile-time check: schema output within the SDK type ----------

type KeysOfUnion<T> = T extends unknown ? keyof T : never;
type ValueAt<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;
type AllTrue<T> = [T[keyof T]] extends [true] ? true : false;
/** True when A is assignable to B and no object in A has a key that B's object at the same place lacks. */
export type Within<A, B> = [A] extends [B]
  ? [KeysWithin<A, NonNullable<B>>] extends [true]
    ? true
    : false
  : false;
type KeysWithin<A, B> = A extends readonly (infer E)[]
  ? [Extract<B, readonly unknown[]>] extends [readonly (infer F)[]]
    ? KeysWithin<E, F>
    : false
  : A extends object
    ? string extends keyof A
      ? true
      : [Exclude<keyof A, KeysOfUnion<Extract<B, object>>>] extends [never]
        ? AllTrue<{
            [K in keyof A]-?: KeysWithin<
              NonNullable<A[K]>,
              NonNullable<ValueAt<Extract<B, object>, K & KeysOfUnion<Extract<B, object>>>>
            >;
          }>
        : false
    : true;
/** Fails to compile unless T is `true`. */
const within = <T extends true>(_proof?: T) => undefined;

// ---------- bindings ----------

const name = v.pipe(v.string(), v.minLength(1));
const plainText = v.strictObject({ type: v.literal("plain_text"), name, text: v.string() });
const secretText = v.strictObject({ type: v.literal("secret_text"), name, text: v.string() });
const json = v.strictObject({ type: v.literal("json"), name, json: v.unknown() });
const versionMetadata = v.strictObject({ type: v.literal("version_metadata"), name });
const assetsBinding = v.strictObject({ type: v.literal("assets"), name });
const inherit = v.strictObject({
  type: v.literal("inherit"),
  name,
  old_name: v.optional(v.string()),
  version_id: v.optional(v.string()),
});
const durableObjectNamespace = v.strictObject({
  type: v.literal("durable_object_namespace"),
  name,
  class_name: v.optional(v.string()),
  script_name: v.optional(v.string()),
  namespace_id: v.optional(v.string()),
  environment: v.optional(v.string()),
  dispatch_namespace: v.optional(v.string()),
});
const ratelimit = v.strictObject({
  type: v.literal("ratelimit"),
  name,
  namespace_id: v.string(),
  simple: v.strictObject({ limit: v.number(), period: v.picklist([10, 60]) }),
});
const MODELLED_BINDING_TYPES = [
  "plain_text",
  "secret_text",
  "json",
  "version_metadata",
  "assets",
  "inherit",
  "durable_object_namespace",
  "ratelimit",
] as const;
const binding = v.variant(
  "type",
  [plainText, secretText, json, versionMetadata, assetsBinding, inherit, durableObjectNamespace, ratelimit],
  (issue) =>
    `binding type ${JSON.stringify(issue.received)} is not modelled by the stand-in (it models ${MODELLED_BINDING_TYPES.join(", ")})`,
);
export type Binding = v.InferOutput<typeof binding>;
within<Within<v.InferOutput<typeof plainText>, ScriptUpdateParams.Metadata.WorkersBindingKindPlainText>>();
within<Within<v.InferOutput<typeof secretText>, ScriptUpdateParams.Metadata.WorkersBindingKindSecretText>>();
within<Within<v.InferOutput<typeof ratelimit>, ScriptUpdateParams.Metadata.WorkersBindingKindRatelimit>>();
within<
  Within<
    v.InferOutput<typeof durableObjectNamespace>,
    ScriptUpdateParams.Metadata.WorkersBindingKindDurableObjectNamespace
  >
>();
within<Within<Binding[], NonNullable<ScriptUpdateParams.Metadata["bindings"]>>>();
within<Within<Binding[], NonNullable<ScriptVersionCreateParams.Metadata["bindings"]>>>();
within<Within<Binding[], NonNullable<WorkerVersionCreateParams["bindings"]>>>();

// ---------- Durable Object exports (https://developers.cloudflare.com/durable-objects/reference/durable-objects-migrations/) ----------

const storage = v.picklist(["sqlite", "legacy-kv"]);
const exportEntry = v.union([
  v.strictObject({
    type: v.literal("durable-object"),
    storage,
    state: v.optional(v.literal("created")),
    container: v.optional(v.string()),
  }),
  v.strictObject({ type: v.literal("durable-object"), state: v.literal("deleted") }),
  v.strictObject({ type: v.literal("durable-object"), state: v.literal("renamed"), renamed_to: name }),
  v.strictObject({
    type: v.literal("durable-object"),
    state: v.literal("transferred"),
    transferred_to: name,
  }),
  v.strictObject({
    type: v.literal("durable-object"),
    state: v.literal("expecting-transfer"),
    storage,
    transfer_from: name,
    container: v.optional(v.string()),
  }),
  v.strictObject({
    type: v.literal("worker"),
    state: v.optional(v.literal("created")),
    cache: v.optional(v.strictObject({ enabled: v.boolean() })),
  }),
]);
const exportsMap = v.record(v.string(), exportEntry);
export type ExportEntry = v.InferOutput<typeof exportEntry>;
export type ExportsMap = v.InferOutput<typeof exportsMap>;
within<Within<ExportsMap, NonNullable<ScriptUpdateParams.Metadata["exports"]>>>();
within<Within<ExportsMap, NonNullable<ScriptVersionCreateParams.Metadata["exports"]>>>();
within<Within<ExportsMap, NonNullable<WorkerVersionCreateParams["exports"]>>>();

// Legacy tagged migrations: any migration in a version upload is refused (10211); a script upload applies it.
const migrationStep = v.strictObject({
  new_classes: v.optional(v.array(v.string())),
  new_sqlite_classes: v.optional(v.array(v.string())),
  deleted_classes: v.optional(v.array(v.string())),
  renamed_classes: v.optional(v.array(v.strictObject({ from: v.string(), to: v.string() }))),
  transferred_classes: v.optional(
    v.array(v.strictObject({ from: v.string(), from_script: v.string(), to: v.string() })),
  ),
});
const migrations = v.union([
  v.strictObject({
    old_tag: v.optional(v.string()),
    new_tag: v.optional(v.string()),
    steps: v.array(migrationStep),
  }),
  v.strictObject({
    old_tag: v.optional(v.string()),
    new_tag: v.optional(v.string()),
    ...migrationStep.entries,
  }),
]);
within<Within<v.InferOutput<typeof migrations>, NonNullable<ScriptUpdateParams.Metadata["migrations"]>>>();

// ---------- multipart upload metadata (PUT …/scripts/{name}, POST …/scripts/{name}/versions) ----------

const assetsConfig = v.strictObject({
  html_handling: v.optional(
    v.picklist(["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"]),
  ),
  not_found_handling: v.optional(v.picklist(["none", "404-page", "single-page-application"])),
  run_worker_first: v.optional(v.union([v.array(v.string()), v.boolean()])),
  _headers: v.optional(v.string()),
  _redirects: v.optional(v.string()),
});
const annotations = v.strictObject({
  "workers/message": v.optional(v.string()),
  "workers/tag": v.optional(v.string()),
});
const observability = v.strictObject({
  enabled: v.boolean(),
  head_sampling_rate: v.optional(v.nullable(v.number())),
  logs: v.optional(
    v.nullable(
      v.strictObject({
        enabled: v.boolean(),
        invocation_logs: v.boolean(),
        head_sampling_rate: v.optional(v.nullable(v.number())),
        destinations: v.optional(v.array(v.string())),
        persist: v.optional(v.boolean()),
      }),
    ),
  ),
});
const placement = v.strictObject({ mode: v.literal("smart") });
/**
 * How running Durable Objects pick up new code (wrangler 4.164 cli.js `resolveDurableObjectsCodeUpdateStrategy`:
 * `{ mode: "immediate" }` or `{ mode: "deferred", max_delay }`, 300 s by default). wrangler sends it with every
 * upload and deployment; the SDK does not type it.
 */
const codeUpdateStrategy = v.union([
  v.strictObject({ mode: v.literal("immediate") }),
  v.strictObject({ mode: v.literal("deferred"), max_delay: v.optional(v.number()) }),
]);
export type CodeUpdateStrategy = v.InferOutput<typeof codeUpdateStrategy>;

const scriptMetadataEntries = {
  main_module: v.string(),
  bindings: v.optional(v.array(binding)),
  compatibility_date: v.optional(v.string()),
  compatibility_flags: v.optional(v.array(v.string())),
  exports: v.optional(exportsMap),
  migrations: v.optional(migrations),
  keep_bindings: v.optional(v.array(v.string())),
  keep_assets: v.optional(v.boolean()),
  assets: v.optional(v.strictObject({ jwt: v.optional(v.string()), config: v.optional(assetsConfig) })),
  observability: v.optional(observability),
  placement: v.optional(placement),
  logpush: v.optional(v.boolean()),
  tail_consumers: v.optional(v.nullable(v.array(v.strictObject({ service: v.string() })))),
  usage_model: v.optional(v.picklist(["standard", "bundled", "unbound"])),
  annotations: v.optional(annotations),
  code_update_strategy: v.optional(codeUpdateStrategy),
} as const;

/**
 * `ScriptUpdateParams.Metadata` (module Workers only: `main_module` is required here), plus `code_update_strategy`,
 * which wrangler 4.164 sends in every upload's metadata (cli.js `createWorkerUploadForm`) and the SDK lacks.
 */
export const scriptUploadMetadata = v.strictObject(scriptMetadataEntries);
within<
  Within<
    Omit<v.InferOutput<typeof scriptUploadMetadata>, "code_update_strategy">,
    ScriptUpdateParams.Metadata
  >
>();

/**
 * `VersionCreateParams.Metadata` of …/scripts/{name}/versions, plus what wrangler 4.164 sends there that the SDK
 * types only on the script upload (`ScriptUpdateParams.Metadata`): `assets` (and `keep_assets`) when the Worker has
 * static assets, `migrations` when a legacy migration is pending, `observability`, `placement`, `logpush`,
 * `tail_consumers` (cli.js `createWorkerUploadForm`, used by both `deploy` and `versions upload`).
 */
const wranglerExtras = [
  "code_update_strategy",
  "assets",
  "keep_assets",
  "migrations",
  "observability",
  "placement",
  "logpush",
  "tail_consumers",
] as const;
export const versionUploadMetadata = scriptUploadMetadata;
type VersionMetadataSdkPart = Omit<
  v.InferOutput<typeof versionUploadMetadata>,
  (typeof wranglerExtras)[number]
>;
within<Within<VersionMetadataSdkPart, ScriptVersionCreateParams.Metadata>>();
export type UploadMetadata = v.InferOutput<typeof scriptUploadMetadata>;

// ---------- deployments (POST …/scripts/{name}/deployments) ----------

/**
 * `DeploymentCreateParams` (body part), plus `code_update_strategy`, which wrangler 4.164 sends with every
 * deployment (cli.js `createDeployment`) and the SDK does not type.
 */
export const deploymentCreate = v.strictObject({
  strategy: v.literal("percentage"),
  versions: v.array(v.strictObject({ version_id: v.string(), percentage: v.number() })),
  annotations: v.optional(v.strictObject({ "workers/message": v.optional(v.string()) })),
  code_update_strategy: v.optional(codeUpdateStrategy),
});
within<
  Within<
    Omit<v.InferOutput<typeof deploymentCreate>, "code_update_strategy">,
    Omit<DeploymentCreateParams, "account_id" | "force">
  >
>();

// ---------- secrets (PUT …/scripts/{name}/secrets) ----------

export const secretPut = v.strictObject({ name, text: v.string(), type: v.literal("secret_text") });
within<
  Within<v.InferOutput<typeof secretPut>, Omit<SecretUpdateParams.WorkersBindingKindSecretText, "account_id">>
>();

/** PATCH …/scripts/{name}/secrets-bulk (wrangler `secret bulk`): a null value deletes the secret. */
export const secretsBulk = v.strictObject({
  secrets: v.optional(v.record(v.string(), v.nullable(secretPut))),
});
within<Within<v.InferOutput<typeof secretsBulk>, Omit<SecretBulkUpdateParams, "account_id">>>();

/**
 * PATCH …/scripts/{name}/script-settings: the non-versioned settings wrangler patches after a deploy (cli.js
 * `patchNonVersionedScriptSettings`). Typed loosely on purpose: the stand-in records them, and serves nothing
 * from them.
 */
export const scriptSettings = v.strictObject({
  logpush: v.optional(v.boolean()),
  observability: v.optional(v.record(v.string(), v.unknown())),
  tags: v.optional(v.nullable(v.array(v.string()))),
  tail_consumers: v.optional(v.nullable(v.array(v.record(v.string(), v.unknown())))),
});

// ---------- static assets upload session (POST …/scripts/{name}/assets-upload-session) ----------

export const assetsUploadSession = v.strictObject({
  manifest: v.record(v.string(), v.strictObject({ hash: v.string(), size: v.number() })),
});
within<Within<v.InferOutput<typeof assetsUploadSession>, Omit<AssetUploadParams, "account_id">>>();

// ---------- workers.dev subdomain of a script (POST …/scripts/{name}/subdomain) ----------

export const scriptSubdomain = v.strictObject({
  enabled: v.boolean(),
  previews_enabled: v.optional(v.boolean()),
});
within<Within<v.InferOutput<typeof scriptSubdomain>, Omit<SubdomainCreateParams, "account_id">>>();

// ---------- the new Workers API (…/workers/workers), as the Pulumi provider drives it ----------

const workerFields = {
  name,
  logpush: v.optional(v.boolean()),
  observability: v.optional(
    v.strictObject({
      enabled: v.optional(v.boolean()),
      head_sampling_rate: v.optional(v.number()),
      logs: v.optional(
        v.strictObject({
          enabled: v.optional(v.boolean()),
          head_sampling_rate: v.optional(v.number()),
          invocation_logs: v.optional(v.boolean()),
          destinations: v.optional(v.array(v.string())),
          persist: v.optional(v.boolean()),
        }),
      ),
    }),
  ),
  subdomain: v.optional(
    v.strictObject({ enabled: v.optional(v.boolean()), previews_enabled: v.optional(v.boolean()) }),
  ),
  tags: v.optional(v.array(v.string())),
  tail_consumers: v.optional(v.array(v.strictObject({ name: v.string() }))),
} as const;
export const workerCreate = v.strictObject(workerFields);
within<Within<v.InferOutput<typeof workerCreate>, Omit<WorkerCreateParams, "account_id">>>();
export const workerUpdate = v.strictObject(workerFields);
within<Within<v.InferOutput<typeof workerUpdate>, Omit<WorkerUpdateParams, "account_id">>>();
export const workerEdit = v.strictObject(
  Object.fromEntries(Object.entries(workerFields).map(([k, s]) => [k, v.optional(s)])) as {
    [K in keyof typeof workerFields]: v.OptionalSchema<(typeof workerFields)[K], undefined>;
  },
);

const module = v.strictObject({
  name,
  content_type: v.string(),
  content_base64: v.string(),
});
within<Within<v.InferOutput<typeof module>, WorkerVersionCreateParams.Module>>();
export const workerVersionCreate = v.strictObject({
  main_module: v.optional(v.string()),
  modules: v.optional(v.array(module)),
  bindings: v.optional(v.array(binding)),
  compatibility_date: v.optional(v.string()),
  compatibility_flags: v.optional(v.array(v.string())),
  exports: v.optional(exportsMap),
  migrations: v.optional(migrations),
  annotations: v.optional(
    v.strictObject({ "workers/message": v.optional(v.string()), "workers/tag": v.optional(v.string()) }),
  ),
  assets: v.optional(
    v.strictObject({
      jwt: v.optional(v.string()),
      config: v.optional(
        v.strictObject({
          html_handling: assetsConfig.entries.html_handling,
          not_found_handling: assetsConfig.entries.not_found_handling,
          run_worker_first: assetsConfig.entries.run_worker_first,
          base_path: v.optional(v.nullable(v.string())),
        }),
      ),
    }),
  ),
  placement: v.optional(placement),
  usage_model: v.optional(v.picklist(["standard", "bundled", "unbound"])),
});
export type WorkerVersionCreate = v.InferOutput<typeof workerVersionCreate>;
within<Within<WorkerVersionCreate, Omit<WorkerVersionCreateParams, "account_id" | "deploy">>>();

/**
 * PATCH …/workers/workers/{id}/versions/latest (`wrangler versions secret put|bulk|delete`, cli.js
 * `patchLatestWorkerVersionWithSecrets`): a merge patch of the latest version's environment. The SDK (7.3.0) has no
 * method for it, so this shape is wrangler's, not the SDK's.
 */
export const latestVersionPatch = v.strictObject({
  env: v.optional(
    v.record(v.string(), v.nullable(v.strictObject({ type: v.literal("secret_text"), text: v.string() }))),
  ),
  annotations: v.optional(
    v.strictObject({ "workers/message": v.optional(v.string()), "workers/tag": v.optional(v.string()) }),
  ),
});

// ---------- custom domains (PUT …/workers/domains) ----------

export const domainUpdate = v.strictObject({
  hostname: name,
  service: name,
  zone_id: v.optional(v.string()),
  zone_name: v.optional(v.string()),
});
within<Within<v.InferOutput<typeof domainUpdate>, Omit<DomainUpdateParams, "account_id">>>();

// ---------- parsing ----------

/** Parses `input` with `schema`, or refuses with 400 / 10021 naming every problem and where it is. */
export function parseBody<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  what: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => {
    const path = v.getDotPath(issue);
    const message =
      issue.type === "strict_object" || issue.expected === "never"
        ? `unknown field (not in Cloudflare's API type)`
        : issue.message;
    return `${path ?? "(body)"}: ${message}`;
  });
  throw new CloudflareApiError(400, 10021, `${what} does not match the API's shape: ${problems.join("; ")}`);
}

/** Reads a JSON body, or refuses with 400 / 10021 when it is not JSON. */
export async function jsonBody(request: Request, what: string): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new CloudflareApiError(400, 10021, `${what} is not valid JSON.`);
  }
}
