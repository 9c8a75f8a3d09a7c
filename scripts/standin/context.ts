import type { CodeUpdateStrategy } from "./shapes.ts";
import type { DeploymentRecord, ScriptRecord, SecretVault, StandinState, VersionRecord } from "./state.ts";
import type { CompletedAssetUploads } from "./uploads.ts";

/** What the route modules share: the state, the secret vault, and the operations that touch serving. */
export interface Context {
  readonly state: StandinState;
  readonly vault: SecretVault;
  readonly completedAssets: CompletedAssetUploads;
  readonly options: { readonly exportsInVersionUpload: "refuse" | "defer" };
  /** A new script: registers it and opens its URL. */
  addScript(script: ScriptRecord): Promise<void>;
  /** Checks and records a deployment (newest first), then serves it. */
  deploy(
    script: ScriptRecord,
    versions: readonly { version_id: string; percentage: number }[],
    options: {
      readonly force?: boolean;
      readonly source: string;
      readonly annotations: Readonly<Record<string, string>>;
      readonly codeUpdateStrategy: CodeUpdateStrategy | undefined;
    },
  ): Promise<DeploymentRecord>;
  /** A secret change: a new version with the latest version's code and the changed secrets, deployed at 100 %. */
  newSecretVersion(
    script: ScriptRecord,
    /** Name -> new value; null deletes the secret. */
    secrets: Readonly<Record<string, string | null>>,
    source: VersionRecord["source"],
    /** false: upload the version only (`wrangler versions secret put`). Default true. */
    deploy?: boolean,
    annotations?: Readonly<Record<string, string>>,
  ): Promise<VersionRecord>;
  /** Restarts serving of a script on its live deployment (when it is being served). */
  redeploy(script: ScriptRecord): Promise<void>;
  /** POST …/assets-upload-session, answered by the assets module. */
  assetsUploadSession(request: Request): Promise<Response>;
}
