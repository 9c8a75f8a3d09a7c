import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { beforeAll, describe, expect, it } from "vitest";
import {
  classDeletionConsented,
  onlyStagingBuilds,
  type PlatformPolicyConfig,
  platformPolicies,
  prodWorkerProtected,
  secretsAsSecrets,
} from "../../infra/policy/policies.ts";
import type { MockRun, RecordedResource } from "../../scripts/lib/pulumi-mocks.ts";
import { deploy, onlyOf, TYPES } from "./deploy-fixtures.ts";

/** What CrossGuard hands a policy for one resource the program registered. */
function argsFor(
  resource: RecordedResource,
  config: PlatformPolicyConfig,
  change: Partial<RecordedResource> = {},
) {
  const r = { ...resource, ...change };
  return {
    type: r.type,
    name: r.name,
    urn: `urn:pulumi:prod::do-platform::${r.type}::${r.name}`,
    props: r.inputs,
    opts: { protect: r.protect },
    getConfig: () => config,
  } as unknown as ResourceValidationArgs;
}

async function violations(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<string[]> {
  const found: string[] = [];
  const validate = [policy.validateResource ?? []].flat();
  for (const check of validate) await check(args, (message) => found.push(message));
  return found;
}

let prod: MockRun;
let config: PlatformPolicyConfig;
beforeAll(async () => {
  prod = await deploy("prod");
  config = { protectedWorkers: ["do-platform-prod"], stagingBuildId: String(prod.outputs.buildId) };
});

describe("the policy pack on the real prod program", () => {
  it("accepts prod as the program registers it", async () => {
    for (const policy of platformPolicies) {
      for (const resource of prod.resources) {
        expect({ [policy.name]: await violations(policy, argsFor(resource, config)) }).toEqual({
          [policy.name]: [],
        });
      }
    }
  });

  it("refuses a prod Worker that is not protected", async () => {
    const worker = onlyOf(prod, TYPES.worker);
    expect(await violations(prodWorkerProtected, argsFor(worker, config, { protect: false }))).toEqual([
      "Worker do-platform-prod must be protected: pulumi config set protect true on its stack.",
    ]);
  });

  it("refuses a secret sent as plain text", async () => {
    const version = onlyOf(prod, TYPES.version);
    const bindings = (version.inputs.bindings as { type: string; name: string }[]).map((b) =>
      b.name === "ADMIN_TOKEN" ? { ...b, type: "plain_text" } : b,
    );
    const found = await violations(
      secretsAsSecrets,
      argsFor(version, config, { inputs: { ...version.inputs, bindings } }),
    );
    expect(found).toEqual([
      "binding ADMIN_TOKEN is a secret but is sent as plain_text: send it as secret_text.",
    ]);
  });

  it("refuses a class deletion without consent, and accepts it with consent", async () => {
    const version = onlyOf(prod, TYPES.version);
    const exports = {
      ...(version.inputs.exports as object),
      Legacy: { type: "durable-object", state: "deleted" },
    };
    const deleting = { inputs: { ...version.inputs, exports } };
    expect(await violations(classDeletionConsented, argsFor(version, config, deleting))).toEqual([
      "exports deletes the Durable Object class Legacy without allowClassDeletion consent.",
    ]);
    expect(
      await violations(
        classDeletionConsented,
        argsFor(version, { ...config, allowClassDeletion: true }, deleting),
      ),
    ).toEqual([]);
  });

  it("refuses a version whose build staging never ran", async () => {
    const version = onlyOf(prod, TYPES.version);
    const found = await violations(
      onlyStagingBuilds,
      argsFor(version, { ...config, stagingBuildId: "e".repeat(64) }),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/which staging never ran \(staging runs e{64}\)/);
  });
});
