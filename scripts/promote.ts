// `npm run promote [-- --from staging --to prod] [--dry-run]`: moves the build staging runs to prod, proven by its
// sha256 and gated by the test suites and smoke checks. See scripts/lib/promotion.ts for the steps.
// Admin routes in the smoke checks use ADMIN_TOKEN_<STACK> (e.g. ADMIN_TOKEN_PROD), else ADMIN_TOKEN.
import { parseArgs } from "node:util";
import { buildWorker } from "../infra/build.ts";
import { runTestGate } from "./lib/gate.ts";
import { promote } from "./lib/promotion.ts";
import { automationStackOps } from "./lib/pulumi-stacks.ts";
import { adminTokenFor, runSmoke } from "./lib/smoke.ts";
import { printSmokeProgress } from "./lib/smoke-output.ts";

const { values } = parseArgs({
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
    smoke: (stack, url, expectBuildId) =>
      runSmoke({ url, expectBuildId, adminToken: adminTokenFor(stack), onProgress: printSmokeProgress }),
    health: async (url) => {
      const res = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(10_000) });
      return (await res.json()) as { buildId?: unknown };
    },
    log,
  },
);
process.exitCode = outcome.ok ? 0 : 1;
