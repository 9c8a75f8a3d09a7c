import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, inject } from "vitest";
import {
  type LocalPlatform,
  type LocalPlatformOptions,
  startLocalPlatform,
} from "../../scripts/lib/local-platform.ts";
import type { LocalEnvironment } from "../../scripts/lib/miniflare-options.ts";
import { assertConforms, prepareContract } from "./contract.ts";

/** The admin token test platforms run with (a real secret binding; see worker/http/admin-auth.ts). */
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789";
export const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/** Starts the built bundle (from the global setup) in Miniflare on a free port, as `npm run dev` would. */
export async function startBuiltPlatform(
  options: {
    persistTo?: string;
    env?: Partial<LocalEnvironment>;
    handleStructuredLogs?: LocalPlatformOptions["handleStructuredLogs"];
  } = {},
): Promise<LocalPlatform> {
  // Loaded before any test runs, so that no test's timing pays for it (see `call`).
  await prepareContract();
  return startLocalPlatform({
    bundlePath: inject("bundlePath"),
    env: {
      environment: "test",
      buildId: inject("buildId"),
      adminToken: TEST_ADMIN_TOKEN,
      // Local receivers on 127.0.0.1 over http, as `npm run dev` allows.
      webhookAllowHttp: true,
      ...options.env,
    },
    persistTo: options.persistTo,
    ...(options.handleStructuredLogs ? { handleStructuredLogs: options.handleStructuredLogs } : {}),
  });
}

/** A platform that the files of one test process share, for one setting (see useBuiltPlatform). */
interface SharedPlatform {
  started?: Promise<LocalPlatform> | undefined;
  users: number;
  idle?: ReturnType<typeof setTimeout>;
}
// On globalThis: the node project runs its files in one process without isolation, and a file may reset the
// module graph (vi.resetModules), which must not lose track of a running platform.
const SHARED_PLATFORMS = Symbol.for("do-platform.test.shared-platforms");
function sharedPlatform(setting: string): SharedPlatform {
  const registry = globalThis as Record<symbol, Map<string, SharedPlatform> | undefined>;
  const all = registry[SHARED_PLATFORMS] ?? new Map<string, SharedPlatform>();
  registry[SHARED_PLATFORMS] = all;
  let shared = all.get(setting);
  if (!shared) {
    shared = { users: 0 };
    all.set(setting, shared);
  }
  return shared;
}

/**
 * For a test file: the built bundle with these settings, started before its tests (handed to `ready`). Files that
 * ask for the same settings (`env` only: no persisted state, no log handler) share one platform per test process
 * (each start is a workerd process and ~0.3 CPU s): their tests name their own objects, so what another file left
 * behind is never theirs. A file whose tests use up a rate limit starts its own (usePlatforms). A shared platform
 * is stopped 30 s after its last file unless another file of the process takes it over (a process's files are
 * interleaved with files that start their own platforms), and in any case when the process exits (Miniflare stops
 * its workerd on exit and on SIGTERM, which is how vitest ends its workers).
 */
export function useBuiltPlatform(
  ready: (platform: LocalPlatform) => void,
  options: Parameters<typeof startBuiltPlatform>[0] = {},
): void {
  const shareable = Object.keys(options).every((key) => key === "env");
  const setting = JSON.stringify(options.env ?? {});
  let platform: LocalPlatform | undefined;
  beforeAll(async () => {
    if (!shareable) {
      platform = await startBuiltPlatform(options);
    } else {
      const shared = sharedPlatform(setting);
      shared.users++;
      clearTimeout(shared.idle);
      if (!shared.started) {
        const started = startBuiltPlatform(options);
        shared.started = started;
        started.catch(() => {
          if (shared.started === started) shared.started = undefined;
        });
      }
      platform = await shared.started;
    }
    ready(platform);
  });
  afterAll(() => {
    if (!shareable) return platform?.dispose();
    const shared = sharedPlatform(setting);
    shared.users--;
    if (shared.users > 0) return;
    shared.idle = setTimeout(() => {
      const started = shared.started;
      shared.started = undefined;
      void started?.then((p) => p.dispose());
    }, 30_000);
    // Never what keeps the process alive; Miniflare stops its workerd when the process exits.
    shared.idle.unref();
  });
}

/**
 * For a test file that starts several platforms (different settings): `start` starts one like startBuiltPlatform
 * and every platform it started is stopped after the file's tests.
 */
export function usePlatforms(): typeof startBuiltPlatform {
  const platforms: LocalPlatform[] = [];
  afterAll(() => Promise.all(platforms.map((p) => p.dispose())));
  return async (...args) => {
    const platform = await startBuiltPlatform(...args);
    platforms.push(platform);
    return platform;
  };
}

/**
 * One connection per request: never a reused keep-alive one. workerd (kj's HTTP server) closes a connection idle
 * for 5 s and sends no Keep-Alive hint (measured); Node's fetch keeps idle connections for 4 s by its own timer.
 * On a loaded machine that timer fires late, fetch reuses a connection the server is closing, and a POST fails
 * with "fetch failed … other side closed" (never retried: not idempotent). That was the 1,000-jobs flake; a 1 s
 * client timeout still lost the race once at a load average of 18 on 2 cores. Miniflare's own dispatchFetch
 * does the same for the same reason (workers-sdk packages/miniflare/src/http/fetch.ts: "avoid keep-alive race
 * conditions").
 */
const oneConnectionPerRequest = new Agent({ pipelining: 0 });

/**
 * A JSON request helper that returns status, headers and the parsed body. Every answer is checked against the
 * OpenAPI document first (test/support/contract.ts): a test using `call` fails on an answer that breaks it.
 */
export async function call(base: URL, path: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const res = await undiciFetch(new URL(path, base), {
    ...(rest as NonNullable<Parameters<typeof undiciFetch>[1]>),
    ...(json !== undefined
      ? {
          body: JSON.stringify(json),
          headers: { "content-type": "application/json", ...(rest.headers as Record<string, string>) },
        }
      : {}),
    dispatcher: oneConnectionPerRequest,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text, the assertion will show it
  }
  await assertConforms(rest.method ?? "GET", new URL(path, base), {
    status: res.status,
    headers: res.headers,
    body,
  });
  return { status: res.status, headers: res.headers, body: body as any };
}

/** `call` with the admin token: for suites acting as the operator (scheduler writes, resets). */
export function callAsAdmin(base: URL, path: string, init: RequestInit & { json?: unknown } = {}) {
  return call(base, path, {
    ...init,
    headers: { ...adminHeaders, ...(init.headers as Record<string, string>) },
  });
}

export const uniqueName = (prefix = "t") => `${prefix}-${crypto.randomUUID()}`;
