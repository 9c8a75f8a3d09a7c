import type * as cloudflare from "@pulumi/cloudflare";
import type * as pulumi from "@pulumi/pulumi";
import * as manifest from "../worker/manifest.ts";
import { staticAssets } from "../worker/manifest.ts";
import { VERSION_METADATA_BINDING } from "../worker/platform.ts";
import type { ClassManifest } from "./class-lifecycle.ts";
import { deployedRateLimits } from "./rate-limit-namespaces.ts";
import type { RateLimitSetting } from "./runtime-environment.ts";

type ScriptBinding = cloudflare.types.input.WorkerVersionBinding;

/** The manifest's Durable Objects as version bindings (same names and classes Miniflare gets). */
export function durableObjectBindings({
  durableObjects,
}: Pick<ClassManifest, "durableObjects"> = manifest): ScriptBinding[] {
  return Object.entries(durableObjects).map(([name, declaration]) => ({
    type: "durable_object_namespace",
    name,
    className: declaration.className,
  }));
}

/**
 * Every rate limiter of the manifest (Workers rate-limiting bindings) with its Worker's own namespace ids
 * (infra/rate-limit-namespaces.ts). PUBLIC_WRITES takes the stack's limit and period; the others take the manifest's.
 */
export function rateLimitBindings(workerName: string, publicWrites?: RateLimitSetting): ScriptBinding[] {
  return deployedRateLimits(workerName, publicWrites).map(({ name, namespaceId, simple }) => ({
    type: "ratelimit",
    name,
    namespaceId,
    simple: { ...simple },
  }));
}

/** The version-metadata binding: the worker reports its version id in /health. */
export function versionMetadataBinding(): ScriptBinding[] {
  return [{ type: "version_metadata", name: VERSION_METADATA_BINDING }];
}

/**
 * How a version's static assets are routed, for the Pulumi version and the wrangler configuration alike: the worker
 * runs first for every request and reads a file through the assets binding, so an asset is answered with the app's
 * headers like everything else; no HTML rewriting and no fallback page, only the files the build wrote.
 */
export const assetsRouting = {
  runWorkerFirst: true,
  htmlHandling: "none",
  notFoundHandling: "none",
} as const;

/** The static-assets binding: the worker fetches the version's assets (the OpenAPI document) through it. */
export function assetsBinding(): ScriptBinding[] {
  return [{ type: "assets", name: staticAssets.binding }];
}

export function plainTextBindings(vars: Readonly<Record<string, string>>): ScriptBinding[] {
  return Object.entries(vars).map(([name, text]) => ({ type: "plain_text", name, text }));
}

export function secretBindings(secrets: Readonly<Record<string, pulumi.Input<string>>>): ScriptBinding[] {
  return Object.entries(secrets).map(([name, text]) => ({ type: "secret_text", name, text }));
}
