// `npm run preview -- up <n>` / `npm run preview -- destroy <n>`: the preview stack pr-<n> of a pull request, made
// from Pulumi.yaml's defaults (infra/preview-stacks.ts). `up` creates or updates it and prints its URL; `destroy`
// deletes its resources (script and Durable Objects) and the stack. Team settings come from the environment:
// CLOUDFLARE_ACCOUNT_ID, WORKERS_DEV_SUBDOMAIN (and CLOUDFLARE_API_TOKEN for the provider); the admin token is a
// fresh random secret per preview.
import { randomBytes } from "node:crypto";
import { previewStackName } from "../infra/preview-stacks.ts";
import { parseCli, ROOT, usageError } from "./lib/cli.ts";
import { explainPulumiError } from "./lib/pulumi-errors.ts";

const cli = {
  name: "preview",
  usage:
    "usage: npm run preview -- up <pull-request-number> | destroy <pull-request-number>\n" +
    "  up        create or update the preview stack pr-<n> and print its URL\n" +
    "  destroy   delete pr-<n>'s script, its Durable Objects and the stack",
  options: {},
  positionals: { min: 2, max: 2 },
} as const;
const [action, number] = parseCli(cli).positionals as [string, string];
if (action !== "up" && action !== "destroy")
  usageError(cli, `the action is up or destroy, got ${JSON.stringify(action)}`);
let stackName: string;
try {
  stackName = previewStackName(number);
} catch (error) {
  usageError(cli, (error as Error).message);
}

// The team's settings, checked before Pulumi is asked anything: a preview has no stack file to hold them.
const account = process.env.CLOUDFLARE_ACCOUNT_ID;
const subdomain = process.env.WORKERS_DEV_SUBDOMAIN;
if (action === "up" && (!account || !subdomain)) {
  const missing = [
    ...(account ? [] : ["CLOUDFLARE_ACCOUNT_ID=<32-hex-digit account id>"]),
    ...(subdomain ? [] : ["WORKERS_DEV_SUBDOMAIN=<the x of x.workers.dev>"]),
  ];
  console.error(
    `preview ${stackName}: a preview deploys to your account's workers.dev, so it needs ` +
      `${missing.map((m) => m.split("=")[0]).join(" and ")}. Fix: export ${missing.join(" ")}`,
  );
  process.exit(1);
}

// Loaded after the arguments and settings are read: the Pulumi Automation API takes most of a second to load.
const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
const onOutput = (text: string) => process.stdout.write(text);
try {
  const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: ROOT });
  if (action === "up") {
    await stack.setAllConfig({
      "do-platform:accountId": { value: account! },
      "do-platform:workersDevSubdomain": { value: subdomain! },
      "do-platform:adminToken": { value: randomBytes(32).toString("hex"), secret: true },
    });
    const result = await stack.up({ onOutput, color: "never" });
    console.log(`preview ${stackName}: ${String(result.outputs.url?.value)}`);
  } else {
    await stack.destroy({ onOutput, color: "never" });
    await stack.workspace.removeStack(stackName);
    console.log(`preview ${stackName}: destroyed`);
  }
} catch (error) {
  // The Automation API's failures (no Pulumi CLI, not logged in, ...) as one sentence with the fix.
  console.error(`preview ${stackName}: ${explainPulumiError(error, stackName).message}`);
  process.exitCode = 1;
}
