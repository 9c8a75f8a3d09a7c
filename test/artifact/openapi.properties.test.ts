import fc from "fast-check";
import { Agent, fetch as undiciFetch } from "undici";
import { beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument, type OpenApiDocument } from "../../infra/openapi.ts";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { mutatedBody, segment, valid } from "../support/arbitraries.ts";
import { contractProblems } from "../support/contract.ts";
import { adminHeaders, useBuiltPlatform } from "../support/platform.ts";

/**
 * Property-based tests generated from the OpenAPI document (the API's contract): requests built from every operation, valid
 * and mutated (types, missing and extra fields, huge and deep values, odd encodings, paths, methods and headers),
 * sent to the built bundle over real HTTP. Every answer: no 5xx, a refusal in the error envelope, a success that
 * matches its schema; and a refused request changes nothing. Seeded: a failure prints the seed and the shrunk
 * request (`FC_SEED=... FC_NUM_RUNS=...` to replay or to run more).
 */

/** The worker's body limit (worker/app.ts MAX_BODY_BYTES). */
const MAX_BODY_BYTES = 64 * 1024;
const isReset = (error: unknown) => (error as { cause?: { code?: string } }).cause?.code === "ECONNRESET";

/**
 * One connection per request, as `call` does (test/support/platform.ts says why): workerd may close a connection
 * after answering a request whose body the worker did not read (a refused write) without saying so, and a pooled
 * keep-alive socket then fails the next request with "other side closed" (measured before the document became a
 * static asset too: 9 in 120 refused writes; the assets router in front made it about twice as frequent).
 */
const oneConnectionPerRequest = new Agent({ pipelining: 0 });

/**
 * Answers come uncompressed (`accept-encoding: identity`; no probe sets its own): workerd gzips every answer to
 * a client that accepts gzip, as Cloudflare's edge does, and the encoding is no part of the contract under test.
 * That and the kept-alive state reads below took the file from 26.8 to 22.5 CPU s (FC_SEED=42, two runs each).
 */
const IDENTITY = { "accept-encoding": "identity" };

/** fetch on a fresh connection, retried once on a reset (after a 413 the server closes without reading the body). */
async function fetchOnce(url: URL | string, init: Parameters<typeof undiciFetch>[1] = {}) {
  const headers = { ...IDENTITY, ...(init.headers as Record<string, string> | undefined) };
  const send = () => undiciFetch(url, { ...init, headers, dispatcher: oneConnectionPerRequest });
  try {
    return await send();
  } catch (error) {
    if (!isReset(error)) throw error;
    return send();
  }
}

/**
 * The state reads around each write (six per write) reuse kept-alive connections: they are bodiless GETs, so the
 * refused-body close above cannot hit them, and they are idempotent, so the one other race, a kept connection that
 * workerd closes after 5 s idle as it is reused, is retried once.
 */
const keptAlive = new Agent({ keepAliveTimeout: 1000 });
async function readState(url: URL): Promise<string> {
  const read = async () => (await undiciFetch(url, { headers: IDENTITY, dispatcher: keptAlive })).text();
  try {
    return await read();
  } catch {
    return read();
  }
}

const NUM_RUNS = Number(process.env.FC_NUM_RUNS) || 1000;
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2 ** 31;

type Json = Record<string, any>;
interface Probe {
  readonly method: string;
  readonly path: string;
  readonly template: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

// Methods outside HTTP's registry (`FOO`) are not generated: workerd's HTTP server answers them 501 in plain text
// before the worker runs (found by this test; nothing the worker can change).

/** Names of a small pool, so generated writes hit the same objects whose state the test watches. */
const POOL = ["p-one", "p-two", "p-three"];

function requests(doc: OpenApiDocument): fc.Arbitrary<Probe> {
  const operations = Object.entries(doc.paths).flatMap(([template, item]) =>
    Object.entries(item).map(([method, operation]) => ({ template, method, operation: operation as Json })),
  );
  return fc.constantFrom(...operations.map(probesOf)).chain((probes) => probes);

  /**
   * An operation's probes. Built once per operation, not in `chain` for every run: building an arbitrary is not
   * free (fast-check's stringMatching tokenizes its default values by throwing and catching, ~1.6 CPU s over 1,000
   * runs), and the values drawn from the same seed are the same either way.
   */
  function probesOf({ template, method, operation }: (typeof operations)[number]): fc.Arbitrary<Probe> {
    const parameters: Json[] = operation.parameters ?? [];
    const pathParams = parameters.filter((p) => p.in === "path");
    const query = parameters.filter((p) => p.in === "query");
    const bodySchema = operation.requestBody?.content?.["application/json"]?.schema;
    const segments = Object.fromEntries(
      pathParams.map((p) => [
        p.name,
        p.name === "name"
          ? fc.oneof(fc.constantFrom(...POOL), segment(doc, p.schema))
          : segment(doc, p.schema),
      ]),
    );
    const queryArb = fc.record(
      Object.fromEntries(
        query.map((p) => [
          p.name,
          fc.oneof(valid(doc, p.schema).map(String), fc.string({ unit: "binary", maxLength: 30 })),
        ]),
      ),
      { requiredKeys: [] },
    );
    return fc
      .record({
        segments: fc.record(segments),
        query: queryArb,
        method: fc.oneof(
          { weight: 8, arbitrary: fc.constant(method.toUpperCase()) },
          {
            weight: 1,
            arbitrary: fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"),
          },
        ),
        suffix: fc.oneof(
          { weight: 8, arbitrary: fc.constant("") },
          { weight: 1, arbitrary: fc.constantFrom("/", "//", "/x", "%2F") },
        ),
        body: bodySchema
          ? fc.option(mutatedBody(doc, bodySchema), { freq: 6 })
          : fc.option(fc.jsonValue().map((v) => JSON.stringify(v))),
        contentType: fc.oneof(
          { weight: 6, arbitrary: fc.constant("application/json") },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              "text/plain",
              "application/json; charset=latin1",
              "application/x-www-form-urlencoded",
              "",
              "application/merge-patch+json",
            ),
          },
        ),
        auth: fc.constantFrom("admin", "none", "wrong", "odd"),
        extraHeader: fc.option(
          fc.constantFrom<[string, string]>(
            ["x-forwarded-for", "::1"],
            ["accept", "*/*;q=0"],
            ["if-none-match", "*"],
            ["content-encoding", "gzip"],
            ["upgrade", "websocket"],
            ["cf-connecting-ip", "not an ip"],
          ),
        ),
      })
      .map(({ segments, query: q, method: m, suffix, body, contentType, auth, extraHeader }): Probe => {
        const path =
          template.replace(/\{(\w+)\}/g, (_, name: string) => (segments as Record<string, string>)[name]!) +
          suffix;
        const search = new URLSearchParams(q as Record<string, string>).toString();
        const headers: Record<string, string> = {};
        if (auth === "admin") Object.assign(headers, adminHeaders);
        if (auth === "wrong") headers.authorization = "Bearer wrong-token";
        if (auth === "odd") headers.authorization = "Basic Og==";
        if (body !== null && contentType) headers["content-type"] = contentType;
        if (extraHeader && extraHeader[0] !== "upgrade") headers[extraHeader[0]] = extraHeader[1];
        const canHaveBody = m !== "GET" && m !== "HEAD";
        return {
          method: m,
          path: search ? `${path}?${search}` : path,
          template,
          headers,
          ...(body !== null && canHaveBody ? { body } : {}),
        };
      });
  }
}

describe("requests generated from the OpenAPI document", () => {
  let platform: LocalPlatform;
  let doc: OpenApiDocument;
  useBuiltPlatform(
    (p) => {
      platform = p;
    },
    { env: { webhookAllowedHosts: ["127.0.0.1"] } },
  );
  beforeAll(async () => {
    doc = await buildOpenApiDocument();
  });

  /** What a refused write must leave as it was: the pool's objects of the kind it addressed. */
  async function state(template: string): Promise<string> {
    const kind = template.split("/")[2];
    const read = {
      counters: (name: string) => `/api/counters/${name}`,
      rooms: (name: string) => `/api/rooms/${name}/messages?limit=200`,
      schedulers: (name: string) => `/api/schedulers/${name}/jobs?limit=1000`,
    }[kind ?? ""];
    if (!read) return "";
    const bodies = await Promise.all(POOL.map((name) => readState(new URL(read(name), platform.url))));
    return bodies.join("\n");
  }

  it("answer with no 5xx, refusals in the error envelope, successes as documented, and refusals change nothing", async () => {
    await fc.assert(
      fc.asyncProperty(requests(doc), async (probe) => {
        const url = new URL(platform.url.origin + probe.path);
        const write = probe.method !== "GET" && probe.method !== "HEAD";
        const before = write ? await state(probe.template) : "";
        let res: Awaited<ReturnType<typeof fetchOnce>>;
        try {
          res = await fetchOnce(url, {
            method: probe.method,
            headers: probe.headers,
            ...(probe.body !== undefined ? { body: probe.body } : {}),
            redirect: "manual",
          });
        } catch (error) {
          // A body over the limit is refused (413) before it is read; the server may then close the connection
          // while the client still writes, which the client sees as a reset. Anything else is a failure.
          if (isReset(error) && new TextEncoder().encode(probe.body ?? "").byteLength > MAX_BODY_BYTES)
            return;
          throw error;
        }
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the contract check says whether that is allowed here
        }
        expect(res.status, `${probe.method} ${probe.path}: ${text.slice(0, 300)}`).toBeLessThan(500);
        const problems = await contractProblems(probe.method, url, {
          status: res.status,
          headers: res.headers,
          body,
        });
        expect(problems).toEqual([]);
        if (write && res.status >= 400) {
          expect(await state(probe.template), "a refused request changed state").toBe(before);
        }
      }),
      { numRuns: NUM_RUNS, seed: SEED, endOnFailure: false, verbose: 1 },
    );
  }, 120_000);
});
