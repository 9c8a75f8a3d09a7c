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
import type { RateLimitSetting } from "./runtime-environment.ts";

export interface DurableWorkerArgs {
  /** Cloudflare account that owns the Worker. */
  readonly accountId: pulumi.Input<string>;
  /** The Worker's name (its script name); also the workers.dev host label. */
  readonly scriptName: string;
  /** The bundle's text (dist/index.js), uploaded as the main ES module. */
  readonly content: string;
  /** File name of the main module inside the upload. */
  readonly mainModule: string;
  /** sha256 of `content`: the module's contentSha256. */
  readonly bundleSha256: string;
  /**
   * The static-assets directory (the build's dist/assets), uploaded with the version by the provider. Relative to
   * the project directory, where Pulumi runs the program and its providers: the same path in every checkout, so
   * it never shows as a change.
   */
  readonly assetsDirectory: string;
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
  readonly version: cloudflare.WorkerVersion;
  readonly deployment: cloudflare.WorkersDeployment;
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

    const replaced = { parent: this, protect: false, retainOnDelete: true };
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
            contentSha256: args.bundleSha256,
          },
        ],
        // Workers Static Assets, routed as infra/bindings.ts `assetsRouting` says.
        assets: { directory: args.assetsDirectory, config: { ...assetsRouting } },
        compatibilityDate: args.compatibilityDate,
        compatibilityFlags: [...args.compatibilityFlags],
        // One secret binding makes Pulumi treat the whole list as secret (encrypted in state, hidden in diffs).
        bindings: [
          ...durableObjectBindings(),
          ...rateLimitBindings(args.publicWrites),
          ...versionMetadataBinding(),
          ...assetsBinding(),
          ...plainTextBindings(args.vars),
          ...secretBindings(args.secrets ?? {}),
        ],
        exports: Object.fromEntries(Object.entries(args.exports).map(([k, v]) => [k, { ...v }])),
        ...(args.smartPlacement ? { placement: { mode: "smart" } } : {}),
        // The build id names the version in Cloudflare's dashboard and API, so a rollback can find it by build;
        // the message records its live classes, so a rollback can tell when a version predates a class change.
        annotations: {
          workersTag: args.buildId,
          workersMessage: `build ${args.buildId} classes ${args.classes}`,
        },
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
        { parent: this, dependsOn: [this.deployment] },
      );
      this.url = pulumi.interpolate`https://${domain.hostname}`;
    } else {
      this.url = pulumi.interpolate`https://${this.worker.name}.${args.workersDevSubdomain}.workers.dev`;
    }

    this.scriptName = this.worker.name;
    this.buildId = pulumi.output(args.buildId);
    this.versionId = this.version.id;
    this.registerOutputs({
      scriptName: this.scriptName,
      url: this.url,
      buildId: this.buildId,
      versionId: this.versionId,
    });
  }
}
