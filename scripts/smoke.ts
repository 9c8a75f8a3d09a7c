// `npm run smoke -- <url | stack> [--build-id SHA] [--timeout-ms N]`: checks a live environment over real HTTP and
// WebSockets (health and build id, a counter round trip, a chat round trip, a scheduled job), cleans up what it
// made, and exits non-zero on any failure. A stack name resolves to its `url` output through the Pulumi Automation
// API. Admin token: see scripts/lib/smoke-token.ts (ADMIN_TOKEN_<STACK> or the stack's secret; ADMIN_TOKEN or
// .dev.vars for a URL).
import { checkStackName, parseCli, usageError } from "./lib/cli.ts";
import { PulumiProblem } from "./lib/pulumi-errors.ts";
import { runSmoke } from "./lib/smoke.ts";
import { printSmokeProgress, printSmokeSummary } from "./lib/smoke-output.ts";

const cli = {
  name: "smoke",
  usage: [
    "usage: npm run smoke -- <url | stack> [--build-id SHA] [--timeout-ms 15000]",
    "  <url | stack>     an environment URL (e.g. http://127.0.0.1:8787) or a stack name (staging, prod)",
    "  --build-id SHA    /health must report this build id",
    "  --timeout-ms N    upper bound for each check (default 15000)",
    "  admin token: ADMIN_TOKEN_<STACK> or the stack's adminToken secret; for a URL, ADMIN_TOKEN or .dev.vars",
  ].join("\n"),
  options: { "build-id": { type: "string" }, "timeout-ms": { type: "string", default: "15000" } },
  positionals: { min: 1, max: 1 },
} as const;
const { values, positionals } = parseCli(cli);
const timeoutMs = Number(values["timeout-ms"]);
if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
  usageError(
    cli,
    `--timeout-ms must be a positive whole number, got ${JSON.stringify(values["timeout-ms"])}`,
  );
}
const target = smokeTarget(positionals[0]!);
// Loaded after the arguments are read: the Pulumi Automation API takes most of a second to load, and --help or
// a usage error should not wait for it.
const { resolveTarget } = await import("./lib/pulumi-stacks.ts");
const { defaultAdminTokenSources, resolveAdminToken } = await import("./lib/smoke-token.ts");
try {
  const { url, stack } = await resolveTarget(target);
  const admin = await resolveAdminToken(stack, defaultAdminTokenSources());
  console.log(`smoke ${url.href}${stack ? ` (stack ${stack})` : ""}; admin token from ${admin.source}`);
  const report = await runSmoke({
    url,
    expectBuildId: values["build-id"],
    adminToken: admin.token,
    timeoutMs,
    onProgress: printSmokeProgress,
  });
  printSmokeSummary(report);
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  if (error instanceof PulumiProblem) {
    // smoke, alone among the scripts, also takes the environment's URL, which needs no Pulumi at all.
    const orUrl =
      error.kind === "no-cli" ? ", or pass the environment's URL: npm run smoke -- https://<host>" : "";
    console.error(`smoke: ${error.message}${orUrl}`);
  } else console.error(`smoke: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}

/**
 * The target as resolveTarget takes it: a URL, or a stack of this checkout. A host with a port or a dot
 * (`127.0.0.1:8787`, `localhost:8787`, `do-platform-staging.acme.workers.dev`) is a URL without its scheme:
 * http for this machine, https for anything else.
 */
function smokeTarget(given: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
    if (!/^https?:\/\//i.test(given)) usageError(cli, `a URL to smoke-check is http or https, got ${given}`);
    return given;
  }
  if (/[.:[]/.test(given) || /^localhost$/i.test(given)) {
    if (!URL.canParse(`http://${given}`)) usageError(cli, `${given} is neither a URL nor a stack name`);
    const { hostname } = new URL(`http://${given}`);
    const local = hostname === "localhost" || hostname === "[::1]" || /^127\./.test(hostname);
    return `${local ? "http" : "https"}://${given}`;
  }
  return checkStackName(cli, given);
}
