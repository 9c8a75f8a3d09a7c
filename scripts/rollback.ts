// `npm run rollback -- <stack> [--to <version-id | build-id>]`: a deployment at 100 % of an earlier version (by
// default the one before the live one): no build, no upload. Refuses a version from before a Durable Object class
// change of the live one. See scripts/lib/rollback.ts.
import { parseCli } from "./lib/cli.ts";
import { cloudflareVersionOps, VersionsUnavailable } from "./lib/cloudflare-versions.ts";
import { stackConfigValue, stackOutputs } from "./lib/pulumi-stacks.ts";
import { rollback } from "./lib/rollback.ts";

const { positionals, values } = parseCli({
  name: "rollback",
  usage:
    "usage: npm run rollback -- <stack> [--to <version-id | build-id>]\n" +
    "  --to   the version to go back to, by version id or build id (default: the one before the live one)",
  options: { to: { type: "string" } },
  positionals: { min: 1, max: 1 },
});
const stack = positionals[0]!;
const to = values.to;
const accountId =
  process.env.CLOUDFLARE_ACCOUNT_ID || (await stackConfigValue(stack, "accountId").catch(() => undefined));
const outcome = await rollback(
  { stack, to },
  {
    versions: cloudflareVersionOps({
      ...process.env,
      ...(accountId ? { CLOUDFLARE_ACCOUNT_ID: accountId } : {}),
    }),
    outputs: stackOutputs,
    health: async (url) => {
      const res = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(10_000) });
      return (await res.json()) as { buildId?: unknown };
    },
    log: (line) => console.log(line),
  },
).catch((error: Error) => {
  // A missing token or account, or an API failure: one sentence and the fix, no stack trace.
  console.error(
    error instanceof VersionsUnavailable
      ? error.message
      : `rollback stopped: ${error.message.split("\n")[0]}`,
  );
  return { ok: false as const, reason: error.message };
});
process.exitCode = outcome.ok ? 0 : 1;
