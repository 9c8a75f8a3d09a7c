import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { RootRelativeWranglerConfig } from "./wrangler-deploy.ts";

/**
 * A deploy that applies a Durable Object class-lifecycle change: created, deleted, renamed or transferred classes,
 * which includes every first deploy of a stack (it creates all classes).
 *
 * Cloudflare refuses to upload such a version through the versions API (error 10211: "migrations must be fully
 * applied via a non-versioned deployment"), and @pulumi/cloudflare 6.22.1 has no resource for a non-versioned
 * upload that carries Durable Object `exports` (`WorkersScript.exports` takes only `type` and `cache`). Whether
 * `WorkerVersion`'s `deploy: true` is accepted for a lifecycle change is not documented. So this resource takes the
 * path wrangler itself takes: it runs `wrangler deploy` (infra/wrangler-deploy.ts), one
 * `PUT /accounts/{account}/workers/scripts/{name}` that uploads the bundle with its `exports` and deploys it at
 * 100 %. `npm test` runs real wrangler through this resource's own serialized provider against a local stand-in
 * of Cloudflare's API (test/standin/).
 *
 * The provider runs inside the Pulumi CLI's dynamic-provider host (a separate Node process started in the program's
 * directory, infra/): it captures nothing from this module and loads the implementation from the project at run
 * time, so what is serialized into the state is a few lines that never change with the code.
 */
export interface NonVersionedDeployArgs {
  readonly accountId: pulumi.Input<string>;
  /** wrangler.json for the deploy (infra/wrangler-config.ts `wranglerDeployConfig`), paths relative to the root. */
  readonly config: RootRelativeWranglerConfig;
  readonly bundleSha256: string;
  /** Secret bindings, uploaded with the version. */
  readonly secrets: pulumi.Input<Readonly<Record<string, pulumi.Input<string>>>>;
  /** A Cloudflare API token for wrangler; unset = the CLOUDFLARE_API_TOKEN the Pulumi CLI was started with. */
  readonly apiToken?: pulumi.Input<string> | undefined;
  /** The version's annotations: the build id as its tag, build and classes as its message. */
  readonly tag: string;
  readonly message: string;
}

/** What the state keeps of a deploy (never the secrets themselves; their digest tells a rotation apart). */
interface DeployState {
  readonly accountId: string;
  readonly config: RootRelativeWranglerConfig;
  readonly bundleSha256: string;
  readonly secretsDigest: string;
  readonly tag: string;
  readonly message: string;
  readonly versionId?: string;
}

type DeployInputs = DeployState & { readonly secrets: Record<string, string>; readonly apiToken?: string };

/**
 * Finds the project from the host's working directory (the CLI starts providers in infra/) and runs wrangler
 * there. Self-contained on purpose: it is serialized with the provider and must capture no module value.
 */
async function deployFromProject(inputs: DeployInputs): Promise<string> {
  // Built-in modules through the `process` global and the implementation through `require`: `import()` would be
  // captured (a bundler's or test runner's import helper) and break the provider's serialization.
  const fs = process.getBuiltinModule("node:fs");
  const path = process.getBuiltinModule("node:path");
  const { createRequire } = process.getBuiltinModule("node:module");
  let root = process.cwd();
  while (!fs.existsSync(path.join(root, "Pulumi.yaml"))) {
    const parent = path.dirname(root);
    if (parent === root)
      throw new Error(`no Pulumi.yaml above ${process.cwd()}: run Pulumi from the project.`);
    root = parent;
  }
  const impl = createRequire(path.join(root, "package.json"))("./infra/wrangler-deploy.ts");
  const env = inputs.apiToken ? { ...process.env, CLOUDFLARE_API_TOKEN: inputs.apiToken } : process.env;
  const { versionId } = await impl.runWranglerDeploy(inputs, { root, env });
  return versionId as string;
}

/**
 * The dynamic provider. Every method body stands alone (no captured module values): Pulumi serializes this object
 * with its closures into the `__provider` input, and the host evaluates it in a fresh process.
 */
export const nonVersionedDeployProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: DeployState, news: DeployState) {
    const keys = ["accountId", "config", "bundleSha256", "secretsDigest", "tag", "message"] as const;
    const changed = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return { changes: changed.length > 0 };
  },

  async create(inputs: DeployInputs) {
    const versionId = await deployFromProject(inputs);
    const { secrets: _secrets, apiToken: _token, ...kept } = inputs;
    return { id: inputs.config.name, outs: { ...kept, versionId } };
  },

  async update(_id: string, _olds: DeployState, news: DeployInputs) {
    // The same upload as a create: every change (code, bindings, classes, secrets) is a new deploy at 100 %.
    const versionId = await deployFromProject(news);
    const { secrets: _secrets, apiToken: _token, ...kept } = news;
    return { outs: { ...kept, versionId } };
  },

  async delete() {
    // Nothing to undo: the Worker resource owns the script, and its versions stay at Cloudflare for rollbacks.
  },
};

/** sha256 over the secrets' names and values, so the state can tell a rotated secret without holding it. */
export function secretsDigest(secrets: Readonly<Record<string, string>>): string {
  const lines = Object.keys(secrets)
    .sort()
    .map((name) => `${name}=${createHash("sha256").update(secrets[name]!).digest("hex")}`);
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

export class NonVersionedDeploy extends pulumi.dynamic.Resource {
  /** The version the deploy created and serves at 100 %. */
  declare readonly versionId: pulumi.Output<string>;

  constructor(name: string, args: NonVersionedDeployArgs, opts: pulumi.CustomResourceOptions = {}) {
    const secrets = pulumi.output(args.secrets).apply((s) => ({ ...s }) as Record<string, string>);
    super(
      nonVersionedDeployProvider,
      name,
      {
        accountId: args.accountId,
        config: args.config,
        bundleSha256: args.bundleSha256,
        tag: args.tag,
        message: args.message,
        secrets: pulumi.secret(secrets),
        secretsDigest: pulumi.secret(secrets.apply(secretsDigest)),
        apiToken: args.apiToken ? pulumi.secret(args.apiToken) : undefined,
        versionId: undefined,
      },
      { ...opts, additionalSecretOutputs: ["secretsDigest"] },
      "platform",
      "NonVersionedDeploy",
    );
  }
}
