// `npm run dev`: the whole platform locally in Miniflare (workerd), state on disk, rebuilt on every change.
//   --port N          port to listen on (default 8787)
//   --host ADDR       address to bind (default 127.0.0.1)
//   --persist-to DIR  where Durable Object state lives (default .data/)
//   --verbose         show the worker's console output
//   --env STACK       run with that Pulumi stack's runtime settings (environment name, location hint,
//                     jurisdiction, compatibility date and flags) from Pulumi.yaml + Pulumi.<STACK>.yaml
// Secret bindings (ADMIN_TOKEN) come from the environment or a git-ignored .dev.vars, never from stack files;
// without one, an admin token is generated and printed.
import { watch } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { BuildError, buildWorker, ROOT } from "../infra/build.ts";
import { environmentForStack, localStackSettings } from "../infra/stack-environment.ts";
import { formatConfigProblems, type StackSettings } from "../infra/stack-settings.ts";
import { startLocalPlatform } from "./lib/local-platform.ts";
import { readLocalSecrets, withAdminToken } from "./lib/local-secrets.ts";
import type { LocalEnvironment } from "./lib/miniflare-options.ts";

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    host: { type: "string", default: "127.0.0.1" },
    "persist-to": { type: "string", default: ".data" },
    verbose: { type: "boolean", default: false },
    env: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(
    "usage: npm run dev -- [--env staging|prod] [--port 8787] [--host 127.0.0.1] [--persist-to .data] [--verbose]",
  );
  process.exit(0);
}

const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(args.port)}`);
  process.exit(2);
}
const persistTo = path.resolve(ROOT, args["persist-to"]);
// The local platform is never open: without ADMIN_TOKEN in the environment or .dev.vars, one is generated.
const { secrets, generatedAdminToken } = withAdminToken(readLocalSecrets(ROOT));
let settings: StackSettings | undefined;
if (args.env !== undefined) {
  try {
    const result = localStackSettings(args.env);
    if (!result.ok) {
      console.error(formatConfigProblems(args.env, result.problems));
      process.exit(2);
    }
    settings = result.settings;
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}
// With --env, the very function the Pulumi program uses for the stack's bindings (scripts/lib/stack-environment.ts).
const envFor = (buildId: string): LocalEnvironment =>
  settings
    ? environmentForStack(settings, buildId, secrets)
    : // Plain local runs may call http and loopback webhook receivers; with --env, the stack's rules apply.
      { environment: "local", buildId, adminToken: secrets.ADMIN_TOKEN, webhookAllowHttp: true };

const build = await buildWorker().catch((error: unknown) => {
  console.error(error instanceof BuildError ? `build failed: ${error.message}` : error);
  process.exit(1);
});
const platform = await startLocalPlatform({
  bundlePath: build.bundlePath,
  env: envFor(build.buildId),
  port,
  host: args.host,
  persistTo,
  verbose: args.verbose,
});
const described = [
  `environment ${settings?.environment ?? "local"}`,
  ...(settings?.locationHint ? [`location hint ${settings.locationHint}`] : []),
  ...(settings?.jurisdiction ? [`jurisdiction ${settings.jurisdiction}`] : []),
  `build ${build.buildId.slice(0, 12)}`,
];
console.log(`platform ready at ${platform.url.href} (${described.join(", ")})`);
console.log(
  generatedAdminToken
    ? `  admin token (generated; set ADMIN_TOKEN or put it in .dev.vars to choose one): ${generatedAdminToken}`
    : "  admin token from ADMIN_TOKEN (environment or .dev.vars)",
);
if (settings) {
  console.log(
    `  settings of stack ${settings.stack}: compatibility ${settings.compatibilityDate}` +
      ` [${settings.compatibilityFlags.join(", ")}]; secrets: ${Object.keys(secrets).join(", ") || "none"}` +
      " (smart placement, observability and the URL apply only on Cloudflare)",
  );
}
console.log(`  state kept in ${path.relative(process.cwd(), persistTo) || "."}/; Ctrl-C to stop`);

// Rebuild and reload on changes under worker/. Changes during a rebuild queue one more rebuild.
let timer: NodeJS.Timeout | undefined;
let rebuilding: Promise<void> | undefined;
let again = false;
async function rebuild(): Promise<void> {
  if (rebuilding) {
    again = true;
    return;
  }
  rebuilding = (async () => {
    do {
      again = false;
      try {
        const next = await buildWorker();
        await platform.reload({ bundlePath: next.bundlePath, env: envFor(next.buildId) });
        console.log(`reloaded: build ${next.buildId.slice(0, 12)} (${next.durationMs} ms)`);
      } catch (error) {
        // Keep serving the last good build; the next save tries again.
        console.error(error instanceof BuildError ? `build failed: ${error.message}` : error);
      }
    } while (again);
  })();
  await rebuilding;
  rebuilding = undefined;
}
const watcher = watch(path.join(ROOT, "worker"), { recursive: true }, () => {
  clearTimeout(timer);
  timer = setTimeout(() => void rebuild(), 100);
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping workerd…`);
  watcher.close();
  clearTimeout(timer);
  await platform.dispose();
  process.exit(0);
}
// Miniflare's own signal hook exits at once with 130; replace it so Ctrl-C disposes workerd and exits 0.
// (Its process "exit" hook stays: it still kills workerd if anything else ends the process.)
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => void stop(signal));
}
