// `npm run preview -- up <n>` / `npm run preview -- destroy <n>`: the preview stack pr-<n> of a pull request, made
// from Pulumi.yaml's defaults (infra/preview-stacks.ts). `up` creates or updates it and prints its URL; `destroy`
// deletes its resources (script and Durable Objects) and the stack. Team settings come from the environment:
// CLOUDFLARE_ACCOUNT_ID, WORKERS_DEV_SUBDOMAIN (and CLOUDFLARE_API_TOKEN for the provider); the admin token is a
// fresh random secret per preview.
import { randomBytes } from "node:crypto";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { ROOT } from "../infra/build.ts";
import { previewStackName } from "../infra/preview-stacks.ts";
import { parseCli, usageError } from "./lib/cli.ts";

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

const onOutput = (text: string) => process.stdout.write(text);
try {
  const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: ROOT });
  if (action === "up") {
    const account = process.env.CLOUDFLARE_ACCOUNT_ID;
    const subdomain = process.env.WORKERS_DEV_SUBDOMAIN;
    if (!account || !subdomain) throw new Error("set CLOUDFLARE_ACCOUNT_ID and WORKERS_DEV_SUBDOMAIN");
    await stack.setAllConfig({
      "do-platform:accountId": { value: account },
      "do-platform:workersDevSubdomain": { value: subdomain },
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
  console.error(`preview ${stackName}: ${(error as Error).message}`);
  process.exitCode = 1;
}
