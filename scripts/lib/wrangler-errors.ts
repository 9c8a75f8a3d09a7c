import { stripVTControlCharacters } from "node:util";

/**
 * wrangler reports a failure as a coloured block (`✘ [ERROR] …`, a log file path, sometimes advice for its own
 * flags, such as `--temporary`, that the scripts do not take). The scripts show a person one sentence and the fix
 * instead: the failures a user can fix are recognised from wrangler's own messages, anything else is cut down to
 * wrangler's `[ERROR]` line.
 */
export function explainWranglerError(error: unknown): string {
  const text = stripVTControlCharacters(error instanceof Error ? error.message : String(error));
  if (/CLOUDFLARE_API_TOKEN/.test(text) && /non-interactive|necessary to set|not authenticated/i.test(text)) {
    return (
      "wrangler has no Cloudflare credentials. Fix: export CLOUDFLARE_API_TOKEN=<an API token with Workers " +
      "Scripts: Edit> (dash.cloudflare.com > My Profile > API Tokens), or run npx wrangler login"
    );
  }
  if (/more than one account|CLOUDFLARE_ACCOUNT_ID/i.test(text)) {
    return (
      "wrangler cannot tell which Cloudflare account to use. Fix: export CLOUDFLARE_ACCOUNT_ID=<32-hex-digit " +
      "account id>, or set the stack's accountId (pulumi config set accountId <id> -s <stack>)"
    );
  }
  if (/Authentication error|Invalid API Token|\b10000\b|\b9109\b/i.test(text)) {
    return (
      "Cloudflare refused the API token. Fix: export CLOUDFLARE_API_TOKEN=<a valid token with Workers Scripts: " +
      "Edit on this account>"
    );
  }
  const errorLine = /\[ERROR\]\s*(.+)/.exec(text)?.[1];
  const prefix = /^(wrangler \S+ \S+ failed): /.exec(text)?.[1];
  if (errorLine) return `${prefix ?? "wrangler failed"}: ${errorLine.trim()}`;
  return (
    text
      .split("\n")
      .find((l) => l.trim())
      ?.trim() ?? "wrangler failed"
  );
}
