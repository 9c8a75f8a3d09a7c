import { Log, LogLevel, Miniflare, type MiniflareOptions } from "miniflare";
import { type LocalEnvironment, miniflareWorkerOptions } from "./miniflare-options.ts";

export interface LocalPlatformOptions {
  /** Path of the built bundle (dist/index.js). */
  readonly bundlePath: string;
  readonly env: LocalEnvironment;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Directory for Durable Object state; omitted = in memory, gone when stopped. */
  readonly persistTo?: string | undefined;
  /** Show workerd's console output (the worker's console.log). */
  readonly verbose?: boolean;
  /** Receives workerd's stdout and stderr (the worker's console output) instead of this process's. */
  readonly handleRuntimeStdio?: MiniflareOptions["handleRuntimeStdio"];
}

export interface LocalPlatform {
  readonly url: URL;
  readonly miniflare: Miniflare;
  /** Swap in a rebuilt bundle (and new bindings) without dropping persisted state. */
  reload(next: Pick<LocalPlatformOptions, "bundlePath" | "env">): Promise<void>;
  dispose(): Promise<void>;
}

function options(o: LocalPlatformOptions): MiniflareOptions {
  return {
    ...miniflareWorkerOptions(o.env),
    name: "platform",
    modules: true,
    scriptPath: o.bundlePath,
    port: o.port ?? 0,
    host: o.host ?? "127.0.0.1",
    ...(o.persistTo ? { defaultPersistRoot: o.persistTo } : {}),
    // Never fetch Request.cf from Cloudflare: this must run offline.
    cf: false,
    log: new Log(o.verbose ? LogLevel.INFO : LogLevel.WARN),
    ...(o.handleRuntimeStdio ? { handleRuntimeStdio: o.handleRuntimeStdio } : {}),
  };
}

/** Runs the built bundle in Miniflare (workerd) on a real port: the local stand-in for an environment. */
export async function startLocalPlatform(o: LocalPlatformOptions): Promise<LocalPlatform> {
  let current = o;
  const miniflare = new Miniflare(options(o));
  const url = await miniflare.ready;
  return {
    url,
    miniflare,
    async reload(next) {
      current = { ...current, ...next };
      await miniflare.setOptions(options(current));
    },
    dispose: () => miniflare.dispose(),
  };
}
