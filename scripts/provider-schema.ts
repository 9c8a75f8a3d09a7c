// `npm run provider-schema -- <git dir of terraform-provider-cloudflare> [--ref REF]`: regenerates
// infra/provider-output-only.json and infra/provider-attributes.json from the Terraform provider that
// @pulumi/cloudflare bridges (its internal/services/<resource>/schema.go and model.go at REF, default HEAD).
// Get the source with `git clone https://github.com/cloudflare/terraform-provider-cloudflare` (a bare clone works).
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "../infra/build.ts";
import { PROVIDER_RESOURCES } from "../infra/provider-resources.ts";
import { parseCli, usageError } from "./lib/cli.ts";
import { outputOnly, parseRequestFields, parseResourceSchema } from "./lib/provider-schema.ts";

const spec = {
  name: "provider-schema",
  usage:
    "usage: npm run provider-schema -- <terraform-provider-cloudflare git dir> [--ref REF]\n" +
    "  --ref REF   the commit or tag to read (default: HEAD)",
  options: { ref: { type: "string" } },
  positionals: { min: 1, max: 1 },
} as const;
const { values, positionals } = parseCli(spec);
const repo = positionals[0]!;
const ref = values.ref ?? "HEAD";

const git = (...args: string[]) => {
  try {
    return execFileSync("git", ["-C", repo, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch {
    return usageError(
      spec,
      `could not read ${args.at(-1)} from ${repo}: give the git directory of a clone of ` +
        "cloudflare/terraform-provider-cloudflare (git clone https://github.com/cloudflare/terraform-provider-cloudflare).",
    );
  }
};

const commit = git("rev-parse", `${ref}^{commit}`).trim();
const tag = git("describe", "--tags", "--always", commit).trim();
const source = { repository: "cloudflare/terraform-provider-cloudflare", version: tag, commit };
const outputOnlyByResource: Record<string, string[]> = {};
const attributes: Record<string, unknown> = {};
for (const { terraform, model } of Object.values(PROVIDER_RESOURCES)) {
  const dir = `internal/services/${terraform.replace(/^cloudflare_/, "")}`;
  const schema = parseResourceSchema(git("show", `${commit}:${dir}/schema.go`));
  const fields = parseRequestFields(git("show", `${commit}:${dir}/model.go`), model);
  outputOnlyByResource[terraform] = outputOnly(schema);
  attributes[terraform] = {
    settable: schema.filter((a) => a.mode !== "computed").map((a) => a.path),
    maps: schema.filter((a) => a.kind.startsWith("Map")).map((a) => a.path),
    renamed: Object.fromEntries(
      fields.flatMap((f) =>
        typeof f.sentAs === "object" && "body" in f.sentAs && f.sentAs.body !== f.path.split(".").at(-1)
          ? [[f.path, f.sentAs.body]]
          : [],
      ),
    ),
    notSent: fields.filter((f) => f.sentAs === "not sent").map((f) => f.path),
    pathParameters: fields.flatMap((f) =>
      typeof f.sentAs === "object" && "pathParameter" in f.sentAs ? [f.path] : [],
    ),
  };
}

const write = async (file: string, value: unknown) => {
  await writeFile(path.join(ROOT, file), `${JSON.stringify(value, null, 2)}\n`);
  console.log(`wrote ${file} from ${source.repository} ${tag} (${commit.slice(0, 12)})`);
};
await write("infra/provider-output-only.json", { source, outputOnly: outputOnlyByResource });
await write("infra/provider-attributes.json", { source, resources: attributes });
// In the project's format, so a regeneration changes only what changed upstream.
execFileSync(
  path.join(ROOT, "node_modules", ".bin", "biome"),
  ["format", "--write", "infra/provider-output-only.json", "infra/provider-attributes.json"],
  { cwd: ROOT, stdio: "ignore" },
);
