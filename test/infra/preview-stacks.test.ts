import { describe, expect, it } from "vitest";
import { previewStackName } from "../../infra/preview-stacks.ts";
import { synthesize } from "../../scripts/lib/synth.ts";
import { deploy, onlyOf, TYPES } from "./deploy-fixtures.ts";

describe("preview stacks pr-<n>", () => {
  it("deploy from Pulumi.yaml's defaults alone: own script, own workers.dev URL, own objects, unprotected", async () => {
    const run = await deploy("pr-42");
    expect(onlyOf(run, TYPES.worker).inputs.name).toBe("do-platform-pr-42");
    expect(onlyOf(run, TYPES.version).inputs.bindings).toContainEqual({
      type: "plain_text",
      name: "ENVIRONMENT",
      text: "pr-42",
    });
    expect(run.outputs.url).toBe("https://do-platform-pr-42.acme.workers.dev");
    for (const resource of run.resources)
      expect({ [resource.name]: resource.protect }).toEqual({ [resource.name]: false });
  });

  it("synthesize offline like any stack, without a stack file", async () => {
    const result = await synthesize({ stack: "pr-42" });
    expect(result.outputs.scriptName).toBe("do-platform-pr-42");
  });

  it("refuse another script's name (a staging or prod script and its Durable Objects)", async () => {
    await expect(deploy("pr-42", { config: { workerName: "do-platform-prod" } })).rejects.toThrow(
      /preview stack pr-42 must deploy its own script do-platform-pr-42, not do-platform-prod/,
    );
  });

  it("refuse protection and a promotion source", async () => {
    await expect(deploy("pr-42", { config: { protect: true } })).rejects.toThrow(/is never protected/);
    await expect(deploy("pr-42", { config: { promotedFrom: "staging" } })).rejects.toThrow(/is not promoted/);
  });

  it("are named pr-<number> only, so no name collides with staging or prod", () => {
    expect(previewStackName("42")).toBe("pr-42");
    for (const bad of ["staging", "prod", "0", "-1", "42/../prod", ""]) {
      expect(() => previewStackName(bad)).toThrow(/is not a pull-request number/);
    }
  });
});
