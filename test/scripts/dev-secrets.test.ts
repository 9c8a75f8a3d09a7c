import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { devAdminToken, readDevVars } from "../../scripts/lib/dev-secrets.ts";

describe("npm run dev's admin token", () => {
  it("comes from ADMIN_TOKEN in the environment first", async () => {
    expect(await devAdminToken({ ADMIN_TOKEN: "from-env" }, { ADMIN_TOKEN: "from-file" })).toEqual({
      value: "from-env",
      source: "environment",
    });
  });

  it("then from .dev.vars, parsed like a dotenv file", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "devvars-"));
    try {
      const file = path.join(dir, ".dev.vars");
      await writeFile(file, '# local secrets\nADMIN_TOKEN="from-file"\nOTHER=1\n');
      const vars = await readDevVars(file);
      expect(vars).toEqual({ ADMIN_TOKEN: "from-file", OTHER: "1" });
      expect(await devAdminToken({}, vars)).toEqual({ value: "from-file", source: ".dev.vars" });
      expect(await readDevVars(path.join(dir, "missing"))).toEqual({});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("else is generated: long, random, never empty", async () => {
    const a = await devAdminToken({}, {});
    const b = await devAdminToken({}, {});
    expect(a.source).toBe("generated");
    expect(a.value).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(b.value).not.toBe(a.value);
  });
});
