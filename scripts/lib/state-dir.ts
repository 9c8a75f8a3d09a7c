import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Why `dir` cannot hold the local platform's state, in one sentence, or undefined when it can. It is created if
 * missing, and a file is written into it and removed: Miniflare would otherwise fail later with a stack trace
 * (`ENOTDIR` for a file, a misleading `ENOENT` for a read-only directory).
 */
export function stateDirProblem(dir: string): string | undefined {
  const shown = path.relative(process.cwd(), dir) || ".";
  try {
    makeDirectories(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTDIR")
      return `${shown} is a file (or inside one), not a directory; give --persist-to a directory`;
    return `cannot create the directory ${shown} (${code ?? String(error)}); give --persist-to a directory you can write to`;
  }
  const probe = path.join(dir, `.write-check-${process.pid}`);
  try {
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR")
      return `${shown} is a file (or inside one), not a directory; give --persist-to a directory`;
    return `the directory ${shown} is not writable (${code ?? String(error)}); give --persist-to a directory you can write to`;
  }
  return undefined;
}

/**
 * `mkdir -p`, one directory at a time from the nearest one that exists. Node's `mkdirSync(dir, { recursive: true })`
 * never returns for a path under a directory that refuses new entries with ENOENT (`/proc/nope`: Node 20-24 retry
 * it forever at full CPU), which made `npm run dev -- --persist-to /proc/nope` hang instead of answering.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); !existsSync(at); at = path.dirname(at)) {
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  for (const each of missing) mkdirSync(each);
}
