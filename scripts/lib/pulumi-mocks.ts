import { readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ROOT, readBuildRecord } from "../../infra/build.ts";
import { asConfigString, stackConfigFromFiles } from "../../infra/project-file.ts";

/** Pulumi's project name (Pulumi.yaml `name`): the namespace of the stack config keys. */
export const PROJECT = "do-platform";
export const STACK_REFERENCE = "pulumi:pulumi:StackReference";
/** The program's dynamic resource for a class-lifecycle deploy (infra/non-versioned-deploy.ts). */
export const NON_VERSIONED_DEPLOY = "pulumi-nodejs:dynamic/platform:NonVersionedDeploy";
export const GET_WORKERS_SCRIPTS = "cloudflare:index/getWorkersScripts:getWorkersScripts";
export const GET_WORKERS_DEPLOYMENTS = "cloudflare:index/getWorkersDeployments:getWorkersDeployments";
export const GET_WORKER_VERSION = "cloudflare:index/getWorkerVersion:getWorkerVersion";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** The inputs the provider would receive, with Pulumi's secret markers removed (see `secretInputs`). */
  readonly inputs: Record<string, unknown>;
  /** Top-level inputs Pulumi treats as secret: encrypted in state, shown as [secret] in previews. */
  readonly secretInputs: readonly string[];
  /** The effective `protect` option: given to the resource, or inherited from its parent as Pulumi does. */
  readonly protect: boolean;
  /** The effective `retainOnDelete` option (kept at the provider when Pulumi deletes or replaces it). */
  readonly retainOnDelete: boolean;
}

export interface MockRun {
  readonly stack: string;
  readonly resources: readonly RecordedResource[];
  /** The stack outputs, resolved (secret ones included: see `secretOutputs`). */
  readonly outputs: Record<string, unknown>;
  /** Stack outputs Pulumi keeps secret. */
  readonly secretOutputs: readonly string[];
  /** Data-source invokes the program made, with their arguments. */
  readonly invokes: readonly { readonly token: string; readonly args: Record<string, unknown> }[];
  /** The config the program ran with (keys without the project prefix) and which of it was secret. */
  readonly config: {
    readonly values: Readonly<Record<string, string>>;
    readonly secretKeys: readonly string[];
  };
}

export interface MockRunOptions {
  readonly stack: string;
  /** Config on top of Pulumi.yaml defaults and Pulumi.<stack>.yaml, keys without or with the project prefix. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Keys of `config` that are secrets (as `pulumi config set --secret` marks them). */
  readonly secretKeys?: readonly string[];
  /**
   * The deployed script as `getWorkersScripts` reports it; undefined = the script does not exist yet.
   * `migrationTag`: its legacy tag, if it was ever migrated with tags; `classes`: the live Durable Object classes of
   * its `exports` (none for a script still on tagged migrations).
   */
  readonly live?:
    | {
        readonly migrationTag?: string;
        readonly classes?: readonly string[];
        /**
         * Its deployments, newest first: each the versions it sends traffic to, or those with the deployment's
         * `workers/message` annotation.
         */
        readonly deployments?: readonly (
          | readonly { versionId: string; percentage: number }[]
          | {
              readonly versions: readonly { versionId: string; percentage: number }[];
              readonly message: string;
            }
        )[];
        /** Version id -> the build id it was uploaded with (its `workers/tag` annotation). */
        readonly versionBuilds?: Readonly<Record<string, string>>;
        /** Version id -> its live Durable Object classes; default: `classes`. */
        readonly versionClasses?: Readonly<Record<string, readonly string[]>>;
      }
    | undefined;
  /**
   * Outputs of stacks the program reads through a StackReference, by stack name. A stack not listed reports
   * this tree's build as its `buildId` (it runs what is being deployed).
   */
  readonly referencedStacks?: Readonly<Record<string, Record<string, unknown>>>;
  /**
   * The stack's own outputs from its last deployment (the program reads them through a StackReference to itself).
   * Default: none for a new script, and a deployment by this program (it has `deployPath`) when `live` is set.
   */
  readonly ownOutputs?: Readonly<Record<string, unknown>>;
  /** Run as `pulumi preview` instead of `pulumi up`. */
  readonly preview?: boolean;
  /** Directory holding Pulumi.yaml and the stack file (default: the repository). */
  readonly root?: string;
}

/** The directory the Pulumi CLI runs the program in: Pulumi.yaml's `main` under the project directory. */
export function programDirectory(root: string = ROOT): string {
  const main = /^main:\s*(\S+)\s*$/m.exec(readFileSync(path.join(root, "Pulumi.yaml"), "utf8"))?.[1] ?? ".";
  return path.resolve(root, main);
}

const qualify = (key: string) => (key.includes(":") ? key : `${PROJECT}:${key}`);
const bare = (key: string) => (key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key);

/** What an output reads as when Pulumi cannot know it yet (`pulumi preview`: a value the provider computes). */
export const COMPUTED = "[computed]";

async function resolve<T>(value: pulumi.Input<T>): Promise<T | typeof COMPUTED> {
  const output = pulumi.output(value);
  // An unknown output never runs its apply callbacks; `isKnown` is the SDK's own (untyped) flag for it.
  if (!(await (output as unknown as { isKnown: Promise<boolean> }).isKnown)) return COMPUTED;
  return new Promise((done) => output.apply((v) => done(v as T)));
}

const isSecretValue = (value: unknown): value is { value: unknown } =>
  typeof value === "object" &&
  value !== null &&
  (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;

/** Removes Pulumi's secret wrappers (`{<sig>: <secret sig>, value}`) from deserialized mock inputs. */
function unwrapSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/**
 * Runs the real Pulumi program (infra/index.ts) under Pulumi's mocks, the vendor's unit-test method, inside a
 * stack resource exactly as the CLI's Node.js host runs it. Nothing talks to Cloudflare: every resource the
 * program registers is recorded with its inputs, which of them are secret and its effective `protect` and
 * `retainOnDelete`; the one data source it reads (`getWorkersScripts`) answers with `live`.
 *
 * Config is merged as the CLI merges it: Pulumi.yaml defaults, then Pulumi.<stack>.yaml, then `config`.
 */
export async function runProgramUnderMocks(options: MockRunOptions): Promise<MockRun> {
  const overrides = Object.fromEntries(
    Object.entries(options.config ?? {}).map(([key, value]) => [bare(key), asConfigString(value)]),
  );
  const files = stackConfigFromFiles(options.stack, overrides, options.root);
  if (files.encrypted.length > 0) {
    throw new Error(
      `Pulumi.${options.stack}.yaml holds ${files.encrypted.join(", ")} encrypted, which mocks cannot decrypt: ` +
        "pass a stand-in value for each in `config` (and list it in `secretKeys`).",
    );
  }
  const secretKeys = (options.secretKeys ?? []).map(bare);
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(files.values).map(([key, value]) => [qualify(key), value])),
    secretKeys.map(qualify),
  );

  const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
  const invokes: { token: string; args: Record<string, unknown> }[] = [];
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        if (args.type === STACK_REFERENCE) {
          // Another stack's outputs: as given, else that stack runs exactly this tree's build (the promoted case).
          const name = String(args.inputs.name);
          const own = name === `${pulumi.getOrganization()}/${PROJECT}/${options.stack}`;
          const outputs = own
            ? (options.ownOutputs ?? (options.live ? { deployPath: "versioned" } : {}))
            : (options.referencedStacks?.[name] ?? { buildId: (await readBuildRecord())?.buildId });
          return { id: name, state: { name, outputs, secretOutputNames: [] } };
        }
        if (args.type === NON_VERSIONED_DEPLOY) {
          // wrangler deploy answers with the version it created and deployed.
          return { id: `${args.name}-id`, state: { ...args.inputs, versionId: `${args.name}-version-id` } };
        }
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        invokes.push({ token: args.token, args: args.inputs as Record<string, unknown> });
        if (args.token === GET_WORKERS_SCRIPTS) {
          const scriptName = files.values.workerName || `do-platform-${options.stack}`;
          if (!options.live) return { results: [] };
          const exports = Object.fromEntries(
            (options.live.classes ?? []).map((c) => [c, { type: "durable-object", storage: "sqlite" }]),
          );
          return { results: [{ id: scriptName, migrationTag: options.live.migrationTag ?? "", exports }] };
        }
        if (args.token === GET_WORKERS_DEPLOYMENTS) {
          const deployments = (options.live?.deployments ?? []).map((entry, index) => ({
            id: `deployment-${index}`,
            // Newest first, as the list is given.
            createdOn: new Date(Date.UTC(2026, 0, 1) - index * 60_000).toISOString(),
            versions: "versions" in entry ? entry.versions : entry,
            annotations: { workersMessage: "message" in entry ? entry.message : "" },
          }));
          return { results: [{ deployments }] };
        }
        if (args.token === GET_WORKER_VERSION) {
          const id = String(args.inputs.versionId);
          const classes = options.live?.versionClasses?.[id] ?? options.live?.classes ?? [];
          return {
            id,
            annotations: { workersTag: options.live?.versionBuilds?.[id] ?? "" },
            exports: Object.fromEntries(
              classes.map((c) => [c, { type: "durable-object", storage: "sqlite" }]),
            ),
          };
        }
        throw new Error(`The program invoked ${args.token}, which these mocks do not answer.`);
      },
    },
    PROJECT,
    options.stack,
    options.preview ?? false,
    // The organization of a self-managed backend (what `pulumi stack ls` shows as organization/<project>/<stack>).
    "organization",
  );

  // MockResourceArgs carries no resource options, so `protect` is observed where Pulumi applies it: a stack
  // transformation sees each resource's options before registration. Inheritance is resolved the way the
  // Resource constructor does it (an unset `protect` takes the parent's), parents being constructed first.
  const protectOf = new Map<pulumi.Resource, boolean>();
  const protectByName = new Map<string, boolean>();
  const retainOf = new Map<pulumi.Resource, boolean>();
  const retainByName = new Map<string, boolean>();
  const { default: main } = (await import("../../infra/index.ts")) as {
    default: () => Promise<Record<string, pulumi.Input<unknown>>>;
  };
  let exported: Record<string, pulumi.Input<unknown>> = {};
  let failure: { error: unknown } | undefined;
  // The Pulumi CLI runs a program with `main: infra/` in infra/, and starts its providers there: relative paths the
  // program hands a provider resolve from that directory, so the mocks run it from there too.
  const workingDirectory = process.cwd();
  // (`root` only supplies the config files; the program is this repository's.)
  process.chdir(programDirectory());
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation(({ resource, type, name, opts }) => {
        const inherited = opts.parent ? protectOf.get(opts.parent) : false;
        const protect = opts.protect ?? inherited ?? false;
        protectOf.set(resource, protect);
        protectByName.set(`${type}::${name}`, protect);
        const retain = opts.retainOnDelete ?? (opts.parent ? retainOf.get(opts.parent) : false) ?? false;
        retainOf.set(resource, retain);
        retainByName.set(`${type}::${name}`, retain);
        return undefined;
      });
      // A failing program is reported to the caller below. Letting it reject the stack's init would also reject
      // promises the SDK derives from the stack outputs, which nothing awaits outside the CLI host.
      try {
        exported = await main();
      } catch (error) {
        failure = { error };
      }
      return exported;
    });
  } finally {
    // Registrations are asynchronous: wait for the queue to drain, as the CLI host does before it exits.
    await pulumi.runtime.disconnect();
    process.chdir(workingDirectory);
  }
  if (failure) throw failure.error;

  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [key, value] of Object.entries(exported)) {
    const output = pulumi.output(value);
    if (await pulumi.isSecret(output)) secretOutputs.push(key);
    outputs[key] = await resolve(output);
  }
  const resources = registered.map((r) => ({
    type: r.type,
    name: r.name,
    inputs: unwrapSecrets(r.inputs) as Record<string, unknown>,
    secretInputs: Object.keys(r.inputs).filter((key) => isSecretValue(r.inputs[key])),
    protect: protectByName.get(`${r.type}::${r.name}`) ?? false,
    retainOnDelete: retainByName.get(`${r.type}::${r.name}`) ?? false,
  }));
  return {
    stack: options.stack,
    resources,
    outputs,
    secretOutputs,
    invokes,
    config: { values: files.values, secretKeys },
  };
}
