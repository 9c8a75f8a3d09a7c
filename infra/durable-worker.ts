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
  /** The account's workers.dev subdomain; the URL is https://<scriptName>.<subdomain>.workers.dev. */
  readonly workersDevSubdomain: string;
}

/**
 * A Worker script with the manifest's Durable Object bindings, its planned migrations, per-environment bindings,
 * and its workers.dev route, exporting the environment's URL.
 */
export class DurableWorker extends pulumi.ComponentResource {
  readonly script: cloudflare.WorkersScript;
  readonly scriptName: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  readonly buildId: pulumi.Output<string>;

  constructor(name: string, args: DurableWorkerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:cloudflare:DurableWorker", name, {}, opts);
    const migrations = migrationsInput(args.migrationPlan);

    this.script = new cloudflare.WorkersScript(
      `${name}-script`,
      {
        accountId: args.accountId,
        scriptName: args.scriptName,
        content: args.content,
        mainModule: args.mainModule,
        compatibilityDate: args.compatibilityDate,
        compatibilityFlags: [...args.compatibilityFlags],
        bindings: [
          ...durableObjectBindings(),
          ...rateLimitBindings(args.publicWrites),
          ...plainTextBindings(args.vars),
          ...secretBindings(args.secrets ?? {}),
        ],
        ...(migrations ? { migrations } : {}),
      },
      { parent: this },
    );

    const subdomain = new cloudflare.WorkersScriptSubdomain(
      `${name}-workers-dev`,
      {
        accountId: args.accountId,
        scriptName: this.script.scriptName,
        enabled: true,
        previewsEnabled: false,
      },
      { parent: this },
    );

    this.scriptName = this.script.scriptName;
    this.url = pulumi.interpolate`https://${subdomain.scriptName}.${args.workersDevSubdomain}.workers.dev`;
    this.buildId = pulumi.output(args.buildId);
    this.registerOutputs({ scriptName: this.scriptName, url: this.url, buildId: this.buildId });
  }
}
