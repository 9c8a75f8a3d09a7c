// `npm run rollback -- <stack> [--to <version-id | build-id>]`: a deployment at 100 % of an earlier version (by
// default the one before the live one): no build, no upload. Refuses a version from before a Durable Object class
// change of the live one. See scripts/lib/rollback.ts.
import { checkStackName, parseCli } from "./lib/cli.ts";
import { PulumiProblem } from "./lib/pulumi-errors.ts";
import { stackOutputs } from "./lib/pulumi-stacks.ts";
import { rollback } from "./lib/rollback.ts";
import { explainWranglerError } from "./lib/wrangler-errors.ts";
import { wranglerVersionOps } from "./lib/wrangler-versions.ts";

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
const outcome = await rollback(
  { stack, to },
  {
    versions: wranglerVersionOps,
    outputs: stackOutputs,
    health: async (url) => {
      const res = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(10_000) });
      return (await res.json()) as { buildId?: unknown };
    },
    log: (line) => console.log(line),
  },
).catch((error: unknown) => {
  // wrangler's and Pulumi's failures as one sentence with the fix, never a trace.
  console.error(`rollback: ${error instanceof PulumiProblem ? error.message : explainWranglerError(error)}`);
  return { ok: false };
});
process.exitCode = outcome.ok ? 0 : 1;
