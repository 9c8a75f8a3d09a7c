import { spawn } from "node:child_process";
import os from "node:os";
import { ROOT } from "../../infra/build.ts";

/**
 * Under `npm test` (npm sets npm_lifecycle_event), runs `npm run typecheck` beside the tests instead of before
 * them, at the lowest scheduling priority: tsc (TypeScript 7, a few CPU seconds) then runs on the cycles the tests
 * leave idle while they wait on workerd, timers and child processes, and never slows a test down. The run fails
 * (exit code 1, tsc's output printed) when the typecheck does, as it did when it ran first. Plain `vitest run` (a
 * single file, the promotion gate) does not typecheck, as before.
 */
export default function setup() {
  if (process.env.npm_lifecycle_event !== "test") return;
  const child = spawn("npm", ["run", "-s", "typecheck"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  // Inherited by what npm starts (the shell, tsc). Lowering one's own child's priority needs no privilege; should
  // it fail anyway, the typecheck runs at normal priority, which is slower for the tests but not wrong.
  try {
    if (child.pid !== undefined) os.setPriority(child.pid, 19);
  } catch {}
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
