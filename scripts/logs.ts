// `npm run logs -- <stack> [--status ok|error|canceled] [--method GET] [--search TEXT] [--json]`: live logs of that
// environment's Worker (wrangler tail on the stack's script, in the stack's account). Needs CLOUDFLARE_API_TOKEN
// (or `npx wrangler login`). Ctrl-C stops.
import { spawn } from "node:child_process";
import path from "node:path";
import { checkStackName, parseCli, ROOT, usageError } from "./lib/cli.ts";
import { tailCommand } from "./lib/logs.ts";
import { PulumiProblem } from "./lib/pulumi-errors.ts";

const cli = {
  name: "logs",
  usage: [
    "usage: npm run logs -- <stack> [--status ok|error|canceled ...] [--method GET ...] [--search TEXT] [--json]",
    "  live logs of the stack's Worker through wrangler tail; needs CLOUDFLARE_API_TOKEN (or npx wrangler login)",
    "  --status S   only invocations that ended ok, error or canceled (repeatable)",
    "  --method M   only requests with this HTTP method (repeatable)",
    "  --search T   only invocations whose console output contains T",
    "  --json       one JSON object per event instead of wrangler's pretty lines",
  ].join("\n"),
  options: {
    status: { type: "string", multiple: true, default: [] as string[] },
    method: { type: "string", multiple: true, default: [] as string[] },
    search: { type: "string" },
    json: { type: "boolean", default: false },
  },
  positionals: { min: 1, max: 1 },
} as const;
const { values, positionals } = parseCli(cli);
const stack = checkStackName(cli, positionals[0]!);
const filters = { status: values.status, method: values.method, search: values.search, json: values.json };
try {
  tailCommand({ scriptName: "-", ...filters }); // bad filters are a usage error, before Pulumi is asked anything
} catch (error) {
  usageError(cli, (error as Error).message);
}
// Loaded after the arguments are read: the Pulumi Automation API takes most of a second to load.
const { stackConfigValue, stackOutputs } = await import("./lib/pulumi-stacks.ts");
try {
  const outputs = await stackOutputs(stack);
  if (typeof outputs.scriptName !== "string") {
    throw new PulumiProblem(
      "no-output",
      `Stack ${stack} has no scriptName output yet: it has not been deployed.`,
      `pulumi up -s ${stack}`,
    );
  }
  const command = tailCommand({
    scriptName: outputs.scriptName,
    accountId: await stackConfigValue(stack, "accountId"),
    ...filters,
  });
  console.error(`logs: wrangler ${command.args.join(" ")} (stack ${stack}); Ctrl-C to stop`);
  const child = spawn(path.join(ROOT, "node_modules/.bin/wrangler"), command.args, {
    cwd: ROOT,
    env: { ...process.env, ...command.env },
    stdio: "inherit",
  });
  child.on("exit", (code, signal) => {
    process.exitCode = signal === "SIGINT" ? 0 : (code ?? 1);
  });
} catch (error) {
  console.error(`logs: ${error instanceof PulumiProblem ? error.message : String(error)}`);
  process.exitCode = 1;
}
