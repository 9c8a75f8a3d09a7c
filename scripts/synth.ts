// `npm run synth -- <stack> [--live-tag TAG] [--live-classes A,B] [--config key=value ...] [--out FILE]`: what
// `pulumi up -s <stack>` would deploy, computed offline by running the real Pulumi program under Pulumi's mocks (no credentials, no
// network). JSON on stdout or into --out FILE (resources with secrets redacted, the class lifecycle against the
// deployed script, the outputs); progress, placeholders and errors on stderr. Exit 1 when the stack would be refused, 2 on bad
// usage. In a pipe, use `npm run -s synth -- ...` (npm prints its own banner on stdout otherwise) or --out.
import { writeFileSync } from "node:fs";
import { checkStackName, parseCli, usageError } from "./lib/cli.ts";

const cli = {
  name: "synth",
  usage: [
    "usage: npm run synth -- <stack> [--live-tag TAG] [--live-classes A,B] [--config key=value ...] [--out FILE]",
    "  <stack>          a stack with a Pulumi.<stack>.yaml (staging, prod) or a preview pr-<n>",
    "  --live-tag TAG   the legacy migration tag the deployed script reports (default: none)",
    "  --live-classes L the Durable Object classes the deployed script's exports report, comma-separated",
    "                   (with neither option: a new script)",
    "  --config k=v     a plain setting on top of the stack file, e.g. --config accountId=<your account id>",
    "  --out FILE       write the JSON to FILE instead of stdout",
    "  in a pipe: npm run -s synth -- <stack> | jq .outputs   (-s keeps npm's banner off stdout)",
  ].join("\n"),
  options: {
    "live-tag": { type: "string" },
    "live-classes": { type: "string" },
    config: { type: "string", multiple: true, default: [] as string[] },
    out: { type: "string" },
  },
  positionals: { min: 1, max: 1 },
} as const;
const parsed = parseCli(cli);
const stack = checkStackName(cli, parsed.positionals[0]!);
const config: Record<string, string> = {};
for (const pair of parsed.values.config) {
  const eq = pair.indexOf("=");
  if (eq <= 0) usageError(cli, `--config takes key=value, got ${JSON.stringify(pair)}`);
  config[pair.slice(0, eq)] = pair.slice(eq + 1);
}

// Loaded after the arguments are read: Pulumi's runtime takes most of a second to load.
const { SynthUsageError, synthesize } = await import("./lib/synth.ts");

// Pulumi's runtime logs `info` to stdout when no engine is attached: keep stdout for the JSON alone.
console.log = (...args: unknown[]) => console.error(...args);
console.info = console.log;

const liveTag = parsed.values["live-tag"];
const liveClasses = parsed.values["live-classes"]?.split(",").filter(Boolean);
const live =
  liveTag !== undefined || liveClasses !== undefined
    ? { ...(liveTag ? { migrationTag: liveTag } : {}), ...(liveClasses ? { classes: liveClasses } : {}) }
    : undefined;
console.error(
  `synth: stack ${stack}, ${live ? `deployed script ${JSON.stringify(live)}` : "a new script"}, offline`,
);
try {
  const result = await synthesize({ stack, live, config });
  for (const p of result.placeholders) console.error(`synth: placeholder for ${p.key}: ${p.reason}`);
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (parsed.values.out) {
    writeFileSync(parsed.values.out, json);
    console.error(`synth: wrote ${parsed.values.out}`);
  } else {
    process.stdout.write(json);
  }
} catch (error) {
  // The program's refusals (SynthUsageError, the Pulumi run's), a failed build, anything else: one line, never a
  // trace or a raw error object.
  console.error(`synth: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof SynthUsageError ? 2 : 1;
}
