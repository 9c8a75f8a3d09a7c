import { spawn } from "node:child_process";
import { ROOT } from "../../infra/build.ts";

/** Set for the gate's test run: the global test setup refuses to test any other bundle. */
export const GATE_BUILD_ID_ENV = "GATE_BUILD_ID";

/**
 * The promotion gate: the project's test suites (in-runtime, artifact, infra) on the bundle this tree builds,
 * which must be `buildId`. Streams the test output; rejects when any test fails.
 */
export function runTestGate(buildId: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["node_modules/vitest/vitest.mjs", "run", "--reporter=dot"], {
      cwd: ROOT,
      env: { ...process.env, [GATE_BUILD_ID_ENV]: buildId },
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
