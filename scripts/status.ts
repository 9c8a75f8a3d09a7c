// `npm run status -- [stack...] [--scheduler NAME] [--json]`: each environment's URL, the build its stack deployed,
// the build and migration tag its /health reports, and optionally a scheduler's pending jobs.
import { checkStackName, parseCli } from "./lib/cli.ts";
import { PulumiProblem } from "./lib/pulumi-errors.ts";
import { type EnvironmentStatus, environmentStatus, formatStatusTable } from "./lib/status.ts";

const cli = {
  name: "status",
  usage: [
    "usage: npm run status -- [stack ...] [--scheduler NAME] [--json]",
    "  stack ...         the stacks to show (default: every stack of the current Pulumi backend)",
    "  --scheduler NAME  also count that scheduler's jobs by status (pending = scheduled)",
    "  --json            one JSON array on stdout, for machines (use npm run -s status -- --json in a pipe)",
  ].join("\n"),
  options: { scheduler: { type: "string" }, json: { type: "boolean", default: false } },
  positionals: { min: 0, max: 100 },
} as const;
const { values, positionals } = parseCli(cli);
for (const stack of positionals) checkStackName(cli, stack);

// Loaded after the arguments are read: the Pulumi Automation API takes most of a second to load, and --help or
// a usage error should not wait for it.
const { listStacks, stackOutputs } = await import("./lib/pulumi-stacks.ts");
try {
  const stacks = positionals.length > 0 ? positionals : await listStacks();
  const deps = {
    outputs: stackOutputs,
    async getJson(url: URL) {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
  };
  const rows: EnvironmentStatus[] = [];
  for (const stack of stacks)
    rows.push(await environmentStatus(stack, deps, { scheduler: values.scheduler }));
  if (values.json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0)
    console.log("no stacks yet: pulumi stack select staging --create, then pulumi up.");
  else console.log(formatStatusTable(rows));
} catch (error) {
  console.error(`status: ${error instanceof PulumiProblem ? error.message : String(error)}`);
  process.exitCode = 1;
}
