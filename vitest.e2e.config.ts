import { defineConfig } from "vitest/config";

// `npm run test:e2e`: a real browser (Debian's chromium, driven by playwright-core) on the built bundle in
// Miniflare. Separate from `npm test` because it needs the browser installed (.ci/run installs it).
export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.e2e.test.ts"],
    environment: "node",
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
