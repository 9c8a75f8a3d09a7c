import path from "node:path";
import * as realManifest from "../worker/manifest.ts";
import { VERSION_METADATA_BINDING } from "../worker/platform.ts";
import { assetsRouting } from "./bindings.ts";
import { BUNDLE_FILE, DEFAULT_OUT_DIR, ROOT, WORKER_ENTRY } from "./build.ts";
import { type ClassManifest, type DurableObjectExport, exportsFromManifest } from "./class-lifecycle.ts";
import { deployedRateLimits } from "./rate-limit-namespaces.ts";
import { platformBindings } from "./runtime-environment.ts";
import { environmentForStack } from "./stack-environment.ts";
import type { StackSettings } from "./stack-settings.ts";

/**
 * A wrangler configuration (wrangler.json) for one stack, generated from the manifest and the stack's settings
 * exactly as the Pulumi program derives its WorkerVersion: same Durable Object bindings and `exports`, same
 * variables, rate limiter, static assets, compatibility, placement and URL. Never kept by hand: `npm run wrangler-config -- <stack>`
 * writes it (git-ignored) so wrangler's own validator can judge what Pulumi will send, and so `wrangler tail` /
 * `wrangler dev` work against the stack. Secrets are not in it: wrangler reads them from .dev.vars locally.
 */
export interface WranglerConfig {
  readonly $schema: string;
  readonly name: string;
  readonly main: string;
  readonly account_id?: string;
  readonly compatibility_date: string;
  readonly compatibility_flags: readonly string[];
  readonly workers_dev: boolean;
  readonly preview_urls: false;
  readonly routes?: readonly { readonly pattern: string; readonly custom_domain: true }[];
  readonly observability: { readonly enabled: boolean };
  readonly placement?: { readonly mode: "smart" };
  readonly durable_objects: { readonly bindings: readonly { name: string; class_name: string }[] };
  readonly exports: Readonly<Record<string, Record<string, string>>>;
  readonly ratelimits: readonly {
    name: string;
    namespace_id: string;
    simple: { limit: number; period: number };
  }[];
  readonly version_metadata: { readonly binding: string };
  readonly assets: {
    readonly directory: string;
    readonly binding: string;
    readonly run_worker_first: (typeof assetsRouting)["runWorkerFirst"];
    readonly html_handling: (typeof assetsRouting)["htmlHandling"];
    readonly not_found_handling: (typeof assetsRouting)["notFoundHandling"];
  };
  readonly vars: Readonly<Record<string, string>>;
}

/** wrangler's spelling of one `exports` entry (snake_case, as its config schema declares it). */
function wranglerExport(entry: DurableObjectExport): Record<string, string> {
  return {
    type: entry.type,
    ...(entry.state ? { state: entry.state } : {}),
    ...(entry.storage ? { storage: entry.storage } : {}),
    ...(entry.renamedTo ? { renamed_to: entry.renamedTo } : {}),
    ...(entry.transferredTo ? { transferred_to: entry.transferredTo } : {}),
    ...(entry.transferFrom ? { transfer_from: entry.transferFrom } : {}),
  };
}

/**
 * The configuration for `settings`, to be written into `configDir` (paths in it are relative to that directory,
 * as wrangler resolves them). `buildId` is what BUILD_ID reads under wrangler (it bundles the source itself).
 * `manifest` defaults to worker/manifest.ts (tests pass another's classes).
 */
export function wranglerConfig(
  settings: StackSettings,
  options: { readonly configDir: string; readonly buildId: string; readonly manifest?: ClassManifest },
): WranglerConfig {
  const relative = (file: string) => path.relative(options.configDir, file).split(path.sep).join("/");
  const manifest = { ...realManifest, ...options.manifest };
  const exports = exportsFromManifest(manifest);
  return {
    $schema: relative(path.join(ROOT, "node_modules/wrangler/config-schema.json")),
    name: settings.workerName,
    main: relative(WORKER_ENTRY),
    ...(settings.accountId ? { account_id: settings.accountId } : {}),
    compatibility_date: settings.compatibilityDate,
    compatibility_flags: [...settings.compatibilityFlags],
    workers_dev: !settings.customDomain,
    preview_urls: false,
    ...(settings.customDomain
      ? { routes: [{ pattern: settings.customDomain.hostname, custom_domain: true as const }] }
      : {}),
    observability: { enabled: settings.observability },
    ...(settings.smartPlacement ? { placement: { mode: "smart" as const } } : {}),
    durable_objects: {
      bindings: Object.entries(manifest.durableObjects).map(([name, d]) => ({
        name,
        class_name: d.className,
      })),
    },
    exports: Object.fromEntries(
      Object.entries(exports).map(([name, entry]) => [name, wranglerExport(entry)]),
    ),
    // The same limiters, ids and limits as the Pulumi bindings (infra/rate-limit-namespaces.ts).
    ratelimits: deployedRateLimits(settings.workerName, settings.publicWrites).map((limiter) => ({
      name: limiter.name,
      namespace_id: limiter.namespaceId,
      simple: { ...limiter.simple },
    })),
    version_metadata: { binding: VERSION_METADATA_BINDING },
    // The build's static assets (`npm run build` writes them), routed as a deployed version's (`assetsRouting`).
    assets: {
      directory: relative(path.join(DEFAULT_OUT_DIR, manifest.staticAssets.directory)),
      binding: manifest.staticAssets.binding,
      run_worker_first: assetsRouting.runWorkerFirst,
      html_handling: assetsRouting.htmlHandling,
      not_found_handling: assetsRouting.notFoundHandling,
    },
    vars: platformBindings(environmentForStack(settings, options.buildId)),
  };
}

/**
 * The configuration the non-versioned deploy hands wrangler (infra/wrangler-deploy.ts): the stack's configuration
 * with the bytes the build wrote instead of wrangler's own bundle of the source (`no_bundle`, `main` = dist/index.js,
 * so the upload is the build whose id /health reports), paths relative to the project root, and no custom-domain
 * route (the Pulumi program's WorkersCustomDomain owns the domain).
 */
export function wranglerDeployConfig(settings: StackSettings, buildId: string) {
  const {
    $schema: _schema,
    routes: _routes,
    ...config
  } = wranglerConfig(settings, { configDir: ROOT, buildId });
  return {
    ...config,
    main: path.relative(ROOT, path.join(DEFAULT_OUT_DIR, BUNDLE_FILE)).split(path.sep).join("/"),
    no_bundle: true,
    find_additional_modules: false,
  };
}

/** Where `npm run wrangler-config -- <stack>` writes the configuration (git-ignored). */
export const wranglerConfigFile = (stack: string, root = ROOT) => path.join(root, `wrangler.${stack}.json`);
