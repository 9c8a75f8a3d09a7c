import { describe, expect, it } from "vitest";
import {
  isEncrypted,
  readProjectFile,
  readStackFile,
  stackConfigFromFiles,
  unqualify,
} from "../../infra/project-file.ts";
import { SETTING_KEYS, validateStackConfig } from "../../infra/stack-settings.ts";
import { runtimeDefaults } from "../../worker/manifest.ts";

const project = readProjectFile();
const declarations = Object.entries(project.config);

// The rules the Pulumi CLI applies to a project-level `config:` block, from its source
// (pulumi/pulumi sdk/go/common/workspace: project.go `Validate`, project.json schema, config.go `mergeConfig`).
const matchesType = (type: string | undefined, itemType: string | undefined, value: unknown): boolean => {
  if (type === "string") return typeof value === "string";
  if (type === "boolean") return typeof value === "boolean" || value === "true" || value === "false";
  if (type === "integer") return Number.isInteger(typeof value === "string" ? Number(value) : value);
  if (type === "array")
    return Array.isArray(value) && value.every((v) => matchesType(itemType, undefined, v));
  return false;
};

describe("Pulumi.yaml's project-level config block", () => {
  it("declares exactly the settings the program validates, each with a type, a default and a description", () => {
    expect(Object.keys(project.config).sort()).toEqual([...SETTING_KEYS].sort());
    for (const [key, declaration] of declarations) {
      expect({ key, type: typeof declaration.type, description: typeof declaration.description }).toEqual({
        key,
        type: "string",
        description: "string",
      });
      expect({ key, hasDefault: declaration.default !== undefined && declaration.default !== null }).toEqual({
        key,
        hasDefault: true,
      });
    }
  });

  it("follows the CLI's rules, so `pulumi up` accepts it", () => {
    for (const [key, d] of declarations) {
      const context = `config ${key}`;
      expect(["string", "integer", "boolean", "array"], context).toContain(d.type);
      if (d.type === "array") expect(d.items?.type, `${context}: arrays need items`).toBeTypeOf("string");
      expect(d.default !== undefined && d.value !== undefined, `${context}: default and value`).toBe(false);
      expect(matchesType(d.type, d.items?.type, d.default), `${context}: default of type ${d.type}`).toBe(
        true,
      );
      // A namespaced key (another package's) may carry only a `value`, never a type or default.
      expect(unqualify(key, project.name), `${context}: namespaced by the project`).toBe(key);
      // `secret: true` plus a default fails every stack that leaves the key unset ("must be encrypted").
      expect(d.secret === true && d.default !== undefined, `${context}: secret with a default`).toBe(false);
    }
  });

  it("keeps the runtime defaults of worker/manifest.ts (what tests and plain `npm run dev` use)", () => {
    expect(project.config.compatibilityDate?.default).toBe(runtimeDefaults.compatibilityDate);
    expect(project.config.compatibilityFlags?.default).toEqual([...runtimeDefaults.compatibilityFlags]);
  });
});

describe.each([
  ["staging", "wnam", false],
  ["prod", "enam", true],
])("Pulumi.%s.yaml", (stack, hint, protect) => {
  it("sets only declared keys of this project, each with a value of the declared type", () => {
    for (const [qualified, value] of Object.entries(readStackFile(stack))) {
      const key = unqualify(qualified, project.name);
      if (key === undefined) continue; // another package's setting, e.g. cloudflare:apiToken
      const declaration = project.config[key];
      expect(declaration, `${qualified} is declared in Pulumi.yaml`).toBeDefined();
      if (isEncrypted(value)) continue;
      expect(
        matchesType(declaration?.type, declaration?.items?.type, value),
        `${qualified}: ${declaration?.type}`,
      ).toBe(true);
    }
  });

  it(`sets the environment's runtime settings: location hint ${hint}, protect ${protect}`, () => {
    const { values } = stackConfigFromFiles(stack);
    const result = validateStackConfig({ stack, values, secretKeys: [], purpose: "local" });
    expect(result).toMatchObject({
      ok: true,
      settings: {
        workerName: `do-platform-${stack}`,
        environment: stack,
        locationHint: hint,
        protect,
        observability: true,
        smartPlacement: false,
      },
    });
  });
});
