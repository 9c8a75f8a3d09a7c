import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { miniflareWorkerOptions } from "./scripts/lib/miniflare-options.ts";
import LongestFirst from "./test/support/longest-first.ts";
import SlowestFiles from "./test/support/slowest-files.ts";

const inRuntimeEnvironment = {
  environment: "test",
  buildId: "in-runtime-test",
  locationHint: "weur",
  adminToken: "in-runtime-admin-token",
  webhookAllowHttp: true,
};

export default defineConfig({
  test: {
    // Much of the test time is waiting (on workerd, on timers a test is about, on child processes), not computing:
    // vitest's default of one worker per core minus one ran every file in sequence on a two-core machine. All
    // projects' files share these workers, the longest files first (test/support/longest-first.ts). Four on two
    // cores: two files can wait at once (the delivery test's 20 s lead, the security test's rate-limit window) while
    // two compute. Four was the fastest of three, four and five in timed runs (the figures: CHANGELOG.md).
    maxWorkers: 4,
    // The ten slowest files are printed after the summary (test/support/slowest-files.ts).
    reporters: ["default", new SlowestFiles()],
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        // In-runtime tests: the worker source and its Durable Objects inside workerd, with the same bindings
        // `npm run dev` uses (derived from worker/manifest.ts). One workerd (and one module graph) per pool worker
        // for all the files it runs, instead of a new Miniflare per file that imports the runtime and the worker
        // source again. They do not rely on fresh module or storage state: every test names its own objects (green
        // with --sequence.shuffle, one worker, and two CPU loads beside it). The chat room's files were isolated
        // until the pool's successor, @cloudflare/vitest-plugin, fixed workers-sdk#15092: the pool wrapped each
        // Durable Object class's prototype in one more Proxy per instance created, so in a shared workerd every
        // property read got slower with each room a test had opened.
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
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          isolate: false,
        },
      },
      {
        // Node tests: the built bundle over real HTTP/WebSockets, the Pulumi program under mocks, the scripts.
        test: {
          name: "node",
          include: ["test/artifact/**/*.test.ts", "test/infra/**/*.test.ts", "test/scripts/**/*.test.ts"],
          environment: "node",
          // Files share their process and module graph (Pulumi, ajv's compiled contract, the test helpers) instead
          // of a fresh fork per file that loads them again (~1 CPU second per file). The one file that mocks a
          // module forgets the module graph before and after itself (deploy.class-lifecycle.test.ts).
          isolate: false,
          // `npm test` typechecks beside the tests (test/support/typecheck-beside.ts), not before them.
          globalSetup: ["test/support/global-setup.ts", "test/support/typecheck-beside.ts"],
          setupFiles: ["test/support/build-once.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
