import { createHash, randomUUID } from "node:crypto";
import type { Version as WorkerVersion } from "cloudflare/resources/workers/beta/workers";
import type { Binding, CodeUpdateStrategy, ExportsMap } from "./shapes.ts";

/**
 * What the stand-in remembers of one account: its scripts (Workers), each with its versions, its deployments
 * (newest first, as Cloudflare lists them) and the Durable Object classes provisioned for it. Secret values are
 * kept as sha256 digests here; the values themselves live in the `SecretVault`, which only serving reads.
 */

export interface StoredModule {
  readonly name: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** A binding as stored: a secret keeps the digest of its value, never the value. */
export type StoredBinding =
  | Exclude<Binding, { type: "secret_text" } | { type: "inherit" }>
  | { readonly type: "secret_text"; readonly name: string; readonly sha256: string };

export interface StoredAssets {
  /** Path (with leading slash) -> content hash, as the upload session's manifest gave it. */
  readonly manifest: Readonly<Record<string, { hash: string; size: number }>>;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface VersionRecord {
  readonly id: string;
  readonly number: number;
  readonly createdOn: string;
  /** Who uploaded it: `wrangler` (multipart endpoints with wrangler's user agent), `api` otherwise. */
  readonly source: "wrangler" | "api" | "terraform";
  readonly annotations: Readonly<Record<string, string>>;
  readonly mainModule: string;
  readonly modules: readonly StoredModule[];
  readonly bindings: readonly StoredBinding[];
  readonly compatibilityDate: string | undefined;
  readonly compatibilityFlags: readonly string[];
  /** The `exports` map as uploaded (tombstones included); undefined when the upload had none. */
  readonly exports: ExportsMap | undefined;
  readonly assets: StoredAssets | undefined;
  /** The script's lifecycle epoch this version's code goes with: the one after its own class changes were applied. */
  lifecycleEpoch: number;
  /** The reconciliation this version's exports caused when it was applied (a non-versioned upload or deploy). */
  exportsReconciliation?: ExportsReconciliation;
}

/** The SDK's reconciliation summary (`Version.ExportsReconciliation` of the new Workers API). */
export type ExportsReconciliation = WorkerVersion.ExportsReconciliation;

export interface DeploymentRecord {
  readonly id: string;
  readonly createdOn: string;
  readonly source: string;
  readonly strategy: "percentage";
  readonly versions: readonly { readonly version_id: string; readonly percentage: number }[];
  readonly annotations: Readonly<Record<string, string>>;
  readonly codeUpdateStrategy: CodeUpdateStrategy | undefined;
}

/** A provisioned Durable Object namespace: its current class name and the key its storage lives under. */
export interface ProvisionedClass {
  readonly namespaceId: string;
  readonly storage: "sqlite" | "legacy-kv";
  /** Stable for the namespace's life (renames keep it), so served storage survives a rename. */
  readonly storageKey: string;
}

export interface ScriptRecord {
  readonly name: string;
  /** The script's tag, which the new Workers API uses as the Worker's id. */
  readonly id: string;
  readonly createdOn: string;
  modifiedOn: string;
  readonly versions: VersionRecord[];
  readonly deployments: DeploymentRecord[];
  /** Class name -> provisioned namespace. */
  readonly classes: Map<string, ProvisionedClass>;
  /** Classes that expect a transfer from another script (class name -> source script). */
  readonly expectingTransfer: Map<string, string>;
  migrationTag: string | undefined;
  /** Counts the class-lifecycle changes applied to the script (a rollback may not cross one). */
  lifecycleEpoch: number;
  workersDev: boolean;
  previewsEnabled: boolean;
  /** The Worker's own settings on the new Workers API (logpush, observability, tags, tail consumers). */
  worker: {
    logpush: boolean;
    observability: Record<string, unknown>;
    tags: string[];
    tail_consumers: { name: string }[];
  };
}

export interface Domain {
  readonly id: string;
  readonly hostname: string;
  readonly service: string;
  readonly zone_id: string;
  readonly zone_name: string;
}

export interface StandinState {
  readonly accountId: string;
  /** The account's workers.dev subdomain (`<subdomain>.workers.dev`). */
  readonly subdomain: string;
  readonly scripts: Map<string, ScriptRecord>;
  /** Content hash -> bytes of every static asset uploaded (content-addressed, shared by versions). */
  readonly assetBlobs: Map<string, Buffer>;
  readonly domains: Map<string, Domain>;
  /** Every request the stand-in answered with 404 because it does not implement it ("METHOD path"). */
  readonly unknownRequests: string[];
}

export const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

export const now = () => new Date().toISOString();

export function newScript(name: string): ScriptRecord {
  const created = now();
  return {
    name,
    id: randomUUID().replaceAll("-", ""),
    createdOn: created,
    modifiedOn: created,
    versions: [],
    deployments: [],
    classes: new Map(),
    expectingTransfer: new Map(),
    migrationTag: undefined,
    lifecycleEpoch: 0,
    workersDev: false,
    previewsEnabled: false,
    worker: { logpush: false, observability: { enabled: false }, tags: [], tail_consumers: [] },
  };
}

/** The versions a deployment serves, with their records (the deployment's order). */
export function liveDeployment(script: ScriptRecord): DeploymentRecord | undefined {
  return script.deployments[0];
}

export function versionOf(script: ScriptRecord, id: string): VersionRecord | undefined {
  return script.versions.find((version) => version.id === id);
}

/**
 * Secret values by digest. Only serving reads them (a served version needs its secrets); the API answers and
 * `state` carry digests, as Cloudflare never returns a secret's value.
 */
export class SecretVault {
  readonly #values = new Map<string, string>();
  keep(value: string): string {
    const digest = sha256(value);
    this.#values.set(digest, value);
    return digest;
  }
  valueOf(digest: string): string {
    const value = this.#values.get(digest);
    if (value === undefined) throw new Error(`no secret with digest ${digest}`);
    return value;
  }
}
