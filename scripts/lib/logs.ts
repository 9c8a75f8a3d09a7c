/**
 * `npm run logs`: live logs of one environment through wrangler's `tail` (the project's own wrangler), on the
 * stack's script name, in the stack's Cloudflare account. Pure: builds the command line, tested as such.
 */
export const TAIL_STATUSES = ["ok", "error", "canceled"] as const;
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export interface TailRequest {
  readonly scriptName: string;
  readonly accountId?: string | undefined;
  readonly status?: readonly string[];
  readonly method?: readonly string[];
  readonly search?: string | undefined;
  readonly json?: boolean;
}

export interface TailCommand {
  /** Arguments after `wrangler`. */
  readonly args: string[];
  /** Extra environment: the account wrangler must use (else it asks, or picks the login's only account). */
  readonly env: Record<string, string>;
}

export class TailUsageError extends Error {}

export function tailCommand(request: TailRequest): TailCommand {
  const args = ["tail", request.scriptName, "--format", request.json ? "json" : "pretty"];
  for (const status of request.status ?? []) {
    if (!(TAIL_STATUSES as readonly string[]).includes(status)) {
      throw new TailUsageError(`--status takes ${TAIL_STATUSES.join(", ")}; got ${JSON.stringify(status)}`);
    }
    args.push("--status", status);
  }
  for (const given of request.method ?? []) {
    const method = given.toUpperCase();
    if (!METHODS.includes(method)) {
      throw new TailUsageError(`--method takes ${METHODS.join(", ")}; got ${JSON.stringify(given)}`);
    }
    args.push("--method", method);
  }
  if (request.search) args.push("--search", request.search);
  return { args, env: request.accountId ? { CLOUDFLARE_ACCOUNT_ID: request.accountId } : {} };
}
