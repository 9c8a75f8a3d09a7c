import { mkdir, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { connect, createServer, type Server, type Socket } from "node:net";
import path from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, type V4MiniflareOptions } from "miniflare";
import type { RateLimitSetting } from "../../infra/runtime-environment.ts";
import { localRateLimitBindings } from "../lib/local-rate-limit.ts";
import { ROUTER_SCRIPT } from "./router-worker.ts";
import {
  liveDeployment,
  type ScriptRecord,
  type SecretVault,
  type StandinState,
  type VersionRecord,
  versionOf,
} from "./state.ts";

/**
 * Serving: each script's workers.dev URL is its own local port (a TCP forwarder that `urlOf(name)` returns, open
 * from the script's creation), in front of one Miniflare (one workerd process) per script that runs every version
 * of the live deployment. A small router worker picks the version per request by the deployment's percentages, or
 * by `Cloudflare-Workers-Version-Overrides: <script>="<version id>"` when that version is in the deployment
 * (https://developers.cloudflare.com/workers/versions-and-deployments/gradual-deployments/#version-overrides).
 * The override pins the Worker only, as on Cloudflare.
 *
 * Durable Objects: all objects of a script run on ONE version, the one with the larger share of the deployment (the
 * first listed on a tie); the other version's bindings reach the objects there. Cloudflare instead assigns each
 * object a version by the percentages (https://developers.cloudflare.com/workers/versions-and-deployments/gradual-deployments/with-durable-objects/);
 * the stand-in does not model that assignment.
 *
 * workerd starts lazily, on the first connection to a script's URL, and restarts (stop, then start on the same
 * persist directory: never two processes on one store) on each new deployment of a script it serves. Durable Object
 * storage persists across deployments: one directory per script, each class stored under its namespace's key,
 * which a rename keeps.
 */

export interface ScriptServer {
  readonly url: URL;
  /** Restart workerd on the script's live deployment, if it is running. */
  redeploy(): Promise<void>;
  close(): Promise<void>;
}

const MODULE_TYPES: Record<string, "ESModule" | "CommonJS" | "Text" | "Data" | "CompiledWasm" | undefined> = {
  "application/javascript+module": "ESModule",
  "text/javascript+module": "ESModule",
  "application/javascript": "CommonJS",
  "text/javascript": "CommonJS",
  "text/plain": "Text",
  "application/octet-stream": "Data",
  "application/wasm": "CompiledWasm",
};

type WorkerOptions = Extract<V4MiniflareOptions, { workers: unknown }>["workers"][number];

async function materialiseAssets(
  state: StandinState,
  version: VersionRecord,
  directory: string,
): Promise<string> {
  const root = path.join(directory, "assets", version.id);
  for (const [file, { hash }] of Object.entries(version.assets?.manifest ?? {})) {
    const bytes = state.assetBlobs.get(hash);
    if (!bytes) continue;
    const target = path.join(root, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
  await mkdir(root, { recursive: true });
  return root;
}

async function versionWorker(
  state: StandinState,
  script: ScriptRecord,
  version: VersionRecord,
  options: { name: string; hostName: string; isHost: boolean; vault: SecretVault; directory: string },
): Promise<WorkerOptions> {
  const bindings: Record<string, unknown> = {};
  const serviceBindings: Record<string, unknown> = {};
  const durableObjects: Record<string, unknown> = {};
  const rateLimits: Record<string, RateLimitSetting> = {};
  for (const binding of version.bindings) {
    switch (binding.type) {
      case "plain_text":
        bindings[binding.name] = binding.text;
        break;
      case "json":
        bindings[binding.name] = binding.json;
        break;
      case "secret_text":
        bindings[binding.name] = options.vault.valueOf(binding.sha256);
        break;
      case "version_metadata":
        // Miniflare's own version-metadata binding is this JSON object with a random id; here it is the version's.
        bindings[binding.name] = {
          id: version.id,
          tag: version.annotations["workers/tag"] ?? "",
          timestamp: version.createdOn,
        };
        break;
      case "assets":
        serviceBindings[binding.name] = {
          disk: { path: await materialiseAssets(state, version, options.directory), writable: false },
        };
        break;
      case "ratelimit":
        rateLimits[binding.name] = { limit: binding.simple.limit, period: binding.simple.period };
        break;
      case "durable_object_namespace": {
        if (binding.script_name && binding.script_name !== script.name)
          throw new Error(
            `serving: a Durable Object binding to another script (${binding.script_name}) is not modelled`,
          );
        const className = binding.class_name ?? "";
        const provisioned = script.classes.get(className);
        durableObjects[binding.name] = {
          className,
          useSQLite: (provisioned?.storage ?? "sqlite") === "sqlite",
          unsafeUniqueKey: provisioned?.storageKey ?? `${script.name}-${className}`,
          ...(options.isHost ? {} : { scriptName: options.hostName }),
        };
        break;
      }
    }
  }
  return {
    name: options.name,
    modules: version.modules.flatMap((m) => {
      const type = MODULE_TYPES[m.contentType];
      return type ? [{ type, path: path.join("/", version.id, m.name), contents: m.content }] : [];
    }),
    modulesRoot: path.join("/", version.id),
    ...(version.compatibilityDate ? { compatibilityDate: version.compatibilityDate } : {}),
    compatibilityFlags: [...version.compatibilityFlags],
    bindings,
    serviceBindings,
    durableObjects,
    unsafeBindings: localRateLimitBindings(rateLimits),
  } as WorkerOptions;
}

async function miniflareOptions(
  state: StandinState,
  script: ScriptRecord,
  vault: SecretVault,
  directory: string,
): Promise<V4MiniflareOptions | undefined> {
  const deployment = liveDeployment(script);
  if (!deployment) return undefined;
  const served = deployment.versions.map((entry, index) => ({
    ...entry,
    version: versionOf(script, entry.version_id) as VersionRecord,
    workerName: `version-${index}`,
  }));
  const host = [...served].sort((a, b) => b.percentage - a.percentage)[0];
  if (!host) return undefined;
  const workers = await Promise.all(
    served.map((s) =>
      versionWorker(state, script, s.version, {
        name: s.workerName,
        hostName: host.workerName,
        isHost: s === host,
        vault,
        directory,
      }),
    ),
  );
  const router: WorkerOptions = {
    name: "standin-router",
    modules: true,
    script: ROUTER_SCRIPT,
    bindings: {
      ROUTES: {
        script: script.name,
        versions: served.map((s) => ({ id: s.version_id, percentage: s.percentage, binding: s.workerName })),
      },
    },
    serviceBindings: Object.fromEntries(served.map((s) => [s.workerName, s.workerName])),
    compatibilityDate: "2026-08-22",
  } as WorkerOptions;
  return {
    workers: [router, ...workers],
    host: "127.0.0.1",
    port: 0,
    resourcePersistencePath: path.join(directory, "state"),
    cf: false,
    log: new Log(LogLevel.WARN),
  };
}

/** Opens the script's URL (a local port) and serves its live deployment there once something connects. */
export async function startScriptServer(
  state: StandinState,
  script: ScriptRecord,
  vault: SecretVault,
  directory: string,
): Promise<ScriptServer> {
  let miniflare: Miniflare | undefined;
  let target: Promise<URL | undefined> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const start = () => {
    const started = (async () => {
      const options = await miniflareOptions(state, script, vault, directory);
      if (!options) return undefined;
      miniflare = new Miniflare(convertV4MiniflareOptions(options));
      return miniflare.ready;
    })();
    target = started;
    return started;
  };
  const stop = async () => {
    const running = miniflare;
    miniflare = undefined;
    target = undefined;
    await running?.dispose();
  };
  // One change at a time: a restart waits for the previous one, so two workerd never share the store.
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.pause();
    void serially(() => target ?? start()).then(
      (url) => {
        if (!url) {
          client.end(
            "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nThere is nothing here yet: the Worker has no deployment.\n",
          );
          return;
        }
        const upstream = connect(Number(url.port), url.hostname);
        sockets.add(upstream);
        upstream.on("close", () => sockets.delete(upstream));
        client.pipe(upstream).pipe(client);
        client.resume();
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on("error", drop);
        upstream.on("error", drop);
      },
      (error: Error) => {
        client.end(
          `HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nThe stand-in could not start this Worker: ${error.message}\n`,
        );
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    redeploy: () =>
      serially(async () => {
        if (!target) return;
        await stop();
        await start();
      }),
    close: () =>
      serially(async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await stop();
      }),
  };
}
