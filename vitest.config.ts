import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { miniflareWorkerOptions } from "./scripts/lib/miniflare-options.ts";

const inRuntimeEnvironment = {
  environment: "test",
  buildId: "in-runtime-test",
  locationHint: "weur",
  adminToken: "in-runtime-admin-token",
  webhookAllowHttp: true,
};

export default defineConfig({
  test: {
    // Most test time is waiting (on workerd, on timers a test is about, on child processes), not computing: vitest's
    // default of one worker per core minus one ran every file in sequence on a two-core machine. Both projects'
    // files share these workers.
    maxWorkers: 2,
    projects: [
      {
        // In-runtime tests: the worker source and its Durable Objects inside workerd, with the same bindings
        // `npm run dev` uses (derived from worker/manifest.ts).
        plugins: [
          {
            // A dependency (cron-schedule) publishes source maps naming sources it does not ship, so every
            // in-runtime run printed "Sourcemap for .../node_modules/... points to missing source files". Vitest
            // installs its own logger, so the warning is filtered on the resolved one. Our own files' maps still warn.
            name: "quiet-dependency-sourcemaps",
            configResolved(config) {
              const warnOnce = config.logger.warnOnce.bind(config.logger);
              config.logger.warnOnce = (message, options) => {
                if (!/\/node_modules\/.*points to missing source files/.test(message))
                  warnOnce(message, options);
              };
            },
          },
          cloudflareTest({
            main: "./worker/index.ts",
            // workerd's --verbose (the pool's default) prints an internal trace for every expected failure a test
            // provokes on purpose (a webhook to a closed port, a socket a test drops); the worker's own console
            // output and test failures are printed either way.
            verbose: false,
            miniflare: miniflareWorkerOptions(inRuntimeEnvironment),
          }),
        ],
        test: { name: "worker", include: ["test/worker/**/*.test.ts"] },
      },
      {
        // Node tests: the built bundle over real HTTP/WebSockets, the Pulumi program under mocks, the scripts.
        test: {
          name: "node",
          include: ["test/artifact/**/*.test.ts", "test/infra/**/*.test.ts", "test/scripts/**/*.test.ts"],
          environment: "node",
          // `npm test` typechecks beside the tests (test/support/typecheck-beside.ts), not before them.
          globalSetup: ["test/support/global-setup.ts", "test/support/typecheck-beside.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
