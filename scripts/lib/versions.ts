import { signatureDifference } from "../../infra/class-lifecycle.ts";
import type { DeployedVersion } from "../../infra/live-script.ts";

export { parseVersionMessage } from "../../infra/release-record.ts";

/** One uploaded Worker version, as Cloudflare lists it. */
export interface VersionInfo {
  readonly id: string;
  /** ISO time of the upload: versions are listed newest first. */
  readonly createdOn: string;
  /** The build id (the `workers/tag` annotation the platform sets), when known. */
  readonly buildId?: string | undefined;
  /** Its live classes (`Counter:sqlite,...`), from its `exports` or its `workers/message` annotation, when known. */
  readonly classes?: string | undefined;
  /**
   * Its live Durable Object `exports` entries as one canonical string, when known: Cloudflare refuses a split
   * between versions whose exports differ in any field (error 100405), not only in class names.
   */
  readonly exportsKey?: string | undefined;
}

/** The active deployment of a Worker. */
export interface ActiveDeployment {
  /** One version at 100 %, or two splitting traffic. */
  readonly versions: readonly DeployedVersion[];
  /** Its `workers/message` annotation ("" when none). */
  readonly message: string;
}

/** How Durable Objects move to their newly assigned version when a deployment changes. */
export type CodeUpdate = "immediate" | "deferred";

/**
 * The version side of a stack. The real implementation (scripts/lib/cloudflare-versions.ts) reads through
 * Cloudflare's own SDK and writes through wrangler; tests run it against a local stand-in of Cloudflare's API.
 */
export interface VersionOps {
  /** Every version of the stack's Worker, newest first (not only the 10 `wrangler versions list` shows). */
  versions(stack: string): Promise<readonly VersionInfo[]>;
  /**
   * The active deployment, or null only when Cloudflare confirms there is none (no such Worker, or no deployment
   * yet). Any other failure to read it throws: it must never pass for a first deploy.
   */
  deployment(stack: string): Promise<ActiveDeployment | null>;
  /**
   * A deployment of one or two versions (`wrangler versions deploy`). `codeUpdate` says how objects switch to the
   * version they are assigned: "immediate" restarts them on it now (what a promotion step and a revert need to
   * mean anything), "deferred" lets them finish within Cloudflare's delay (wrangler's default, up to 300 s).
   */
  deploy(
    stack: string,
    versions: readonly DeployedVersion[],
    message: string,
    options?: { readonly codeUpdate?: CodeUpdate },
  ): Promise<void>;
  /**
   * `wrangler rollback`: one version at 100 %. Cloudflare refuses a rollback across a secret change (error 10220)
   * unless forced; wrangler forces it after confirming. Resolves with the names of the secrets that differ, which
   * come back with their old values.
   */
  rollback(
    stack: string,
    versionId: string,
    message: string,
  ): Promise<{ readonly secretsChanged: readonly string[] }>;
}

/** The version with the largest share of a deployment. */
export function mainVersion(deployment: readonly DeployedVersion[] | undefined): DeployedVersion | undefined {
  return [...(deployment ?? [])].sort((a, b) => b.percentage - a.percentage)[0];
}

/**
 * Why two versions cannot replace each other or share traffic, or undefined when their Durable Object exports are
 * the same. Compares the full live exports where both are known (Cloudflare's rule for a split, 100405), else the
 * class signatures.
 */
export function classChange(from: VersionInfo, to: VersionInfo): string | undefined {
  if (from.classes === undefined || to.classes === undefined) {
    const unknown = from.classes === undefined ? from : to;
    return `version ${unknown.id} records no Durable Object classes (uploaded outside this program), so a class change cannot be ruled out`;
  }
  if (from.classes === to.classes) {
    if (from.exportsKey !== undefined && to.exportsKey !== undefined && from.exportsKey !== to.exportsKey) {
      return `the Durable Object exports differ (${from.id}: ${from.exportsKey}; ${to.id}: ${to.exportsKey})`;
    }
    return undefined;
  }
  const { added, removed } = signatureDifference(from.classes, to.classes);
  const parts = [
    added.length ? `${to.id} has ${added.join(", ")} which ${from.id} has not` : "",
    removed.length ? `${from.id} has ${removed.join(", ")} which ${to.id} has not` : "",
  ].filter(Boolean);
  return `the Durable Object classes differ: ${parts.join("; ")}`;
}

/**
 * The first class change on the way from `target` back to `current`: Cloudflare applies a class change when its
 * version is deployed, and never undoes it, so a rollback is refused when any version uploaded after `target` (up
 * to and including `current`) declares other classes than `target`, even if `current` declares the same ones again.
 * `versions` must hold every version between the two (scripts/lib/cloudflare-versions.ts reads all of them).
 */
export function classChangeBetween(
  target: VersionInfo,
  current: VersionInfo,
  versions: readonly VersionInfo[],
): string | undefined {
  const between = versions
    .filter((v) => v.createdOn > target.createdOn && v.createdOn <= current.createdOn && v.id !== target.id)
    .sort((a, b) => a.createdOn.localeCompare(b.createdOn));
  if (!between.some((v) => v.id === current.id)) between.push(current);
  for (const version of between) {
    const change = classChange(target, version);
    if (change) return version.id === current.id ? change : `${version.id}, uploaded in between: ${change}`;
  }
  return undefined;
}
