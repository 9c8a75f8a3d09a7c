// The requests `pulumi up` makes through the Cloudflare provider, judged by Cloudflare's own artefacts: the
// `cloudflare` SDK's request types (generated from Cloudflare's OpenAPI document) and the provider's upstream
// schema (infra/provider-output-only.json, infra/provider-attributes.json). docs/proof.md says what this covers.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiCall,
  attributesOf,
  callsAsTypeScript,
  customDomainApiCall,
  deploymentApiCall,
  PROVIDER_RESOURCES,
  PROVIDER_SCHEMA_SOURCE,
  type TerraformResource,
  toTerraform,
  versionApiCall,
  workerApiCalls,
} from "../../infra/api-requests.ts";
import { ROOT } from "../../infra/build.ts";
import providerOutputOnly from "../../infra/provider-output-only.json" with { type: "json" };
import type { MockRun } from "../../scripts/lib/pulumi-mocks.ts";
import { deploy, ZONE } from "./deploy-fixtures.ts";

/** With `main: infra/` the Pulumi CLI runs the program, and starts the provider, in infra/. */
const PROGRAM_DIR = path.join(ROOT, "infra");

/** Every resource of every run, by its Terraform type, with its inputs as the provider receives them. */
interface Registered {
  readonly label: string;
  readonly terraform: TerraformResource;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

let registered: Registered[] = [];
let tmp = "";

beforeAll(async () => {
  const cwd = process.cwd();
  process.chdir(PROGRAM_DIR);
  const runs: [string, MockRun][] = [];
  try {
    runs.push(["staging", await deploy("staging")]);
    // prod with every optional input the program can set: a custom domain, Smart Placement, compatibility flags.
    runs.push([
      "prod with a custom domain",
      await deploy("prod", {
        config: {
          customDomain: "api.example.com",
          customDomainZoneId: ZONE,
          workersDevSubdomain: "",
          smartPlacement: true,
          compatibilityFlags: ["nodejs_compat"],
        },
      }),
    ]);
  } finally {
    process.chdir(cwd);
  }
  const byToken = new Map(Object.values(PROVIDER_RESOURCES).map((r) => [r.pulumi as string, r.terraform]));
  registered = runs.flatMap(([label, run]) =>
    run.resources.flatMap((r) => {
      const terraform = byToken.get(r.type);
      return terraform ? [{ label, terraform, name: r.name, inputs: r.inputs }] : [];
    }),
  );
  // Inside the project, so the module resolves `cloudflare` and the project's tsconfig as the project does.
  await mkdir(path.join(ROOT, "node_modules", ".cache"), { recursive: true });
  tmp = await mkdtemp(path.join(ROOT, "node_modules", ".cache", "api-requests-"));
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function callsOf(r: Registered): ApiCall[] {
  switch (r.terraform) {
    case "cloudflare_worker":
      return workerApiCalls(r.inputs, `${r.name}-id`);
    case "cloudflare_worker_version":
      return [versionApiCall(r.inputs, PROGRAM_DIR).call];
    case "cloudflare_workers_deployment":
      return [deploymentApiCall(r.inputs)];
    case "cloudflare_workers_custom_domain":
      return [customDomainApiCall(r.inputs)];
  }
}

describe("the requests the Cloudflare provider sends for the program's resources", () => {
  it("registers all four resource types across the runs", () => {
    expect(new Set(registered.map((r) => r.terraform))).toEqual(
      new Set(Object.values(PROVIDER_RESOURCES).map((r) => r.terraform)),
    );
  });

  it("are calls that Cloudflare's SDK types accept (tsc over the requests as literals, `satisfies` the SDK's params)", async () => {
    const calls = registered.flatMap((r) =>
      callsOf(r).map((call) => ({ name: `${r.label} ${r.name} ${call.method}`, call })),
    );
    const module = path.join(tmp, "requests.ts");
    await writeFile(
      module,
      callsAsTypeScript(calls, path.relative(tmp, path.join(ROOT, "infra/api-requests.ts"))),
    );
    await writeFile(
      path.join(tmp, "tsconfig.json"),
      JSON.stringify({
        extends: path.relative(tmp, path.join(ROOT, "tsconfig.base.json")),
        compilerOptions: { types: ["node"] },
        files: ["requests.ts"],
      }),
    );
    const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
    const output = await promisify(execFile)(tsc, ["-p", path.join(tmp, "tsconfig.json")], {
      cwd: ROOT,
    }).then(
      () => "",
      (failed: { stdout?: string; stderr?: string }) => `${failed.stdout ?? ""}${failed.stderr ?? ""}`,
    );
    // tsc names the field and the line; the line's call is labelled in the comment above it.
    const explained = output.replace(/requests\.ts\((\d+),\d+\)/g, (match, line: string) => {
      const source = callsAsTypeScript(calls, "").split("\n");
      const label = source
        .slice(0, Number(line))
        .reverse()
        .find((l) => l.startsWith("// "));
      return `${match} [${label?.slice(3)}]`;
    });
    expect(explained, "tsc over the SDK calls").toBe("");
  });

  it("upload a static-assets directory that exists where the provider runs", () => {
    for (const r of registered.filter((r) => r.terraform === "cloudflare_worker_version")) {
      const { assetsDirectory } = versionApiCall(r.inputs, PROGRAM_DIR);
      if (assetsDirectory === undefined) continue;
      expect(
        existsSync(assetsDirectory),
        `${r.label}: assets.directory resolves to ${assetsDirectory} from the provider's working directory`,
      ).toBe(true);
    }
  });
});

describe("the inputs the program sets, against the provider's upstream schema", () => {
  const outputOnly = providerOutputOnly.outputOnly as Record<TerraformResource, string[]>;

  // The assertion to look at when a deploy fails in Check with "Invalid Configuration for Read-Only Attribute":
  // it lists each input that names an attribute the provider's schema marks Computed only.
  it("never sets an output-only attribute (Computed without Optional or Required)", () => {
    const offending = registered.flatMap((r) =>
      toTerraform(r.terraform, r.inputs)
        .set.filter((a) => outputOnly[r.terraform].includes(a.schemaPath))
        .map((a) => `${r.label}: ${r.terraform} ${a.schemaPath} (set as ${r.name} ${a.inputPath})`),
    );
    expect(offending, "OUTPUT-ONLY ATTRIBUTES SET BY THE PROGRAM").toEqual([]);
  });

  it("sets only attributes the upstream schema lets a configuration set, or ones newer than that schema", () => {
    // @pulumi/cloudflare 6.22.1 wraps a newer provider than the mirrored schema: these attributes exist in its input
    // types (checked by tsc on infra/durable-worker.ts) but not in that schema, so upstream cannot judge them here.
    const newer: Partial<Record<TerraformResource, RegExp>> = {
      cloudflare_worker_version: /^(deploy|exports(\..*)?)$/,
    };
    const unknown = registered.flatMap((r) =>
      toTerraform(r.terraform, r.inputs)
        .set.filter(
          (a) =>
            !attributesOf(r.terraform).settable.includes(a.schemaPath) &&
            // Output-only attributes have their own assertion above.
            !outputOnly[r.terraform].includes(a.schemaPath) &&
            !newer[r.terraform]?.test(a.schemaPath),
        )
        .map((a) => `${r.terraform} ${a.schemaPath}`),
    );
    expect(
      [...new Set(unknown)],
      `attributes the program sets that ${PROVIDER_SCHEMA_SOURCE.repository} ${PROVIDER_SCHEMA_SOURCE.version} does not have`,
    ).toEqual([]);
  });
});
