// `npm run rehearse`: the whole release (staging up, promotions with a failed step reverted and a successful one, a
// rollback, a refused rollback across a class change) on this machine, against a local stand-in of Cloudflare's
// API with real wrangler and workerd. See scripts/lib/rehearsal.ts; docs/standin.md says what the stand-in models.
import { parseCli } from "./lib/cli.ts";

parseCli({
  name: "rehearse",
  usage: [
    "usage: npm run rehearse",
    "  plays the whole release against a local stand-in of Cloudflare's API (no account, no Pulumi CLI):",
    "  staging up, a promotion that fails a step and is reverted, one that succeeds, a rollback, and a",
    "  rollback across a Durable Object class change that is refused. Needs `npm ci`; takes about a minute.",
  ].join("\n"),
  options: {},
  positionals: { min: 0, max: 0 },
});
const started = performance.now();
const { rehearse } = await import("./lib/rehearsal.ts");
const result = await rehearse((line) => console.log(line));
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  result.ok
    ? `\nrehearsal passed: ${result.steps.length} steps in ${seconds} s`
    : `\nrehearsal failed at "${result.steps.at(-1)?.name}" after ${seconds} s`,
);
process.exitCode = result.ok ? 0 : 1;
