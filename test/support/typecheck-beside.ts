import { spawn } from "node:child_process";
import { ROOT } from "../../infra/build.ts";

/**
 * Under `npm test` (npm sets npm_lifecycle_event), runs `npm run typecheck` beside the tests instead of before
 * them: tsc is one busy core for a few seconds (TypeScript 7) while test files start up and wait, so on two cores
 * the two overlap. The run fails (exit code 1, tsc's output printed) when the typecheck does, as it did when it ran
 * first. Plain
 * `vitest run` (a single file, the promotion gate) does not typecheck, as before.
 */
export default function setup() {
  if (process.env.npm_lifecycle_event !== "test") return;
  const child = spawn("npm", ["run", "-s", "typecheck"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c));
  child.stderr.on("data", (c: Buffer) => (output += c));
  const done = new Promise<number | null>((resolve) => child.on("close", resolve));
  return async () => {
    const code = await done;
    if (code === 0) return;
    process.stderr.write(`\nnpm run typecheck failed (exit ${code}):\n${output}\n`);
    process.exitCode = 1;
  };
}
