import { readFile } from "node:fs/promises";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { ROOT } from "./build.ts";

/** Pulumi's project name (Pulumi.yaml `name`): the namespace of the stack config keys. */
export const PROJECT = "do-platform";
export const GET_WORKERS_SCRIPTS = "cloudflare:index/getWorkersScripts:getWorkersScripts";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

export interface MockRun {
  readonly resources: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
  /** Data-source invokes the program made, with their arguments. */
  readonly invokes: readonly { readonly token: string; readonly args: Record<string, unknown> }[];
}

export interface MockRunOptions {
  readonly stack: string;
  /** Config on top of Pulumi.<stack>.yaml, keys without or with the project prefix. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Keys of `config` that are secrets (as `pulumi config set --secret` marks them). */
  readonly secretKeys?: readonly string[];
  /** The migration tag `getWorkersScripts` reports for the script; undefined = the script does not exist yet. */
  readonly liveTag?: string | undefined;
  /** Run as `pulumi preview` instead of `pulumi up`. */
  readonly preview?: boolean;
}

/** Config from a stack file (Pulumi.<stack>.yaml), keys as written (`do-platform:accountId`). */
export async function readStackFile(stack: string): Promise<Record<string, unknown>> {
  const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`No stack file ${path.relative(ROOT, file)}: known stacks have a Pulumi.<stack>.yaml.`);
  }
  return (parse(text) as { config?: Record<string, unknown> } | null)?.config ?? {};
}

const qualify = (key: string) => (key.includes(":") ? key : `${PROJECT}:${key}`);

/** Pulumi keeps config values as strings; objects and lists as JSON, as the CLI passes them. */
const asConfigString = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

function resolve<T>(value: pulumi.Input<T>): Promise<T> {
  return new Promise((done) => pulumi.output(value).apply((v) => done(v as T)));
}

/**
 * Runs the real Pulumi program (infra/index.ts) under Pulumi's mocks, the vendor's unit-test method: nothing
 * talks to Cloudflare; every resource the program registers is recorded with its inputs, and the one data
 * source it reads (`getWorkersScripts`) answers with `liveTag`.
 */
export async function runProgramUnderMocks(options: MockRunOptions): Promise<MockRun> {
  const fileConfig = await readStackFile(options.stack);
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...fileConfig, ...options.config })) {
    config[qualify(key)] = asConfigString(value);
  }
  pulumi.runtime.setAllConfig(config, (options.secretKeys ?? []).map(qualify));

  const resources: RecordedResource[] = [];
  const invokes: { token: string; args: Record<string, unknown> }[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
        });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        invokes.push({ token: args.token, args: args.inputs as Record<string, unknown> });
        if (args.token === GET_WORKERS_SCRIPTS) {
          const scriptName = String(config[`${PROJECT}:workerName`] ?? `do-platform-${options.stack}`);
          return { results: options.liveTag ? [{ id: scriptName, migrationTag: options.liveTag }] : [] };
        }
        throw new Error(`The program invoked ${args.token}, which these mocks do not answer.`);
      },
    },
    PROJECT,
    options.stack,
    options.preview ?? false,
  );

  const { default: main } = (await import("../../infra/index.ts")) as {
    default: () => Promise<Record<string, pulumi.Input<unknown>>>;
  };
  const exported = await main();
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exported)) outputs[key] = await resolve(value);
  return { resources, outputs, invokes };
}
