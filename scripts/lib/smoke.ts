import type { ClientResponse } from "hono/client";
import WebSocket from "ws";
import { type ApiClient, apiClient } from "./api-client.ts";

/** Options of one smoke run against an environment URL. */
export interface SmokeOptions {
  /** The environment's base URL (https://…workers.dev, or a local Miniflare URL). */
  readonly url: URL;
  /** When set, /health must report exactly this build id (the promoted build's: bundle and static assets). */
  readonly expectBuildId?: string | undefined;
  /** Bearer token for admin routes (scheduling a job); see the README's security section. */
  readonly adminToken?: string | undefined;
  /** Upper bound for each check, including waiting for the scheduled job. */
  readonly timeoutMs?: number;
  /** Called as each check starts and ends, for live progress. */
  readonly onProgress?: (event: SmokeEvent) => void;
  /**
   * Sent with every request and WebSocket upgrade, e.g. Cloudflare's `Cloudflare-Workers-Version-Overrides`, which
   * pins a run to one version of a split deployment (npm run promote checks the new version that way).
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * How far ahead the scheduled job is set (default 1 s), so that it runs on a real alarm, not at once. Suites that
   * run many smoke checks only to test what calls them (the promotion walk-through) set it shorter.
   */
  readonly jobDelayMs?: number;
  /**
   * Adds the "object versions" check: which version a handful of fresh Durable Objects run, and a round trip
   * through those on `expect`. In a split, Cloudflare assigns each object one version (the override header pins only
   * the Worker), so at a partial step this reports how many objects run the new code and exercises those; with
   * `all`, every object must run `expect` (a deployment at 100 % whose objects were updated immediately).
   */
  readonly objectVersion?: { readonly expect: string; readonly all: boolean } | undefined;
}

export type SmokeEvent =
  | { readonly kind: "start"; readonly check: string }
  | { readonly kind: "end"; readonly result: SmokeResult };

export interface SmokeResult {
  readonly check: string;
  readonly ok: boolean;
  readonly ms: number;
  /** What was seen (on success) or what went wrong (on failure), one sentence. */
  readonly detail: string;
}

export interface SmokeReport {
  readonly url: string;
  readonly ok: boolean;
  readonly results: readonly SmokeResult[];
}

/** Every name a smoke run writes starts with this, so its traces are recognisable in any environment. */
export const SMOKE_PREFIX = "smoke-";
/** The one room and the one scheduler every smoke run uses: their leftovers stay bounded (see cleanUp). */
export const SMOKE_ROOM = `${SMOKE_PREFIX}room`;
export const SMOKE_SCHEDULER = `${SMOKE_PREFIX}scheduler`;

class SmokeFailure extends Error {}

/** JSON from the environment under test: its shape is what the checks verify, field by field. */
// biome-ignore lint/suspicious/noExplicitAny: untrusted JSON, every field used is checked before it is trusted
type Json = any;

const fail = (message: string): never => {
  throw new SmokeFailure(message);
};

interface Ctx {
  readonly url: URL;
  readonly timeoutMs: number;
  readonly expectBuildId?: string | undefined;
  readonly adminToken?: string | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly jobDelayMs: number;
  readonly objectVersion?: SmokeOptions["objectVersion"];
  /** What the health check saw, for the checks after it (it runs first; the run stops if it fails). */
  readonly seen: { buildId?: string };
  /** A random suffix per run, so parallel smoke runs never read each other's state. */
  readonly runId: string;
  /** What the checks created, undone by the last step (newest first). */
  readonly undo: { readonly what: string; readonly run: () => Promise<void> }[];
}

/** fetch with the run's extra headers. */
function sendWith(ctx: Ctx, input: Parameters<typeof fetch>[0], init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(ctx.headers ?? {})) headers.set(name, value);
  return fetch(input, { ...init, headers, signal: AbortSignal.timeout(ctx.timeoutMs), redirect: "manual" });
}

/** A request that got no answer at all (refused, reset, timed out), said with the cause's code when it has one. */
function unanswered(method: string, href: string, error: unknown): never {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return fail(`${method} ${href} did not answer: ${cause?.code ?? cause?.message ?? String(error)}`);
}

async function request(
  ctx: Ctx,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Json }> {
  const url = new URL(path, ctx.url);
  let res: Response;
  try {
    res = await sendWith(ctx, url, init);
  } catch (error) {
    return unanswered(init.method ?? "GET", url.href, error);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return fail(
      `${init.method ?? "GET"} ${path} answered ${res.status} with a non-JSON body: ${text.slice(0, 120)}`,
    );
  }
}

/**
 * A call through the typed client (scripts/lib/api-client.ts): the body has the route's own type, so a renamed field
 * a check reads fails the typecheck. (A refusal's body is the error envelope; `expectStatus` checks the status first.)
 */
async function typed<T>(
  ctx: Ctx,
  what: string,
  send: (api: ApiClient) => Promise<ClientResponse<T>>,
): Promise<{ status: number; body: T }> {
  const api = apiClient(ctx.url, {
    fetch: (input, init) => sendWith(ctx, input, init),
  });
  let res: ClientResponse<T>;
  try {
    res = await send(api);
  } catch (error) {
    const [method, path] = what.split(" ");
    return unanswered(method!, new URL(path!, ctx.url).href, error);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as T };
  } catch {
    return fail(`${what} answered ${res.status} with a non-JSON body: ${text.slice(0, 120)}`);
  }
}

function expectStatus(what: string, got: { status: number; body: Json }, status: number): void {
  if (got.status !== status) {
    const error = got.body?.error
      ? `${got.body.error.code}: ${got.body.error.message}`
      : JSON.stringify(got.body);
    fail(`${what} answered ${got.status} (expected ${status}): ${error}`);
  }
}

const json = (body: unknown, token?: string): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

async function health(ctx: Ctx): Promise<string> {
  const res = await typed(ctx, "GET /health", (api) => api.health.$get());
  expectStatus("GET /health", res, 200);
  if (res.body.status !== "ok") fail(`/health reports status ${JSON.stringify(res.body.status)}`);
  ctx.seen.buildId = res.body.buildId;
  if (ctx.expectBuildId && res.body.buildId !== ctx.expectBuildId) {
    fail(`/health reports build ${res.body.buildId}, expected ${ctx.expectBuildId}`);
  }
  return `${res.body.environment} runs build ${String(res.body.buildId).slice(0, 12)}, migrations ${res.body.migrationTag}`;
}

/**
 * The page and its two files: a version uploaded without its static assets answers /health and the API but not
 * these (404), so they are checked by status, type and version (the ETag is the build id the health check saw).
 */
async function page(ctx: Ctx): Promise<string> {
  const etag = `"${ctx.seen.buildId}"`;
  let bytes = 0;
  for (const [path, type] of [
    ["/", "text/html"],
    ["/app.js", "text/javascript"],
    ["/app.css", "text/css"],
  ] as const) {
    const url = new URL(path, ctx.url);
    const res = await sendWith(ctx, url).catch((error: unknown) => unanswered("GET", url.href, error));
    const text = await res.text();
    if (res.status !== 200) fail(`GET ${path} answered ${res.status} (expected 200): ${text.slice(0, 200)}`);
    const contentType = res.headers.get("content-type") ?? "";
    if (!contentType.startsWith(type))
      fail(`GET ${path} answered ${contentType || "no type"}, expected ${type}`);
    if (res.headers.get("etag") !== etag) {
      fail(`GET ${path} answered ETag ${res.headers.get("etag")}, expected the build id ${etag}`);
    }
    bytes += text.length;
  }
  return `/, /app.js and /app.css answer 200 with the build id as ETag (${(bytes / 1024).toFixed(1)} KiB)`;
}

async function counter(ctx: Ctx): Promise<string> {
  const name = `${SMOKE_PREFIX}${ctx.runId}`;
  ctx.undo.push({ what: `counter ${name}`, run: () => resetCounter(ctx, name) });
  const first = await typed(ctx, "POST /api/counters/:name/increment", (api) =>
    api.api.counters[":name"].increment.$post({ param: { name } }, { init: json({ by: 2 }) }),
  );
  expectStatus("POST /api/counters/:name/increment", first, 200);
  if (first.body.count !== 2) fail(`a fresh smoke counter incremented by 2 reads ${first.body.count}`);
  const read = await typed(ctx, "GET /api/counters/:name", (api) =>
    api.api.counters[":name"].$get({ param: { name } }),
  );
  expectStatus("GET /api/counters/:name", read, 200);
  if (read.body.count !== 2) fail(`counter reads ${read.body.count} after increment to 2`);
  return `counter ${name} incremented to 2 and read back`;
}

function openSocket(ctx: Ctx, room: string, user: string): Promise<{ ws: WebSocket; frames: Json[] }> {
  const wsUrl = new URL(`/api/rooms/${room}/ws?user=${user}`, ctx.url);
  wsUrl.protocol = wsUrl.protocol === "https:" ? "wss:" : "ws:";
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { handshakeTimeout: ctx.timeoutMs, headers: { ...ctx.headers } });
    const frames: Json[] = [];
    ws.on("message", (data) => frames.push(JSON.parse(String(data))));
    ws.once("open", () => resolve({ ws, frames }));
    ws.once("unexpected-response", (_req, res) =>
      reject(new SmokeFailure(`WebSocket upgrade answered ${res.statusCode}`)),
    );
    ws.once("error", (error) =>
      reject(new SmokeFailure(`WebSocket to ${wsUrl.href} failed: ${error.message}`)),
    );
  });
}

async function waitFor<T>(
  ctx: Ctx,
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) return fail(`timed out after ${ctx.timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function chat(ctx: Ctx): Promise<string> {
  // One room for every run: rooms cannot be deleted, so this keeps the trace to one room's last 1,000 messages.
  const room = SMOKE_ROOM;
  const alice = await openSocket(ctx, room, "smoke-a");
  try {
    const bob = await openSocket(ctx, room, "smoke-b");
    try {
      await waitFor(ctx, "the welcome frame", () => bob.frames.find((f) => f.type === "welcome"));
      const text = `ping ${ctx.runId}`;
      alice.ws.send(JSON.stringify({ type: "message", text }));
      const got = await waitFor(ctx, "the message to reach the second client", () =>
        bob.frames.find((f) => f.type === "message" && f.text === text),
      );
      if (got.user !== "smoke-a")
        fail(`message arrived from ${JSON.stringify(got.user)}, expected "smoke-a"`);
      return `room ${room}: a message from one socket reached the other`;
    } finally {
      bob.ws.close();
    }
  } finally {
    alice.ws.close();
  }
}

async function scheduledJob(ctx: Ctx): Promise<string> {
  // One scheduler for every run: finished jobs stay in its bounded history, never in a new object per run.
  const scheduler = SMOKE_SCHEDULER;
  const counterName = `${SMOKE_PREFIX}${ctx.runId}-job`;
  ctx.undo.push({ what: `counter ${counterName}`, run: () => resetCounter(ctx, counterName) });
  const created = await request(
    ctx,
    `/api/schedulers/${scheduler}/jobs`,
    json(
      { delayMs: ctx.jobDelayMs, action: { type: "counter.increment", counter: counterName, by: 1 } },
      ctx.adminToken,
    ),
  );
  expectStatus("POST /api/schedulers/:name/jobs", created, 201);
  const id = created.body.id as string;
  ctx.undo.push({ what: `job ${id}`, run: () => cancelJob(ctx, scheduler, id) });
  const job = await waitFor(ctx, `job ${id} to complete`, async () => {
    const res = await typed(ctx, "GET /api/schedulers/:name/jobs/:id", (api) =>
      api.api.schedulers[":name"].jobs[":id"].$get({ param: { name: scheduler, id } }),
    );
    expectStatus("GET /api/schedulers/:name/jobs/:id", res, 200);
    if (res.body.status === "failed") fail(`job ${id} failed: ${res.body.lastError}`);
    return res.body.status === "completed" ? res.body : undefined;
  });
  const count = await typed(ctx, "GET /api/counters/:name", (api) =>
    api.api.counters[":name"].$get({ param: { name: counterName } }),
  );
  if (count.body.count !== 1) fail(`the job completed but counter ${counterName} reads ${count.body.count}`);
  const delay = ctx.jobDelayMs % 1000 === 0 ? `${ctx.jobDelayMs / 1000} s` : `${ctx.jobDelayMs} ms`;
  return `job ${String(job.id).slice(0, 8)} ran after its ${delay} delay and incremented ${counterName}`;
}

async function resetCounter(ctx: Ctx, name: string): Promise<void> {
  const res = await request(ctx, `/api/counters/${name}`, { method: "DELETE", headers: adminHeader(ctx) });
  expectStatus(`DELETE /api/counters/${name}`, res, 200);
}

/** Cancels a job unless it already finished (409 job_finished is the normal case: it ran). */
async function cancelJob(ctx: Ctx, scheduler: string, id: string): Promise<void> {
  const res = await request(ctx, `/api/schedulers/${scheduler}/jobs/${id}`, {
    method: "DELETE",
    headers: adminHeader(ctx),
  });
  if (res.status !== 409) expectStatus(`DELETE /api/schedulers/${scheduler}/jobs/${id}`, res, 200);
}

const adminHeader = (ctx: Ctx): Record<string, string> =>
  ctx.adminToken ? { authorization: `Bearer ${ctx.adminToken}` } : {};

/** Resets the counters and cancels the job the checks made; the room and the scheduler are shared and bounded. */
async function cleanUp(ctx: Ctx): Promise<string> {
  if (!ctx.adminToken) fail(`no admin token, so ${ctx.undo.map((u) => u.what).join(", ")} stay behind`);
  const problems: string[] = [];
  for (const step of ctx.undo.reverse()) {
    await step.run().catch((error: Error) => problems.push(`${step.what}: ${error.message}`));
  }
  if (problems.length > 0) fail(`could not undo ${problems.join("; ")}`);
  return `reset or cancelled ${ctx.undo.length} things made by this run (names start with ${SMOKE_PREFIX}${ctx.runId})`;
}

/** How many fresh objects the "object versions" check asks: enough to see a 10 % share about half the time. */
export const OBJECT_SAMPLE = 8;

async function objectVersions(ctx: Ctx): Promise<string> {
  const wanted = ctx.objectVersion!;
  const seen: { name: string; versionId: string | null }[] = [];
  for (let i = 0; i < OBJECT_SAMPLE; i++) {
    const name = `${SMOKE_PREFIX}${ctx.runId}-o${i}`;
    const res = await request(ctx, `/api/counters/${name}/version`);
    // An object still on a version older than this route cannot say: count it as not on the new version.
    seen.push({ name, versionId: res.status === 200 ? (res.body.versionId ?? null) : null });
  }
  const onNew = seen.filter((o) => o.versionId === wanted.expect);
  const others = [
    ...new Set(seen.filter((o) => o.versionId !== wanted.expect).map((o) => String(o.versionId))),
  ];
  if (wanted.all && onNew.length < seen.length) {
    fail(
      `${seen.length - onNew.length} of ${seen.length} fresh objects run ${others.join(", ")}, not ${wanted.expect}, ` +
        "at 100 %: their code was not updated",
    );
  }
  for (const object of onNew) {
    ctx.undo.push({ what: `counter ${object.name}`, run: () => resetCounter(ctx, object.name) });
    const bumped = await request(ctx, `/api/counters/${object.name}/increment`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ by: 3 }),
    });
    expectStatus(`POST /api/counters/${object.name}/increment`, bumped, 200);
    if (bumped.body.count !== 3)
      fail(`object ${object.name} on ${wanted.expect} counted ${bumped.body.count}, not 3`);
  }
  const rest = others.length ? `; the others run ${others.join(", ")} until a deployment reassigns them` : "";
  return `${onNew.length} of ${seen.length} fresh objects run ${wanted.expect} and counted correctly${rest}`;
}

const CHECKS: readonly { name: string; run: (ctx: Ctx) => Promise<string> }[] = [
  { name: "health", run: health },
  { name: "page", run: page },
  { name: "counter round trip", run: counter },
  { name: "chat round trip", run: chat },
  { name: "scheduled job", run: scheduledJob },
];
const OBJECT_CHECK = { name: "object versions", run: objectVersions };

/**
 * Checks a live environment over real HTTP and WebSockets. Every check runs (one failure does not hide another)
 * unless /health itself fails, which makes the rest meaningless.
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const ctx: Ctx = {
    url: options.url,
    timeoutMs: options.timeoutMs ?? 15_000,
    expectBuildId: options.expectBuildId,
    adminToken: options.adminToken,
    headers: options.headers,
    jobDelayMs: options.jobDelayMs ?? 1000,
    objectVersion: options.objectVersion,
    seen: {},
    runId: crypto.randomUUID().slice(0, 8),
    undo: [],
  };
  const results: SmokeResult[] = [];
  const checks = options.objectVersion ? [...CHECKS, OBJECT_CHECK] : CHECKS;
  for (const check of checks) {
    options.onProgress?.({ kind: "start", check: check.name });
    const started = performance.now();
    let result: SmokeResult;
    try {
      const detail = await check.run(ctx);
      result = { check: check.name, ok: true, ms: Math.round(performance.now() - started), detail };
    } catch (error) {
      const detail = error instanceof SmokeFailure ? error.message : `unexpected error: ${String(error)}`;
      result = { check: check.name, ok: false, ms: Math.round(performance.now() - started), detail };
    }
    results.push(result);
    options.onProgress?.({ kind: "end", result });
    if (!result.ok && check.name === "health") break;
  }
  // Always the last step, after failures too: a smoke run leaves no counters behind and no job pending.
  if (ctx.undo.length > 0) {
    options.onProgress?.({ kind: "start", check: "clean up" });
    const started = performance.now();
    const result = await cleanUp(ctx).then(
      (detail): SmokeResult => ({
        check: "clean up",
        ok: true,
        ms: Math.round(performance.now() - started),
        detail,
      }),
      (error: Error): SmokeResult => ({
        check: "clean up",
        ok: false,
        ms: Math.round(performance.now() - started),
        detail: error instanceof SmokeFailure ? error.message : `unexpected error: ${String(error)}`,
      }),
    );
    results.push(result);
    options.onProgress?.({ kind: "end", result });
  }
  return {
    url: options.url.href,
    ok: results.every((r) => r.ok) && results.length >= checks.length,
    results,
  };
}
