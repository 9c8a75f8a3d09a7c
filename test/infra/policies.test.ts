import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../infra/build.ts";
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

describe("the policy pack on a first prod deploy (the non-versioned path)", () => {
  let first: MockRun;
  beforeAll(async () => {
    first = await deploy("prod", { live: undefined });
  });

  it("judges the non-versioned deploy: accepted as registered, refused for another build or an unconsented deletion", async () => {
    const upload = onlyOf(first, TYPES.nonVersionedDeploy);
    for (const policy of platformPolicies) {
      expect(await violations(policy, argsFor(upload, config))).toEqual([]);
    }
    expect(
      await violations(onlyStagingBuilds, argsFor(upload, { ...config, stagingBuildId: "e".repeat(64) })),
    ).toHaveLength(1);
    const uploadConfig = upload.inputs.config as { exports: object };
    const deleting = {
      inputs: {
        ...upload.inputs,
        config: {
          ...uploadConfig,
          exports: { ...uploadConfig.exports, Legacy: { type: "durable-object", state: "deleted" } },
        },
      },
    };
    expect(await violations(classDeletionConsented, argsFor(upload, config, deleting))).toEqual([
      "exports deletes the Durable Object class Legacy without allowClassDeletion consent.",
    ]);
  });

  it("agrees with the program on stale tombstones: a deletion already applied needs no consent", async () => {
    const version = onlyOf(prod, TYPES.version);
    const exports = {
      ...(version.inputs.exports as object),
      Legacy: { type: "durable-object", state: "deleted" },
    };
    const deleting = { inputs: { ...version.inputs, exports } };
    // Legacy is not among the classes prod has provisioned: the program plans no deletion (appliedTombstones).
    const provisionedClasses = String(prod.outputs.classes);
    expect(
      await violations(classDeletionConsented, argsFor(version, { ...config, provisionedClasses }, deleting)),
    ).toEqual([]);
    expect(
      await violations(
        classDeletionConsented,
        argsFor(version, { ...config, provisionedClasses: `${provisionedClasses},Legacy:sqlite` }, deleting),
      ),
    ).toHaveLength(1);
  });

  it("lets prod redeploy the build it already serves (a secret rotation)", async () => {
    const version = onlyOf(prod, TYPES.version);
    const build = String(prod.outputs.buildId);
    const moved = { ...config, stagingBuildId: "e".repeat(64), servingBuildId: build };
    expect(await violations(onlyStagingBuilds, argsFor(version, moved))).toEqual([]);
  });
});

describe("the policy pack as the Pulumi CLI starts it", () => {
  it("loads under @pulumi/pulumi's policy-pack runner and serves (prints its gRPC port, keeps running)", async () => {
    // The CLI runs `node <@pulumi/pulumi>/cmd/run-policy-pack <engine> <pack dir>` in the pack's directory; a
    // healthy pack prints the port of its analyzer and waits for the engine. A pack that fails to load prints no
    // port (its error goes to the engine) and exits or hangs.
    const runner = path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
    const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
      cwd: path.join(ROOT, "infra/policy"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no port within 60 s; stderr: ${stderr}`)), 60_000);
        child.stdout.on("data", (chunk) => {
          stdout += chunk;
          const found = /^(\d+)\s*$/m.exec(stdout)?.[1];
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        });
        child.on("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`the runner exited (${code}) before serving; stderr: ${stderr}`));
        });
      });
      expect(Number(port)).toBeGreaterThan(0);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill();
    }
  }, 90_000);

  it("has the version @pulumi/policy requires in its package.json", async () => {
    const pack = JSON.parse(await readFile(path.join(ROOT, "infra/policy/package.json"), "utf8"));
    expect(pack.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
