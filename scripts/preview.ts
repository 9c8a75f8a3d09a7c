// `npm run preview -- up <n>` / `npm run preview -- destroy <n>`: the preview stack pr-<n> of a pull request, made
// from Pulumi.yaml's defaults (infra/preview-stacks.ts). `up` creates or updates it and prints its URL; `destroy`
// deletes its resources (script and Durable Objects) and the stack. Team settings come from the environment:
// CLOUDFLARE_ACCOUNT_ID, WORKERS_DEV_SUBDOMAIN (and CLOUDFLARE_API_TOKEN for the provider); the admin token is a
// fresh random secret per preview.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { ROOT } from "../infra/build.ts";
import { previewStackName } from "../infra/preview-stacks.ts";

const usage = "usage: npm run preview -- up <pull-request-number> | destroy <pull-request-number>";
let action: string;
let stackName: string;
try {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const [verb, number, ...rest] = positionals;
  if ((verb !== "up" && verb !== "destroy") || !number || rest.length > 0) throw new Error("bad arguments");
  action = verb;
  stackName = previewStackName(number);
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
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
