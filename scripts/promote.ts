// `npm run promote [-- --from staging --to prod] [--dry-run]`: moves the build staging runs to prod, proven by its
// sha256 and gated by the test suites and smoke checks. See scripts/lib/promotion.ts for the steps.
// Admin routes in the smoke checks use ADMIN_TOKEN_<STACK> (e.g. ADMIN_TOKEN_PROD), else the stack's secret.
import { buildWorker } from "../infra/build.ts";
import { parseCli } from "./lib/cli.ts";
import { runTestGate } from "./lib/gate.ts";
import { promote } from "./lib/promotion.ts";
import { automationStackOps } from "./lib/pulumi-stacks.ts";
import { runSmoke } from "./lib/smoke.ts";
import { printSmokeProgress } from "./lib/smoke-output.ts";
import { defaultAdminTokenSources, resolveAdminToken } from "./lib/smoke-token.ts";

const { values } = parseCli({
  name: "promote",
  usage: [
    "usage: npm run promote -- [--from staging] [--to prod] [--dry-run]",
    "  --from STACK  the stack whose build is promoted (default staging)",
    "  --to STACK    the stack that receives it (default prod)",
    "  --dry-run     checks and a preview of the target; deploys nothing",
  ].join("\n"),
  options: {
    from: { type: "string", default: "staging" },
    to: { type: "string", default: "prod" },
    "dry-run": { type: "boolean", default: false },
  },
});
const log = (line: string) => console.log(line);
const outcome = await promote(
  { from: values.from, to: values.to, dryRun: values["dry-run"] },
  {
    stacks: automationStackOps,
    build: () => buildWorker(),
    runGate: (buildId) => runTestGate(buildId, log),
    smoke: async (stack, url, expectBuildId) => {
      const admin = await resolveAdminToken(stack, defaultAdminTokenSources());
      log(`      admin token from ${admin.source}`);
      return runSmoke({ url, expectBuildId, adminToken: admin.token, onProgress: printSmokeProgress });
    },
    health: async (url) => {
      const res = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(10_000) });
      return (await res.json()) as { buildId?: unknown };
    },
    log,
  },
);
process.exitCode = outcome.ok ? 0 : 1;
