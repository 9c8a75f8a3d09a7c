import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stateDirProblem } from "../../scripts/lib/state-dir.ts";
import { runScript } from "../support/script-process.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function scratch() {
  const dir = await mkdtemp(path.join(tmpdir(), "state-dir-"));
  dirs.push(dir);
  return dir;
}

describe("npm run dev --persist-to a place that cannot hold state", () => {
  it("a file: one line naming it, exit 2, before any build", async () => {
    const file = path.join(await scratch(), "not-a-dir");
    await writeFile(file, "x");
    const { code, stdout, stderr } = await runScript("scripts/dev.ts", ["--persist-to", file]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trimEnd().split("\n")).toEqual([expect.stringContaining("not-a-dir is a file")]);
    expect(stderr).not.toMatch(/ENOTDIR|\n\s+at /);
  });

  // Node's recursive mkdir spins forever on such a path; a spawned dev process shows the hang as a timeout.
  it.runIf(process.platform === "linux")(
    "a directory the system refuses to create (/proc/nope): one line, exit 2, no hang",
    async () => {
      const { code, stderr } = await runScript(
        "scripts/dev.ts",
        ["--persist-to", "/proc/nope"],
        process.env,
        {
          timeoutMs: 10_000,
        },
      );
      expect(code).toBe(2);
      expect(stderr.trimEnd().split("\n")).toEqual([
        expect.stringMatching(/cannot create the directory .*nope \(ENOENT\); give --persist-to a directory/),
      ]);
    },
  );

  it("a directory inside a file, and a read-only directory, are named too", async () => {
    const base = await scratch();
    const file = path.join(base, "plain");
    await writeFile(file, "x");
    expect(stateDirProblem(path.join(file, "state"))).toMatch(/is a file \(or inside one\)/);
    expect(stateDirProblem(path.join(base, "fresh", "state"))).toBeUndefined();
    // root writes into a read-only directory anyway: only an ordinary user can see this refusal.
    if (process.getuid?.() !== 0) {
      const locked = path.join(base, "locked");
      await import("node:fs/promises").then((fs) => fs.mkdir(locked));
      await chmod(locked, 0o555);
      expect(stateDirProblem(locked)).toMatch(/locked is not writable/);
    }
  });
});
