import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../infra/build.ts";

// One-way floors: worker/ (with the manifest and platform data) at the ground, the deploy model in infra/ above
// it, the tools in scripts/ on top. An import may only point to the same floor or down.
const FLOORS = ["worker", "infra", "scripts"] as const;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(path.join(ROOT, file), "utf8");
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1] ?? "");
  return specifiers
    .filter((s) => s.startsWith("."))
    .map((s) => path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), s)));
}

describe("the floors of the house", () => {
  it.each(FLOORS.map((floor, level) => [floor, level] as const))(
    "%s imports only from its own floor or the ones below",
    async (floor, level) => {
      const above = FLOORS.slice(level + 1);
      const upward: string[] = [];
      for (const file of await sources(floor)) {
        for (const target of await importsOf(file)) {
          const top = target.split(path.sep)[0] ?? "";
          if ((above as readonly string[]).includes(top) || top === "test")
            upward.push(`${file} -> ${target}`);
        }
      }
      expect(upward).toEqual([]);
    },
  );
});
