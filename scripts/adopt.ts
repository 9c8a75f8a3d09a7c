// `npm run adopt -- <stack>`: moves a stack that the platform's first resource model deployed (a WorkersScript)
// to the current one without deleting anything at Cloudflare (infra/adoption.ts says why a plain `pulumi up` must
// not do it). Then `pulumi up -s <stack>` converts the script to declarative exports.
import { parseCli } from "./lib/cli.ts";

const { positionals } = parseCli({
  name: "adopt",
  usage: [
    "usage: npm run adopt -- <stack>",
    "  removes the old WorkersScript resources from <stack>'s state (nothing is deleted at Cloudflare), imports",
    "  the existing script as the program's Worker, and records the adoption; then run pulumi up -s <stack>.",
  ].join("\n"),
  options: {},
  positionals: { min: 1, max: 1 },
});
const stack = positionals[0]!;

// Loaded after the arguments are read: the Automation API takes most of a second to load.
const { planAdoption, workerImport } = await import("../infra/adoption.ts");
const { PulumiProblem } = await import("./lib/pulumi-errors.ts");
const { selectStack, stackConfigValue } = await import("./lib/pulumi-stacks.ts");
try {
  const selected = await selectStack(stack);
  const plan = planAdoption((await selected.exportStack()) as Parameters<typeof planAdoption>[0]);
  if (!plan) {
    console.log(`${stack} holds no WorkersScript resource: nothing to adopt.`);
  } else {
    const accountId = await stackConfigValue(stack, "accountId");
    const workerName = (await stackConfigValue(stack, "workerName")) || `do-platform-${stack}`;
    if (!accountId) {
      console.error(`adopt: stack ${stack} has no accountId: pulumi config set accountId <id> -s ${stack}.`);
      process.exit(2);
    }
    console.log(`[1/2] removing from ${stack}'s state (kept at Cloudflare): ${plan.removed.join(", ")}`);
    await selected.importStack(plan.state as never);
    console.log(`[2/2] importing the script ${workerName} as the program's Worker`);
    await selected.import({
      ...workerImport(plan.componentUrn, accountId, workerName),
      protect: false,
      generateCode: false,
      onOutput: (text) => process.stdout.write(`      ${text}`),
    });
    console.log(
      `adopted. Now: pulumi up -s ${stack} (it converts the script from tagged migrations to exports).`,
    );
  }
} catch (error) {
  console.error(
    `adopt: ${error instanceof PulumiProblem ? error.message : String((error as Error).message ?? error)}`,
  );
  process.exitCode = 1;
}
