// `npm run synth -- <stack> [--live-tag TAG] [--live-classes A,B] [--config key=value ...]`: what `pulumi up -s <stack>` would deploy,
// computed offline by running the real Pulumi program under Pulumi's mocks (no credentials, no network).
// JSON on stdout (resources with secrets redacted, the class lifecycle against the deployed script, the outputs);
// progress, placeholders and errors on stderr. Exit status 1 when the stack would be refused, 2 on bad usage.
import { parseArgs } from "node:util";
import { BuildError } from "../infra/build.ts";
import { SynthUsageError, synthesize } from "./lib/synth.ts";

const usage =
  "usage: npm run synth -- <stack> [--live-tag TAG] [--live-classes A,B] [--config key=value ...]\n" +
  "  <stack>          a stack with a Pulumi.<stack>.yaml (staging, prod)\n" +
  "  --live-tag TAG   the legacy migration tag the deployed script reports (default: none)\n" +
  "  --live-classes L the Durable Object classes the deployed script's exports report, comma-separated\n" +
  "                   (with neither option: a new script)\n" +
  "  --config k=v     a plain setting on top of the stack file, e.g. --config accountId=<your account id>";

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      "live-tag": { type: "string" },
      "live-classes": { type: "string" },
      config: { type: "string", multiple: true, default: [] },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
}
try {
  parsed = parse();
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (parsed.values.help) {
  console.error(usage);
  process.exit(0);
}
const [stack, ...extra] = parsed.positionals;
if (!stack || extra.length > 0) {
  console.error(usage);
  process.exit(2);
}
const config: Record<string, string> = {};
for (const pair of parsed.values.config) {
  const eq = pair.indexOf("=");
  if (eq <= 0) {
    console.error(`--config takes key=value, got ${JSON.stringify(pair)}\n${usage}`);
    process.exit(2);
  }
  config[pair.slice(0, eq)] = pair.slice(eq + 1);
}

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
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} catch (error) {
  const known =
    error instanceof SynthUsageError ||
    error instanceof BuildError ||
    (error instanceof Error && "__pulumiRunError" in error);
  console.error(known ? `synth: ${(error as Error).message}` : error);
  process.exitCode = error instanceof SynthUsageError ? 2 : 1;
}
