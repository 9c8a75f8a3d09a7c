/**
 * What the platform writes into Cloudflare's own records, and reads back: a version's `workers/message` names its
 * build and live classes, and the deployment that reverts a failed promotion names the build it rejected. Kept at
 * Cloudflare (not in an environment variable or on one machine), every later `pulumi up`, promotion or rollback,
 * from any checkout or CI runner, sees them. Cloudflare keeps up to 1000 bytes of a message
 * (the SDK's `DeploymentCreateParams.annotations['workers/message']`).
 */

const MESSAGE_LIMIT = 1000;

/** A version's message: `build <sha256> classes <signature>` (infra/class-lifecycle.ts classSignature). */
export const versionMessage = (buildId: string, classes: string) => `build ${buildId} classes ${classes}`;

/** Reads `build <sha256> classes <signature>` back out of a version's message. */
export function parseVersionMessage(message: string | undefined): { buildId?: string; classes?: string } {
  const build = /\bbuild ([0-9a-f]{64})\b/.exec(message ?? "")?.[1];
  const classes = /\bclasses (\S*)/.exec(message ?? "")?.[1];
  return { ...(build ? { buildId: build } : {}), ...(classes !== undefined ? { classes } : {}) };
}

/** The message of the deployment that reverts a failed promotion step. */
export function rejectionMessage(buildId: string, why: string): string {
  return `promotion reverted: rejected build ${buildId}: ${why}`.slice(0, MESSAGE_LIMIT);
}

/** The build a deployment message says a promotion rejected, if it says so. */
export function rejectedBuildOf(message: string | undefined): string | undefined {
  return /\brejected build ([0-9a-f]{64})\b/.exec(message ?? "")?.[1];
}
