import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, type V4MiniflareOptions } from "miniflare";
import { assetsDirectoryOf } from "../../infra/build.ts";
import {
  type LocalEnvironment,
  miniflareAssetBindings,
  miniflareWorkerOptions,
} from "./miniflare-options.ts";

export interface LocalPlatformOptions {
  /** Path of the built bundle (dist/index.js); its static assets are the build's directory beside it. */
  readonly bundlePath: string;
  readonly env: LocalEnvironment;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Directory for Durable Object state; omitted = in memory, gone when stopped. */
  readonly persistTo?: string | undefined;
  /** Class name -> the storage namespace it uses, for a class renamed locally (scripts/lib/local-classes.ts). */
  readonly namespaceKeys?: Readonly<Record<string, string>>;
  /** Show workerd's console output (the worker's console.log). */
  readonly verbose?: boolean;
  /** Receives workerd's log lines (the worker's console output, runtime warnings) instead of this process's. */
  readonly handleStructuredLogs?: V4MiniflareOptions["handleStructuredLogs"];
}

export interface LocalPlatform {
  readonly url: URL;
  readonly miniflare: Miniflare;
  /** Swap in a rebuilt bundle (and new bindings) without dropping persisted state. */
  reload(next: Pick<LocalPlatformOptions, "bundlePath" | "env">): Promise<void>;
  dispose(): Promise<void>;
}

/** The local Worker's name: Miniflare keeps a class's objects in `<persistTo>/do/<name>-<Class>/`. */
export const LOCAL_WORKER_NAME = "platform";

// Written in Miniflare 4's flat option shape (the one the vitest pool's `miniflare` option also takes); Miniflare 5
// wants its new nested shape, so each use converts with its own convertV4MiniflareOptions.
function options(o: LocalPlatformOptions): V4MiniflareOptions {
  return {
    workers: [
      {
        ...miniflareWorkerOptions(o.env, { namespaceKeys: o.namespaceKeys }),
        name: LOCAL_WORKER_NAME,
        modules: true,
        scriptPath: o.bundlePath,
        serviceBindings: miniflareAssetBindings(assetsDirectoryOf(o.bundlePath)),
      },
    ],
    port: o.port ?? 0,
    host: o.host ?? "127.0.0.1",
    // Miniflare 5's root for all persisted state (its conversion of v4 options drops v4's defaultPersistRoot).
    ...(o.persistTo ? { resourcePersistencePath: o.persistTo } : {}),
    // Never fetch Request.cf from Cloudflare: this must run offline.
    cf: false,
    log: new Log(o.verbose ? LogLevel.INFO : LogLevel.WARN),
    ...(o.handleStructuredLogs ? { handleStructuredLogs: o.handleStructuredLogs } : {}),
  };
}

/** Runs the built bundle in Miniflare (workerd) on a real port: the local stand-in for an environment. */
export async function startLocalPlatform(o: LocalPlatformOptions): Promise<LocalPlatform> {
  let current = o;
  const miniflare = new Miniflare(convertV4MiniflareOptions(options(o)));
  const url = await miniflare.ready;
  return {
    url,
    miniflare,
    async reload(next) {
      current = { ...current, ...next };
      await miniflare.setOptions(convertV4MiniflareOptions(options(current)));
    },
    dispose: () => miniflare.dispose(),
  };
}
