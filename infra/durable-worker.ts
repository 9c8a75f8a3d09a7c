import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { RateLimitSetting } from "../scripts/lib/miniflare-options.ts";
import {
  durableObjectBindings,
  migrationsInput,
  plainTextBindings,
  rateLimitBindings,
  secretBindings,
} from "./bindings.ts";
import type { MigrationPlan } from "./migrations.ts";

export interface DurableWorkerArgs {
  /** Cloudflare account that owns the script. */
  readonly accountId: pulumi.Input<string>;
  /** Script name; also the workers.dev host label. */
  readonly scriptName: string;
  /** The bundle's text (dist/index.js), uploaded as the main module. */
  readonly content: string;
  /** File name of the main module inside the upload. */
  readonly mainModule: string;
  /** sha256 of `content`; exported and passed to the worker as BUILD_ID. */
  readonly buildId: string;
  readonly compatibilityDate: string;
  readonly compatibilityFlags: readonly string[];
  /** The migration plan against the script's live tag (infra/migrations.ts). */
  readonly migrationPlan: MigrationPlan;
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
}

/**
 * A Worker script with the manifest's Durable Object bindings, its planned migrations, per-environment bindings and
 * settings, and its public route (workers.dev or a custom domain), exporting the environment's URL.
 * Resource options (e.g. `protect`) given to the component apply to every child: Pulumi children inherit them.
 */
export class DurableWorker extends pulumi.ComponentResource {
  readonly script: cloudflare.WorkersScript;
  readonly scriptName: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  readonly buildId: pulumi.Output<string>;

  constructor(name: string, args: DurableWorkerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:cloudflare:DurableWorker", name, {}, opts);
    const migrations = migrationsInput(args.migrationPlan);
    if (!args.customDomain && !args.workersDevSubdomain) {
      throw new Error(`DurableWorker ${name}: give either customDomain or workersDevSubdomain for its URL.`);
    }

    this.script = new cloudflare.WorkersScript(
      `${name}-script`,
      {
        accountId: args.accountId,
        scriptName: args.scriptName,
        content: args.content,
        mainModule: args.mainModule,
        compatibilityDate: args.compatibilityDate,
        compatibilityFlags: [...args.compatibilityFlags],
        // One secret binding makes Pulumi treat the whole list as secret (encrypted in state, hidden in diffs).
        bindings: [
          ...durableObjectBindings(),
          ...rateLimitBindings(args.publicWrites),
          ...plainTextBindings(args.vars),
          ...secretBindings(args.secrets ?? {}),
        ],
        // Sent explicitly both ways, so turning a setting off really turns it off on the next deploy.
        observability: { enabled: args.observability },
        ...(args.smartPlacement ? { placement: { mode: "smart" } } : {}),
        ...(migrations ? { migrations } : {}),
      },
      { parent: this },
    );

    // With a custom domain, workers.dev is switched off rather than left as a second, unadvertised address.
    const workersDev = new cloudflare.WorkersScriptSubdomain(
      `${name}-workers-dev`,
      {
        accountId: args.accountId,
        scriptName: this.script.scriptName,
        enabled: !args.customDomain,
        previewsEnabled: false,
      },
      { parent: this },
    );

    if (args.customDomain) {
      const domain = new cloudflare.WorkersCustomDomain(
        `${name}-domain`,
        {
          accountId: args.accountId,
          hostname: args.customDomain.hostname,
          zoneId: args.customDomain.zoneId,
          service: this.script.scriptName,
        },
        { parent: this },
      );
      this.url = pulumi.interpolate`https://${domain.hostname}`;
    } else {
      this.url = pulumi.interpolate`https://${workersDev.scriptName}.${args.workersDevSubdomain}.workers.dev`;
    }

    this.scriptName = this.script.scriptName;
    this.buildId = pulumi.output(args.buildId);
    this.registerOutputs({ scriptName: this.scriptName, url: this.url, buildId: this.buildId });
  }
}
