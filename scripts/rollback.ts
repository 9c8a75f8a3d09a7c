// `npm run rollback -- <stack> [--to <version-id | build-id>]`: a deployment at 100 % of an earlier version (by
// default the one before the live one): no build, no upload. Refuses a version from before a Durable Object class
// change of the live one. See scripts/lib/rollback.ts.
import { parseArgs } from "node:util";
import { stackOutputs } from "./lib/pulumi-stacks.ts";
import { rollback } from "./lib/rollback.ts";
import { wranglerVersionOps } from "./lib/wrangler-versions.ts";

const usage = "usage: npm run rollback -- <stack> [--to <version-id | build-id>]";
let stack: string;
let to: string | undefined;
try {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { to: { type: "string" }, help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (positionals.length !== 1) throw new Error("give exactly one stack");
  stack = positionals[0] as string;
  to = values.to;
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
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
);
process.exitCode = outcome.ok ? 0 : 1;
