import { defineConfig } from "vitest/config";

// `npm run test:deploy`: the deploy path against a local stand-in of Cloudflare's API (test/standin), with real
// wrangler processes and workerd per deployed version. Separate from `npm test` because each wrangler run costs about
// 2 CPU seconds to load (about 40 CPU seconds in all); CI runs it after `npm test`, beside the browser test and the
// rehearsal.
export default defineConfig({
  test: {
    name: "deploy",
    include: ["test/standin/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/build-once.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
