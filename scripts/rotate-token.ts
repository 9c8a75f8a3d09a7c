// `npm run rotate-token -- <stack>`: a new admin token for a deployed environment (see scripts/lib/rotate-token.ts).
import { checkStackName, parseCli } from "./lib/cli.ts";
import { PulumiProblem } from "./lib/pulumi-errors.ts";

const cli = {
  name: "rotate-token",
  usage: [
    "usage: npm run rotate-token -- <stack>",
    "  sets a new random adminToken secret on <stack>, deploys it (pulumi up), checks it works, and lists",
    "  what else must change (the CI secret ADMIN_TOKEN_<STACK>). The token is not printed:",
    "  pulumi config get adminToken -s <stack> shows it.",
  ].join("\n"),
  options: {},
  positionals: { min: 1, max: 1 },
} as const;
const { positionals } = parseCli(cli);
const stack = checkStackName(cli, positionals[0]!);

// Loaded after the arguments are read: the Pulumi Automation API takes most of a second to load.
const { buildWorker } = await import("../infra/build.ts");
const { selectStack, setStackSecret, stackOutputs, upStack } = await import("./lib/pulumi-stacks.ts");
const { rotateToken } = await import("./lib/rotate-token.ts");
const log = (line: string) => console.log(line);
try {
  // Pulumi must answer for the stack (CLI installed, logged in, the stack exists) before step 1 is announced.
  await selectStack(stack);
  const result = await rotateToken(
    stack,
    {
      setSecret: setStackSecret,
      up: upStack,
      outputs: stackOutputs,
      async adminWorks(url, token) {
        // A read-free admin call: resetting a counter no one uses answers 200 with the right token, 401 without.
        const res = await fetch(new URL("/api/counters/rotate-token-check", url), {
          method: "DELETE",
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(10_000),
        });
        return res.status === 200;
      },
      localBuild: async () => (await buildWorker()).buildId,
      async servedBuild(url) {
        try {
          const res = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(10_000) });
          const body = (await res.json()) as { buildId?: unknown };
          return typeof body.buildId === "string" ? body.buildId : undefined;
        } catch {
          return undefined;
        }
      },
    },
    log,
  );
  console.log(result.ok ? "\nNow:" : "\nWhat to do:");
  for (const line of result.followUps) console.log(`  - ${line}`);
  process.exitCode = result.ok ? 0 : 1;
} catch (error) {
  console.error(`rotate-token: ${error instanceof PulumiProblem ? error.message : String(error)}`);
  process.exitCode = 1;
}
