import { signatureDifference } from "../../infra/class-lifecycle.ts";
import type { DeployedVersion } from "../../infra/live-script.ts";

/** One uploaded Worker version, as Cloudflare lists it. */
export interface VersionInfo {
  readonly id: string;
  /** ISO time of the upload: versions are listed newest first. */
  readonly createdOn: string;
  /** The build id (the `workers/tag` annotation the Pulumi program sets), when known. */
  readonly buildId?: string | undefined;
  /** Its live classes (`Counter:sqlite,...`, from the `workers/message` annotation), when known. */
  readonly classes?: string | undefined;
}

/**
 * The version side of a stack: list versions, read the active deployment, deploy a split. The real implementation
 * drives wrangler against the generated configuration (scripts/lib/wrangler-versions.ts); tests pass a recording fake.
 */
export interface VersionOps {
  versions(stack: string): Promise<readonly VersionInfo[]>;
  deployment(stack: string): Promise<readonly DeployedVersion[]>;
  deploy(stack: string, versions: readonly DeployedVersion[], message: string): Promise<void>;
}

/** Reads `build <sha256> classes <signature>` (infra/durable-worker.ts) back out of a version's message. */
export function parseVersionMessage(message: string | undefined): { buildId?: string; classes?: string } {
  const build = /\bbuild ([0-9a-f]{64})\b/.exec(message ?? "")?.[1];
  const classes = /\bclasses (\S*)/.exec(message ?? "")?.[1];
  return { ...(build ? { buildId: build } : {}), ...(classes !== undefined ? { classes } : {}) };
}

/** The version with the largest share of a deployment. */
export function mainVersion(deployment: readonly DeployedVersion[]): DeployedVersion | undefined {
  return [...deployment].sort((a, b) => b.percentage - a.percentage)[0];
}

/** Why two versions cannot replace each other or share traffic, or undefined when their classes are the same. */
export function classChange(from: VersionInfo, to: VersionInfo): string | undefined {
  if (from.classes === undefined || to.classes === undefined) {
    const unknown = from.classes === undefined ? from : to;
    return `version ${unknown.id} records no Durable Object classes (uploaded outside this program), so a class change cannot be ruled out`;
  }
  if (from.classes === to.classes) return undefined;
  const { added, removed } = signatureDifference(from.classes, to.classes);
  const parts = [
    added.length ? `${to.id} has ${added.join(", ")} which ${from.id} has not` : "",
    removed.length ? `${from.id} has ${removed.join(", ")} which ${to.id} has not` : "",
  ].filter(Boolean);
  return `the Durable Object classes differ: ${parts.join("; ")}`;
}
