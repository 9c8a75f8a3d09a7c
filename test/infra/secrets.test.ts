import { describe, expect, it } from "vitest";
import { isEncrypted, readStackFile } from "../../infra/project-file.ts";
import { runProgramUnderMocks } from "../../scripts/lib/pulumi-mocks.ts";
import { ADMIN_TOKEN, deploy, teamConfig, versionOf } from "./deploy-fixtures.ts";

describe.each(["staging", "prod"])("the admin token of stack %s", (stack) => {
  it("reaches the worker as the secret binding ADMIN_TOKEN, and the bindings input is secret", async () => {
    const run = await deploy(stack);
    const script = versionOf(run);
    expect(script.inputs.bindings).toContainEqual({
      type: "secret_text",
      name: "ADMIN_TOKEN",
      text: ADMIN_TOKEN,
    });
    // Pulumi encrypts a secret input in state and shows it as [secret] in previews: here the whole list.
    expect(script.secretInputs).toContain("bindings");
  });

  it("never appears in a stack output, nor in an input Pulumi would store unencrypted", async () => {
    const run = await deploy(stack);
    expect(JSON.stringify(run.outputs)).not.toContain(ADMIN_TOKEN);
    expect(run.secretOutputs).toEqual([]);
    for (const resource of run.resources) {
      for (const [key, value] of Object.entries(resource.inputs)) {
        if (resource.secretInputs.includes(key)) continue;
        expect({ [`${resource.name}.${key}`]: JSON.stringify(value ?? null).includes(ADMIN_TOKEN) }).toEqual({
          [`${resource.name}.${key}`]: false,
        });
      }
    }
  });

  it("is required: a stack without it fails to deploy, naming the exact command", async () => {
    await expect(deploy(stack, { config: { adminToken: "" } })).rejects.toThrow(
      `pulumi config set --secret adminToken <token> -s ${stack}`,
    );
  });

  it("must be encrypted: a value set without --secret is refused and not echoed", async () => {
    const plaintext = runProgramUnderMocks({ stack, config: teamConfig, secretKeys: [] });
    await expect(plaintext).rejects.toThrow(/adminToken was set without --secret/);
    await expect(plaintext).rejects.toThrow(`pulumi config set --secret adminToken <token> -s ${stack}`);
    await expect(plaintext).rejects.not.toThrow(ADMIN_TOKEN);
  });

  it("is not in the committed stack file in clear text", () => {
    const file = readStackFile(stack);
    const value = file["do-platform:adminToken"];
    expect(value === undefined || isEncrypted(value)).toBe(true);
  });
});
