import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../infra/build.ts";
import { GATE_SUITES } from "../../scripts/lib/gate.ts";

describe("the promotion gate", () => {
  it("runs npm test's suites and the browser test, with the configs the npm scripts use", () => {
    const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
    const configOf = (args: readonly string[]) => args[args.indexOf("--config") + 1];
    expect(GATE_SUITES.map((s) => s.name)).toEqual(["npm test suites", "browser test"]);
    // npm test = typecheck + `vitest run` (default config); test:e2e names its own config file.
    expect(scripts.test).toMatch(/vitest run$/);
    expect(GATE_SUITES[0]!.args).not.toContain("--config");
    expect(scripts["test:e2e"]).toBe(`vitest run --config ${configOf(GATE_SUITES[1]!.args)}`);
  });
});
