/**
 * Preview environments: one short-lived stack `pr-<n>` per pull request, created from Pulumi.yaml's defaults (no
 * stack file), with its own script `do-platform-pr-<n>`, its own workers.dev URL and its own Durable Object
 * namespaces (they belong to its script), never protected. Cloudflare's per-version preview URLs do not serve
 * Workers with Durable Objects, hence a stack per pull request.
 */
export const PREVIEW_STACK = /^pr-([1-9][0-9]{0,6})$/;

/** The long-lived stacks a preview must never touch, by stack name and by script name. */
export const LONG_LIVED_STACKS = ["staging", "prod"] as const;

export const isPreviewStack = (stack: string): boolean => PREVIEW_STACK.test(stack);

/** `pr-<n>` for a pull-request number, or an error naming what is wrong. */
export function previewStackName(number: string): string {
  const stack = `pr-${number}`;
  if (!isPreviewStack(stack)) {
    throw new Error(`"${number}" is not a pull-request number (1-9999999): a preview stack is pr-<number>.`);
  }
  return stack;
}

/** Why a preview stack's settings could reach a long-lived environment, or undefined when they cannot. */
export function previewProblems(settings: {
  readonly stack: string;
  readonly workerName: string;
  readonly protect: boolean;
  readonly promotedFrom?: string | undefined;
  readonly customDomain?: unknown;
}): string[] {
  if (!isPreviewStack(settings.stack)) return [];
  const problems: string[] = [];
  const own = `do-platform-${settings.stack}`;
  if (settings.workerName !== own) {
    problems.push(
      `preview stack ${settings.stack} must deploy its own script ${own}, not ${settings.workerName}: ` +
        `its Durable Objects must never be ${LONG_LIVED_STACKS.join(" or ")} objects (pulumi config rm workerName -s ${settings.stack}).`,
    );
  }
  if (settings.protect)
    problems.push(
      `preview stack ${settings.stack} is never protected: pulumi config rm protect -s ${settings.stack}.`,
    );
  if (settings.promotedFrom)
    problems.push(
      `preview stack ${settings.stack} is not promoted from another stack: pulumi config rm promotedFrom -s ${settings.stack}.`,
    );
  if (settings.customDomain)
    problems.push(
      `preview stack ${settings.stack} serves on workers.dev only: pulumi config rm customDomain -s ${settings.stack}.`,
    );
  return problems;
}
