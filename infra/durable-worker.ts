import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import {
  assetsBinding,
  assetsRouting,
  durableObjectBindings,
  plainTextBindings,
  rateLimitBindings,
  secretBindings,
  versionMetadataBinding,
} from "./bindings.ts";
import type { ExportsDeclaration } from "./class-lifecycle.ts";
import { NonVersionedDeploy } from "./non-versioned-deploy.ts";
import type { RateLimitSetting } from "./runtime-environment.ts";
import type { RootRelativeWranglerConfig } from "./wrangler-deploy.ts";

/**
 * How a deploy reaches Cloudflare. "versioned": a WorkerVersion and a WorkersDeployment (the versions API; the
 * only way a version can be held back or share traffic). "non-versioned": one `wrangler deploy` that uploads and
 * deploys at 100 % (infra/non-versioned-deploy.ts), the only path Cloudflare accepts for a Durable Object
 * class-lifecycle change, which every first deploy is.
 */
export type DeployPath = "versioned" | "non-versioned";

export interface DurableWorkerArgs {
  /** Cloudflare account that owns the Worker. */
  readonly accountId: pulumi.Input<string>;
  /** The Worker's name (its script name); also the workers.dev host label. */
  readonly scriptName: string;
  /** The bundle's text (dist/index.js), uploaded as the main ES module. */
  readonly content: string;
  /** File name of the main module inside the upload. */
  readonly mainModule: string;
  /**
   * sha256 of `content`. Not sent as the module's `contentSha256`: that attribute is output-only upstream (the
   * provider computes it from `contentBase64`, and the framework refuses a config that sets it).
   */
  readonly bundleSha256: string;
  /**
   * The static-assets directory (the build's dist/assets), uploaded with the version by the provider, which reads
   * it relative to its own working directory: the program's, infra/ with `main: infra/` (infra/program-paths.ts).
   * Relative, so it is the same path in every checkout and never shows as a change.
   */
  readonly assetsDirectory: string;
  /** Which path this deploy takes (see DeployPath); "non-versioned" needs `wranglerConfig`. */
  readonly deployPath: DeployPath;
  /** The configuration the non-versioned deploy hands wrangler (infra/wrangler-config.ts wranglerDeployConfig). */
  readonly wranglerConfig: RootRelativeWranglerConfig;
  /** A Cloudflare API token for the non-versioned deploy's wrangler; unset = the CLI's CLOUDFLARE_API_TOKEN. */
  readonly apiToken?: pulumi.Input<string> | undefined;
  /**
   * The build id: sha256 over the bundle and the assets (infra/build.ts buildIdOf). The version's tag, passed to
   * the worker as BUILD_ID.
   */
  readonly buildId: string;
  readonly compatibilityDate: string;
  readonly compatibilityFlags: readonly string[];
  /** The Durable Object class lifecycle, derived from worker/manifest.ts (infra/class-lifecycle.ts). */
  readonly exports: ExportsDeclaration;
  /** The live classes as one line (infra/class-lifecycle.ts classSignature), recorded in the version's message. */
  readonly classes: string;
  /** Plain-text bindings (environment name, build id, location hint, ...). */
  readonly vars: Readonly<Record<string, string>>;
  /** The public-write rate limit (default: the manifest's). */
  readonly publicWrites?: RateLimitSetting;
  /** Secret bindings; values stay secret in state and outputs. */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Smart Placement: run the Worker near its back ends instead of near the visitor. */
  readonly smartPlacement: boolean;
  /** Workers Logs on or off. */
  readonly observability: boolean;
  /**
   * Serve the Worker on this hostname (a Workers Custom Domain in zone `zoneId`). When set, the URL is
   * https://<hostname> and the workers.dev route is turned off, so the environment has one public address.
   */
  readonly customDomain?: { readonly hostname: string; readonly zoneId: string } | undefined;
  /** The account's workers.dev subdomain; the URL is https://<scriptName>.<subdomain>.workers.dev. */
  readonly workersDevSubdomain?: string | undefined;
  /**
   * Keep 100 % of traffic on this (already deployed) version instead of the new one: the new version is uploaded
   * but serves nothing. `npm run promote` uses it to upload a version before moving traffic step by step.
   */
  readonly holdTrafficOn?: string | undefined;
}

/**
 * A Worker on Cloudflare's current resources: the Worker (name, observability, workers.dev), one immutable
 * WorkerVersion (the bundle, its static assets, bindings, compatibility, placement and the `exports` class
 * lifecycle), and a
 * WorkersDeployment sending 100 % of traffic to that version; plus the custom domain when configured.
 *
 * Resource options given to the component apply to every child (Pulumi children inherit them), except `protect`
 * on the version and the deployment: each deploy replaces them (a version is immutable), which Pulumi refuses
 * for a protected resource. They are retained on delete instead, so every earlier version stays at Cloudflare
 * for a rollback; the Worker and its domain carry the stack's `protect`.
 */
export class DurableWorker extends pulumi.ComponentResource {
  readonly worker: cloudflare.Worker;
  /** The versioned path's resources (undefined on a non-versioned deploy). */
  readonly version: cloudflare.WorkerVersion | undefined;
  readonly deployment: cloudflare.WorkersDeployment | undefined;
  /** The non-versioned path's deploy (undefined on a versioned deploy). */
  readonly nonVersioned: NonVersionedDeploy | undefined;
  readonly scriptName: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  readonly buildId: pulumi.Output<string>;
  readonly versionId: pulumi.Output<string>;

  constructor(name: string, args: DurableWorkerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:cloudflare:DurableWorker", name, {}, opts);
    if (!args.customDomain && !args.workersDevSubdomain) {
      throw new Error(`DurableWorker ${name}: give either customDomain or workersDevSubdomain for its URL.`);
    }

    this.worker = new cloudflare.Worker(
      `${name}-worker`,
      {
        accountId: args.accountId,
        name: args.scriptName,
        // Sent explicitly both ways, so turning a setting off really turns it off on the next deploy.
        observability: { enabled: args.observability },
        // With a custom domain, workers.dev is switched off rather than left as a second, unadvertised address.
        // Preview URLs stay off: Cloudflare does not serve them for Workers with Durable Objects.
        subdomain: { enabled: !args.customDomain, previewsEnabled: false },
      },
      { parent: this },
    );

    if (args.holdTrafficOn && args.deployPath === "non-versioned") {
      throw new Error(
        `DurableWorker ${name}: a class-lifecycle change deploys at 100 % in one step and cannot hold traffic on ${args.holdTrafficOn}.`,
      );
    }
    const replaced = { parent: this, protect: false, retainOnDelete: true };
    // The build id names the version in Cloudflare's dashboard and API, so a rollback can find it by build; the
    // message records its live classes, so a rollback can tell when a version predates a class change.
    const annotations = { tag: args.buildId, message: `build ${args.buildId} classes ${args.classes}` };
    const secrets = args.secrets ?? {};
    let live: pulumi.Resource;
    if (args.deployPath === "non-versioned") {
      this.version = undefined;
      this.deployment = undefined;
      this.nonVersioned = new NonVersionedDeploy(
        `${name}-deploy`,
        {
          accountId: args.accountId,
          config: args.wranglerConfig,
          bundleSha256: args.bundleSha256,
          secrets,
          apiToken: args.apiToken,
          tag: annotations.tag,
          message: annotations.message,
        },
        { ...replaced, dependsOn: [this.worker] },
      );
      this.versionId = this.nonVersioned.versionId;
      live = this.nonVersioned;
    } else {
      this.nonVersioned = undefined;
      this.version = new cloudflare.WorkerVersion(
        `${name}-version`,
        {
          accountId: args.accountId,
          workerId: this.worker.id,
          mainModule: args.mainModule,
          modules: [
            {
              name: args.mainModule,
              contentType: "application/javascript+module",
              contentBase64: Buffer.from(args.content, "utf8").toString("base64"),
            },
          ],
          // Workers Static Assets, routed as infra/bindings.ts `assetsRouting` says.
          assets: { directory: args.assetsDirectory, config: { ...assetsRouting } },
          compatibilityDate: args.compatibilityDate,
          compatibilityFlags: [...args.compatibilityFlags],
          // One secret binding makes Pulumi treat the whole list as secret (encrypted in state, hidden in diffs).
          bindings: [
            ...durableObjectBindings(),
            ...rateLimitBindings(args.scriptName, args.publicWrites),
            ...versionMetadataBinding(),
            ...assetsBinding(),
            ...plainTextBindings(args.vars),
            ...secretBindings(secrets),
          ],
          exports: Object.fromEntries(Object.entries(args.exports).map(([k, v]) => [k, { ...v }])),
          ...(args.smartPlacement ? { placement: { mode: "smart" } } : {}),
          annotations: { workersTag: annotations.tag, workersMessage: annotations.message },
        },
        replaced,
      );
      this.deployment = new cloudflare.WorkersDeployment(
        `${name}-deployment`,
        {
          accountId: args.accountId,
          scriptName: this.worker.name,
          strategy: "percentage",
          versions: [{ versionId: args.holdTrafficOn ?? this.version.id, percentage: 100 }],
          annotations: {
            workersMessage: args.holdTrafficOn
              ? `build ${args.buildId} uploaded; ${args.holdTrafficOn} keeps 100 %`
              : `build ${args.buildId} at 100 %`,
          },
        },
        replaced,
      );
      this.versionId = this.version.id;
      live = this.deployment;
    }

    if (args.customDomain) {
      const domain = new cloudflare.WorkersCustomDomain(
        `${name}-domain`,
        {
          accountId: args.accountId,
          hostname: args.customDomain.hostname,
          zoneId: args.customDomain.zoneId,
          service: this.worker.name,
        },
        // A domain routes to the Worker's active deployment: attach it once there is one.
        { parent: this, dependsOn: [live] },
      );
      this.url = pulumi.interpolate`https://${domain.hostname}`;
    } else {
      this.url = pulumi.interpolate`https://${this.worker.name}.${args.workersDevSubdomain}.workers.dev`;
    }

    this.scriptName = this.worker.name;
    this.buildId = pulumi.output(args.buildId);
    this.registerOutputs({
      scriptName: this.scriptName,
      url: this.url,
      buildId: this.buildId,
      versionId: this.versionId,
    });
  }
}
