// `npm run dev`: the whole platform locally in Miniflare (workerd), state on disk, rebuilt on every change.
// Secret bindings (ADMIN_TOKEN) come from the environment or a git-ignored .dev.vars, never from stack files;
// without one, an admin token is generated, printed and written to .dev.vars so it survives restarts.
import { createHash } from "node:crypto";
import { readFileSync, watch } from "node:fs";
import path from "node:path";
import { formatConfigProblems, type StackSettings } from "../infra/stack-settings.ts";
import { addressInUse, checkStackName, parseCli, ROOT, usageError } from "./lib/cli.ts";
import { persistAdminToken, readLocalSecrets, withAdminToken } from "./lib/local-secrets.ts";
import type { LocalEnvironment } from "./lib/miniflare-options.ts";
import { stackRateLimits } from "./lib/stack-rate-limits.ts";
import { stateDirProblem } from "./lib/state-dir.ts";

const cli = {
  name: "dev",
  usage: [
    "usage: npm run dev -- [--env STACK] [--port 8787] [--host 127.0.0.1] [--persist-to DIR] [--verbose]",
    "  --env STACK       run with that stack's runtime settings (Pulumi.yaml + Pulumi.<STACK>.yaml)",
    "  --port N          port to listen on (default 8787; 0 picks a free one)",
    "  --host ADDR       address to bind (default 127.0.0.1)",
    "  --persist-to DIR  Durable Object state (default .data/, or .data/stack-<STACK>/ with --env)",
    "  --verbose         show the worker's console output",
  ].join("\n"),
  options: {
    port: { type: "string", default: "8787" },
    host: { type: "string", default: "127.0.0.1" },
    "persist-to": { type: "string" },
    verbose: { type: "boolean", default: false },
    env: { type: "string" },
  },
} as const;
const { values: args } = parseCli(cli);
if (args.env !== undefined) checkStackName(cli, args.env);

const port = Number(args.port);
if (!/^\d+$/.test(args.port) || port > 65535) {
  usageError(cli, `--port must be a whole number from 0 to 65535, got ${JSON.stringify(args.port)}`);
}

// Each stack's local state is kept apart from plain local runs (and from the other stacks).
const persistTo = path.resolve(ROOT, args["persist-to"] ?? localStateDir(args.env));
const stateProblem = stateDirProblem(persistTo);
if (stateProblem) {
  console.error(`npm run dev: ${stateProblem}`);
  process.exit(2);
}
// After the usage checks, before anything is built or written: Miniflare would otherwise end in a 20-line ERR_ADDRESS_IN_USE trace.
const taken = await addressInUse(args.host, port);
if (taken) {
  console.error(
    `npm run dev: ${args.host}:${port} is already in use (another npm run dev?): stop it, or pick another port: ` +
      `npm run dev -- --port ${port + 1}`,
  );
  process.exit(1);
}
// Loaded after the arguments and the two checks above: Miniflare (and esbuild, the stack files' YAML parser) takes
// a second to load.
const { BuildError } = await import("../infra/build.ts");
const { environmentForStack, localStackSettings } = await import("../infra/stack-environment.ts");
const { DevBuilder } = await import("./lib/dev-build.ts");
const { localClassesOrExit } = await import("./lib/local-classes.ts");
const { startLocalPlatform } = await import("./lib/local-platform.ts");
// The local platform is never open: without ADMIN_TOKEN in the environment or .dev.vars, one is generated and
// kept in .dev.vars, so a token exported in another shell stays valid across restarts.
const { secrets, generatedAdminToken } = withAdminToken(readLocalSecrets(ROOT));
const tokenFile = generatedAdminToken ? persistAdminToken(ROOT, generatedAdminToken) : undefined;
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
// With --env, the very function the Pulumi program uses for the stack's bindings (infra/stack-environment.ts).
// Every rate limiter too: with --env, the limits that stack deploys, not the generous local ones.
const envFor = (buildId: string): LocalEnvironment =>
  settings
    ? { ...environmentForStack(settings, buildId, secrets), rateLimits: stackRateLimits(settings) }
    : // Plain local runs may call http and loopback webhook receivers; with --env, the stack's rules apply.
      { environment: "local", buildId, adminToken: secrets.ADMIN_TOKEN, webhookAllowHttp: true };

function localStateDir(stack: string | undefined): string {
  return stack === undefined ? ".data" : path.join(".data", `stack-${stack}`);
}

const { builder, build } = await DevBuilder.start().catch((error: unknown) => {
  console.error(error instanceof BuildError ? `build failed: ${error.message}` : error);
  process.exit(1);
});
// Local state follows the manifest's renames as Cloudflare's does, and refuses objects of a forgotten class.
const localClasses = localClassesOrExit(persistTo);
const platform = await startLocalPlatform({
  bundlePath: build.bundlePath,
  env: envFor(build.buildId),
  port,
  host: args.host,
  persistTo,
  verbose: args.verbose,
  namespaceKeys: localClasses.namespaceKeys,
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
    ? `  admin token (generated, saved in ${path.relative(process.cwd(), tokenFile!)} for the next start): ${generatedAdminToken}`
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
for (const note of localClasses.notes) console.log(`  ${note}`);

// worker/manifest.ts (and worker/platform.ts, the binding names) are also loaded by this Node process: Miniflare's
// Durable Object bindings and the migration tag come from them at start-up. A running workerd cannot take new
// classes or migrations by a reload, so a change to them is announced, and no further reload happens until
// a restart (a bundle built from the new manifest would not match the bindings workerd runs with).
const NODE_LOADED = ["worker/manifest.ts", "worker/platform.ts"];
const fingerprint = (file: string) =>
  createHash("sha256")
    .update(readFileSync(path.join(ROOT, file)))
    .digest("hex");
const startedWith = new Map(NODE_LOADED.map((file) => [file, fingerprint(file)]));
function changedStartupFiles(): string[] {
  return NODE_LOADED.filter((file) => {
    try {
      return fingerprint(file) !== startedWith.get(file);
    } catch {
      return true;
    }
  });
}

// Rebuild and reload on changes under worker/. Changes during a rebuild queue one more rebuild.
let timer: NodeJS.Timeout | undefined;
let rebuilding: Promise<void> | undefined;
let again = false;
/** The build workerd runs. */
let running = build.buildId;
/** Files saved since the last build began (relative to the repository); undefined when a save named none. */
let changedFiles: Set<string> | undefined = new Set();
async function rebuild(): Promise<void> {
  if (rebuilding) {
    again = true;
    return;
  }
  rebuilding = (async () => {
    do {
      again = false;
      const changed = changedStartupFiles();
      if (changed.length > 0) {
        console.error(
          `${changed.join(" and ")} changed: Durable Object classes, bindings and migrations are read when` +
            " npm run dev starts, so this change is not live. Stop (Ctrl-C) and run npm run dev again;" +
            ` until then the last good build keeps running and no change is reloaded.`,
        );
        continue;
      }
      const saved = changedFiles;
      changedFiles = new Set();
      try {
        const { build: next, documentFollowUp } = await builder.rebuild(saved);
        // The same build id is the same bytes (a comment, a type): workerd keeps running it, no restart.
        if (next.buildId === running) {
          console.log(`unchanged: build ${next.buildId.slice(0, 12)} (${next.durationMs} ms)`);
        } else {
          await platform.reload({ bundlePath: next.bundlePath, env: envFor(next.buildId) });
          running = next.buildId;
          console.log(`reloaded: build ${next.buildId.slice(0, 12)} (${next.durationMs} ms)`);
        }
        // The routers' contracts may have changed: the OpenAPI document is generated again after the reload (off
        // the path from a save to the new code answering), and a changed document is a new build.
        const withDocument = await documentFollowUp?.();
        if (withDocument) {
          await platform.reload({ bundlePath: withDocument.bundlePath, env: envFor(withDocument.buildId) });
          running = withDocument.buildId;
          console.log(`reloaded: build ${withDocument.buildId.slice(0, 12)} (the OpenAPI document changed)`);
        }
      } catch (error) {
        // Keep serving the last good build; the next save tries again.
        console.error(error instanceof BuildError ? `build failed: ${error.message}` : error);
      }
    } while (again);
  })();
  await rebuilding;
  rebuilding = undefined;
}
// An editor's save is a few events within a millisecond or two (write, rename); 5 ms gathers them into one build
// (an event after that only queues one more build), and is all a save waits before its build starts.
const watcher = watch(path.join(ROOT, "worker"), { recursive: true }, (_event, file) => {
  if (file === null) changedFiles = undefined;
  else changedFiles?.add(path.posix.join("worker", file.split(path.sep).join("/")));
  clearTimeout(timer);
  timer = setTimeout(() => void rebuild(), 5);
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping workerd…`);
  watcher.close();
  clearTimeout(timer);
  await Promise.all([platform.dispose(), builder.dispose()]);
  process.exit(0);
}
// Miniflare's own signal hook exits at once with 130; replace it so Ctrl-C disposes workerd and exits 0.
// (Its process "exit" hook stays: it still kills workerd if anything else ends the process.)
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => void stop(signal));
}
