import { spawn } from "node:child_process";
import { ROOT } from "../../infra/build.ts";

/** Set for the gate's test run: the global test setup refuses to test any other bundle. */
export const GATE_BUILD_ID_ENV = "GATE_BUILD_ID";

/** Names of variables that hold credentials: deploy tokens, admin tokens, passphrases, cloud keys, OIDC request. */
const CREDENTIAL = /TOKEN|SECRET|PASSWORD|PASSPHRASE|CREDENTIAL|PRIVATE|_KEY$|^AWS_|^ACTIONS_ID_TOKEN_/i;

/**
 * The environment the gate's tests run with: the promoter's, minus every credential. `npm run promote` holds the
 * deploy credentials (Pulumi, Cloudflare, both admin tokens) for its deploy and smoke steps; the test suites need
 * none of them, and must not be able to read or leak them (a dependency's install script or a
 * test runs any code it likes).
 */
export function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !CREDENTIAL.test(name)));
}

/**
 * The gate's suites, in order: `npm test`'s vitest projects (in-runtime, artifact, infra, scripts), then the browser
 * test of the page (`npm run test:e2e`, chromium at /usr/bin/chromium or CHROMIUM_PATH).
 */
export const GATE_SUITES: readonly { readonly name: string; readonly args: readonly string[] }[] = [
  { name: "npm test suites", args: ["run", "--reporter=dot"] },
  { name: "browser test", args: ["run", "--reporter=dot", "--config", "vitest.e2e.config.ts"] },
];

function runSuite(args: readonly string[], buildId: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["node_modules/vitest/vitest.mjs", ...args], {
      cwd: ROOT,
      env: { ...withoutCredentials(process.env), [GATE_BUILD_ID_ENV]: buildId },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) log(`      ${line}`);
    };
    child.stdout.on("data", relay);
    child.stderr.on("data", relay);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`vitest exited with ${code}`))));
  });
}

/**
 * The promotion gate: every suite of GATE_SUITES on the bundle this tree builds, which must be `buildId`. Streams
 * the test output; rejects at the first suite that fails, naming it.
 */
export async function runTestGate(buildId: string, log: (line: string) => void): Promise<void> {
  for (const suite of GATE_SUITES) {
    log(`      ${suite.name}`);
    await runSuite(suite.args, buildId, log).catch((error: Error) => {
      throw new Error(`${suite.name}: ${error.message}`);
    });
  }
}
