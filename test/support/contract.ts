import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { buildOpenApiDocument, type OpenApiDocument } from "../../infra/openapi.ts";

/**
 * Checks answers against the OpenAPI document (the API's contract): the status is one the operation lists (or its
 * `default`), the body matches that response's schema, and headers the document marks as the contract's are there.
 * `call()` in test/support/platform.ts runs every answer through this, so every artifact test checks the
 * contract without asking.
 */

type Json = Record<string, any>;
const DOC_ID = "openapi";

let loaded: Promise<{ doc: OpenApiDocument; ajv: Ajv2020 }> | undefined;
const validators = new Map<string, ValidateFunction>();

/** Loads the document and its validators (slow once: done before a suite starts, so no test's timing pays it). */
export async function prepareContract(): Promise<void> {
  const { doc, ajv } = await load();
  for (const item of Object.values(doc.paths)) {
    for (const operation of Object.values(item) as Json[]) {
      for (const response of Object.values(operation.responses) as Json[]) {
        const schema = resolve(doc, response)?.content?.["application/json"]?.schema;
        if (schema) validatorFor(ajv, schema);
      }
    }
  }
}

function load() {
  loaded ??= (async () => {
    const doc = await buildOpenApiDocument();
    const ajv = new Ajv2020({ strict: false, allErrors: false });
    addFormats.default(ajv);
    ajv.addSchema({ $id: DOC_ID, components: doc.components }, DOC_ID);
    return { doc, ajv };
  })();
  return loaded;
}

/** The document's path templates as regular expressions, in matching order (built once per document). */
const templateMatchers = new WeakMap<OpenApiDocument, { template: string; pattern: RegExp }[]>();

/** The OpenAPI path template (`/api/counters/{name}`) that `path` falls under, if any. */
export function matchPath(doc: OpenApiDocument, path: string): string | undefined {
  let matchers = templateMatchers.get(doc);
  if (!matchers) {
    matchers = Object.keys(doc.paths)
      .sort(
        // Literal segments win over parameters (`/by-id/{id}` over `/{name}`), as Hono's router decides.
        (a, b) => a.split("{").length - b.split("{").length,
      )
      .map((template) => {
        const source = template
          .split("/")
          .map((s) => (s.startsWith("{") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
          .join("/");
        return { template, pattern: new RegExp(`^${source}$`) };
      });
    templateMatchers.set(doc, matchers);
  }
  return matchers.find(({ pattern }) => pattern.test(path))?.template;
}

function resolve(doc: OpenApiDocument, node: Json): Json {
  let current = node;
  while (current?.$ref) {
    const parts = String(current.$ref).replace(/^#\//, "").split("/");
    current = parts.reduce((n: any, p) => n?.[p], doc);
  }
  return current;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** Problems of one answer against the document (empty when it conforms). */
export async function contractProblems(method: string, url: string | URL, answer: Answer): Promise<string[]> {
  const { doc, ajv } = await load();
  const { pathname } = new URL(url, "http://x");
  const where = `${method.toUpperCase()} ${pathname} -> ${answer.status}`;
  const template = matchPath(doc, pathname);
  // HEAD is GET without the body (Hono and the 405 Allow list treat it so).
  const verb = method.toUpperCase() === "HEAD" ? "get" : method.toLowerCase();
  const operation = template ? (doc.paths[template]?.[verb] as Json | undefined) : undefined;
  const problems: string[] = [];
  // A HEAD answer has the headers of the GET and no body.
  const head = method.toUpperCase() === "HEAD";
  if (answer.status >= 400) {
    // Every refusal, on any path and method, is the error envelope.
    if (!answer.headers.get("content-type")?.startsWith("application/json")) {
      problems.push(`${where}: a refusal must be JSON, got ${answer.headers.get("content-type")}`);
    }
  }
  if (!operation) {
    if (answer.status < 400) problems.push(`${where}: succeeded on an operation the document does not have`);
    if (problems.length || head) return problems;
    return checkBody(ajv, "#/components/schemas/Error", answer, where);
  }
  const listed = operation.responses[String(answer.status)];
  if (!listed && answer.status < 400) problems.push(`${where}: status not in the document`);
  const response = resolve(doc, listed ?? operation.responses.default);
  for (const name of Object.keys(response?.headers ?? {})) {
    if (answer.status !== 304 && !answer.headers.has(name)) problems.push(`${where}: header ${name} missing`);
  }
  const schema = response?.content?.["application/json"]?.schema;
  if (schema && !head) problems.push(...(await checkBody(ajv, schema, answer, where)));
  return problems;
}

function validatorFor(ajv: Ajv2020, schema: Json | string): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    // Component references point into the document registered under DOC_ID.
    const rooted = JSON.parse(key.replaceAll('"#/components/', `"${DOC_ID}#/components/`));
    validate = ajv.compile(typeof rooted === "string" ? { $ref: rooted } : rooted);
    validators.set(key, validate);
  }
  return validate;
}

async function checkBody(ajv: Ajv2020, schema: Json | string, answer: Answer, where: string) {
  const validate = validatorFor(ajv, schema);
  if (validate(answer.body)) return [];
  return [`${where}: body ${JSON.stringify(answer.body).slice(0, 200)} ${ajv.errorsText(validate.errors)}`];
}

/** Throws when the answer breaks the contract: what `call()` uses. */
export async function assertConforms(method: string, url: string | URL, answer: Answer): Promise<void> {
  const problems = await contractProblems(method, url, answer);
  if (problems.length) throw new Error(`The answer breaks the API contract:\n${problems.join("\n")}`);
}
