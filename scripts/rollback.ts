// `npm run rollback -- <stack> [--to <version-id | build-id>]`: a deployment at 100 % of an earlier version (by
// default the one before the live one): no build, no upload. Refuses a version from before a Durable Object class
// change of the live one. See scripts/lib/rollback.ts.
import { checkStackName, parseCli } from "./lib/cli.ts";
import { PulumiProblem } from "./lib/pulumi-errors.ts";
import { rollback } from "./lib/rollback.ts";
import { explainWranglerError } from "./lib/wrangler-errors.ts";

const cli = {
  name: "rollback",
  usage:
    "usage: npm run rollback -- <stack> [--to <version-id | build-id>]\n" +
    "  --to   the version to go back to, by version id or build id (default: the one before the live one)\n" +
    "  needs CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID when the stack file has no accountId)",
  options: { to: { type: "string" } },
  positionals: { min: 1, max: 1 },
} as const;
const { positionals, values } = parseCli(cli);
const stack = checkStackName(cli, positionals[0]!);
const to = values.to;

// Loaded after the arguments are read: Cloudflare's SDK and the Pulumi Automation API take over a second to load.
const { cloudflareVersionOps, VersionsUnavailable } = await import("./lib/cloudflare-versions.ts");
const { stackConfigValue, stackOutputs } = await import("./lib/pulumi-stacks.ts");
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
).catch((error: unknown) => {
  // A missing token or account, wrangler's and Pulumi's failures: one sentence with the fix, never a trace.
  console.error(
    error instanceof VersionsUnavailable || error instanceof PulumiProblem
      ? error.message
      : `rollback: ${explainWranglerError(error)}`,
  );
  return { ok: false as const };
});
process.exitCode = outcome.ok ? 0 : 1;
