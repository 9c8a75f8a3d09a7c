// `npm run promote [-- --from staging --to prod] [--steps 10,50,100] [--wait 5] [--dry-run]`: moves the build
// staging runs to prod, proven by its build id and gated by the test suites and smoke checks, as a new prod version
// that takes traffic step by step. See scripts/lib/promotion.ts for the steps.
// Admin routes in the smoke checks use ADMIN_TOKEN_<STACK> (e.g. ADMIN_TOKEN_PROD), else the stack's secret.
import { checkStackName, parseCli, usageError } from "./lib/cli.ts";
import { readHealth } from "./lib/health.ts";
import { acquirePromotionLock, PromotionLocked } from "./lib/promotion-lock.ts";
import { DEFAULT_STEPS, parseSteps } from "./lib/promotion-steps.ts";
import { printSmokeProgress } from "./lib/smoke-output.ts";

const spec = {
  name: "promote",
  usage: [
    "usage: npm run promote -- [--from staging] [--to prod] [--steps 10,50,100] [--wait 5] [--dry-run]",
    "  --from STACK     the stack whose build is promoted (default staging)",
    "  --to STACK       the stack that receives it (default prod)",
    `  --steps P,P,...  traffic percentages for the new version, rising, ending at 100 (default ${DEFAULT_STEPS.join(",")})`,
    "  --wait SECONDS   wait after each step, before its checks (default 5)",
    "  --dry-run        checks and a preview of the target; deploys nothing",
  ].join("\n"),
  options: {
    from: { type: "string", default: "staging" },
    to: { type: "string", default: "prod" },
    steps: { type: "string", default: DEFAULT_STEPS.join(",") },
    wait: { type: "string", default: "5" },
    "dry-run": { type: "boolean", default: false },
  },
} as const;
const { values } = parseCli(spec);
checkStackName(spec, values.from);
checkStackName(spec, values.to);
const steps = parseSteps(values.steps);
if (typeof steps === "string") usageError(spec, steps);
if (!/^\d+(\.\d+)?$/.test(values.wait))
  usageError(
    spec,
    `--wait takes a number of seconds, 0 or more (e.g. --wait 5), got ${JSON.stringify(values.wait)}`,
  );

// Loaded after the arguments are read: Cloudflare's SDK and the Pulumi Automation API take over a second to load.
const { buildWorker, ROOT } = await import("../infra/build.ts");
const { cloudflareVersionOps } = await import("./lib/cloudflare-versions.ts");
const { runTestGate } = await import("./lib/gate.ts");
const { promote } = await import("./lib/promotion.ts");
const { automationStackOps, stackConfigValue } = await import("./lib/pulumi-stacks.ts");
const { runSmoke } = await import("./lib/smoke.ts");
const { defaultAdminTokenSources, resolveAdminToken } = await import("./lib/smoke-token.ts");
const log = (line: string) => console.log(line);
// CI serialises promotions with the workflow's concurrency group; from a terminal, this lock does.
let release = () => {};
if (!process.env.CI) {
  try {
    release = acquirePromotionLock(ROOT, values.to);
  } catch (error) {
    if (!(error instanceof PromotionLocked)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
// wrangler and Cloudflare's SDK need the target's account: from the environment, else from the stack's config.
const accountId =
  process.env.CLOUDFLARE_ACCOUNT_ID ||
  (await stackConfigValue(values.to, "accountId").catch(() => undefined));
const versions = cloudflareVersionOps({
  ...process.env,
  ...(accountId ? { CLOUDFLARE_ACCOUNT_ID: accountId } : {}),
});
const outcome = await promote(
  { from: values.from, to: values.to, dryRun: values["dry-run"], steps, waitSeconds: Number(values.wait) },
  {
    stacks: automationStackOps,
    versions,
    build: () => buildWorker(),
    runGate: (buildId) => runTestGate(buildId, log),
    smoke: async (stack, url, expectBuildId, options = {}) => {
      const admin = await resolveAdminToken(stack, defaultAdminTokenSources());
      log(`      admin token from ${admin.source}`);
      return runSmoke({
        url,
        expectBuildId,
        adminToken: admin.token,
        headers: options.headers,
        objectVersion: options.objectVersion,
        onProgress: printSmokeProgress,
      });
    },
    health: readHealth,
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    log,
  },
);
release();
process.exitCode = outcome.ok ? 0 : 1;
