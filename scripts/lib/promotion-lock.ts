import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";

/**
 * One promotion of a stack at a time from this checkout. In CI the workflow's `concurrency` group serialises
 * promotions; a person running `npm run promote` next to another one (or to a CI run that split the target) is
 * stopped by this lock and by the promotion's own refusal to start on a split deployment. The lock is a file
 * created exclusively, holding the owner's host and pid; one left by a process that died on this host is taken over.
 */
export class PromotionLocked extends Error {
  override readonly name = "PromotionLocked";
}

export function acquirePromotionLock(root: string, stack: string): () => void {
  const file = path.join(root, `.promotion-${stack}.lock`);
  const owner = `${hostname()} ${process.pid} ${new Date().toISOString()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, owner);
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const [host, pid, since] = readFileSync(file, "utf8").split(" ");
      if (host === hostname() && !alive(Number(pid))) {
        rmSync(file, { force: true });
        continue;
      }
      throw new PromotionLocked(
        `Another promotion to ${stack} is running (${host} pid ${pid}, since ${since}). Wait for it; if it died on ` +
          `another machine, delete ${path.relative(process.cwd(), file) || file} and run this again.`,
      );
    }
  }
  throw new PromotionLocked(`Could not take the promotion lock for ${stack}: ${file}.`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
