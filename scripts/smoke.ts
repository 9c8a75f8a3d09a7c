// `npm run smoke -- <url | stack> [--build-id SHA] [--timeout-ms N]`: checks a live environment over real HTTP and
// WebSockets (health and build id, a counter round trip, a chat round trip, a scheduled job) and exits non-zero
// on any failure. A stack name resolves to its `url` output through the Pulumi Automation API.
// Admin routes use ADMIN_TOKEN_<STACK> (for a stack name) or ADMIN_TOKEN from the environment.
import { parseArgs } from "node:util";
import { PulumiUnavailableError, resolveTarget } from "./lib/pulumi-stacks.ts";
import { adminTokenFor, runSmoke } from "./lib/smoke.ts";
import { printSmokeProgress, printSmokeSummary } from "./lib/smoke-output.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "build-id": { type: "string" }, "timeout-ms": { type: "string", default: "15000" } },
});
if (positionals.length !== 1) {
  console.error("usage: npm run smoke -- <url | stack> [--build-id SHA] [--timeout-ms 15000]");
  process.exit(2);
}
try {
  const { url, stack } = await resolveTarget(positionals[0]!);
  console.log(`smoke ${url.href}${stack ? ` (stack ${stack})` : ""}`);
  const report = await runSmoke({
    url,
    expectBuildId: values["build-id"],
    adminToken: adminTokenFor(stack),
    timeoutMs: Number(values["timeout-ms"]),
    onProgress: printSmokeProgress,
  });
  printSmokeSummary(report);
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  const hint =
    error instanceof PulumiUnavailableError
      ? " Pass a URL instead of a stack name to check without Pulumi."
      : "";
  console.error(`smoke: ${(error as Error).message}${hint}`);
  process.exitCode = 1;
}
