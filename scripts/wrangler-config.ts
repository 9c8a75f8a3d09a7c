// `npm run wrangler-config -- <stack>`: writes wrangler.<stack>.json (git-ignored), generated from worker/manifest.ts
// and the stack's settings, so wrangler's habits work against a stack: `npx wrangler tail -c wrangler.prod.json`,
// `npx wrangler dev -c wrangler.staging.json`, `npx wrangler deploy --dry-run -c ...`. Pulumi stays the deployer.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "../infra/build.ts";
import { manifestRefusal } from "../infra/manifest-checks.ts";
import { localStackSettings } from "../infra/stack-environment.ts";
import { formatConfigProblems } from "../infra/stack-settings.ts";
import { wranglerConfig, wranglerConfigFile } from "../infra/wrangler-config.ts";
import { checkStackName, parseCli } from "./lib/cli.ts";

const cli = {
  name: "wrangler-config",
  usage: "usage: npm run wrangler-config -- <stack>   (writes wrangler.<stack>.json for wrangler tail/dev)",
  options: {},
  positionals: { min: 1, max: 1 },
} as const;
const { positionals } = parseCli(cli);
const stack = checkStackName(cli, positionals[0]!);
const settings = localStackSettings(stack);
if (!settings.ok) {
  console.error(formatConfigProblems(stack, settings.problems));
  process.exit(1);
}
// A class lifecycle mistake is one sentence naming the class, as in `npm run build`, never a stack trace.
const refusal = manifestRefusal();
if (refusal) {
  console.error(`npm run wrangler-config: ${refusal}`);
  process.exit(1);
}
const file = wranglerConfigFile(settings.settings.stack);
// Under wrangler, BUILD_ID names wrangler's own bundle of the source, which is not a build Pulumi deploys.
const config = wranglerConfig(settings.settings, { configDir: ROOT, buildId: "wrangler-bundle" });
await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
console.log(`wrote ${path.relative(ROOT, file)}: npx wrangler tail -c ${path.relative(ROOT, file)}`);
