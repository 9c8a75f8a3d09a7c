// `npm run deploy -- <stack> [--yes]`: the one way to deploy a stack by hand. Builds the bundle and its static
// assets here (with the build's own checks: every class the manifest binds is exported, the build id), then runs
// `pulumi up -s <stack>` in this project, with its preview and confirmation (`--yes` skips the confirmation).
// Previews deploy with `npm run preview -- up <n>`; prod normally receives staging's build with `npm run promote`.
import { spawn, spawnSync } from "node:child_process";
import { BuildError, buildWorker, ROOT } from "../infra/build.ts";
import { isPreviewStack } from "../infra/preview-stacks.ts";
import { checkStackName, parseCli, usageError } from "./lib/cli.ts";
import { noPulumiCli } from "./lib/pulumi-errors.ts";

const cli = {
  name: "deploy",
  usage: [
    "usage: npm run deploy -- <stack> [--yes]",
    "  <stack>   a stack with a Pulumi.<stack>.yaml (staging, prod)",
    "  --yes     apply without asking (pulumi up --yes); without it, pulumi shows the preview and asks",
    "  builds the bundle here, then runs pulumi up -s <stack> (needs the Pulumi CLI and the stack's credentials)",
  ].join("\n"),
  options: { yes: { type: "boolean", default: false } },
  positionals: { min: 1, max: 1 },
} as const;
const { values, positionals } = parseCli(cli);
const given = positionals[0]!;
if (isPreviewStack(given)) {
  usageError(cli, `${given} is a preview stack: deploy it with npm run preview -- up ${given.slice(3)}`);
}
const stack = checkStackName(cli, given, { previews: false });

// The Pulumi CLI first: a missing CLI is said before anything is built.
if (spawnSync("pulumi", ["version"], { stdio: "ignore" }).error) {
  console.error(`deploy: ${noPulumiCli().message}`);
  process.exit(1);
}

try {
  const build = await buildWorker();
  console.log(
    `deploy: built ${build.buildId.slice(0, 12)} (${build.exports.join(", ")}); pulumi up -s ${stack}`,
  );
} catch (error) {
  console.error(`deploy: ${error instanceof BuildError ? `build failed: ${error.message}` : String(error)}`);
  process.exit(1);
}

const args = ["up", "-s", stack, ...(values.yes ? ["--yes"] : [])];
const child = spawn("pulumi", args, { cwd: ROOT, stdio: "inherit" });
child.on("exit", (code, signal) => {
  if (code !== 0)
    console.error(`deploy: pulumi ${args.join(" ")} did not succeed (${signal ?? `exit ${code}`}).`);
  process.exitCode = code ?? 1;
});
