import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type JsonSchema, toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { componentNames, type RouteContract } from "../worker/http/contract.ts";
import { jsonValue } from "../worker/http/validation.ts";

/**
 * Builds the OpenAPI 3.1 document from the contracts every router file exports (`contract()`, see
 * worker/http/contract.ts). `@valibot/to-json-schema` converts the valibot schemas (JSON Schema 2020-12, which is
 * OpenAPI 3.1's dialect), so the request schemas the handlers validate with are the document's schemas.
 * Runs in Node at build time only.
 */

export const ROUTES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../worker/routes");

/**
 * Every route contract, from every `worker/routes/*.ts` that exports `contract`. Node imports each router here,
 * without the workerd runtime: a router that imports a value from a Durable Object module (which imports
 * `cloudflare:workers`) cannot load, and the error says which file and what the rule is (worker/http/contract.ts).
 */
export async function loadContracts(dir = ROUTES_DIR): Promise<RouteContract[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".ts")).sort();
  const routes: RouteContract[] = [];
  for (const file of files) {
    let module: { contract?: () => RouteContract[] };
    try {
      module = (await import(pathToFileURL(path.join(dir, file)).href)) as typeof module;
    } catch (error) {
      const where = path.relative(path.resolve(ROUTES_DIR, "../.."), path.join(dir, file));
      throw new Error(
        `${where} cannot be loaded in Node (${(error as Error).message.split("\n")[0]}): a router is read at build ` +
          "time for its contract, without the workerd runtime, so it may import only types from worker/objects/ " +
          "(`import type`) and no `cloudflare:` module; move a value it needs into a plain module beside the class " +
          "(as worker/chat/protocol.ts holds the chat room's limits).",
      );
    }
    if (module.contract) routes.push(...module.contract());
  }
  return routes;
}

type Json = Record<string, unknown>;

/** Named schemas met while converting (see `component` in worker/http/contract.ts), by name and direction. */
type Components = Map<string, Json>;

const JSON_REF = { $ref: "#/components/schemas/Json" };

/**
 * Schemas valibot cannot convert (a custom check), with the JSON Schema that says what they accept: any JSON value,
 * the same in both directions.
 */
const CUSTOM = new Map<unknown, { readonly name: string; readonly schema: Json }>([
  [
    jsonValue,
    {
      name: "Json",
      schema: {
        anyOf: [
          { type: "string" },
          { type: "number" },
          { type: "boolean" },
          { type: "null" },
          { type: "array", items: JSON_REF },
          { type: "object", propertyNames: { type: "string" }, additionalProperties: JSON_REF },
        ],
      },
    },
  ],
]);

function jsonSchema(schema: v.GenericSchema, io: "input" | "output", components: Components): Json {
  const { $schema: _, ...rest } = toJsonSchema(schema, {
    target: "draft-2020-12",
    typeMode: io,
    // Called for every schema that is not a pipe (a pipe's first schema is converted, then its actions).
    overrideSchema: ({ valibotSchema, jsonSchema: s }) => {
      const custom = CUSTOM.get(valibotSchema);
      if (custom) {
        components.set(custom.name, custom.schema);
        return { $ref: `#/components/schemas/${custom.name}` };
      }
      // A literal's JSON type, which valibot leaves to `const`.
      if (valibotSchema.type === "literal" && "const" in s) s.type = typeof s.const as "string";
      if (s.type === "object" && s.required?.length === 0) delete s.required;
      // An answer has exactly the fields its object schema lists (a request is checked by the worker anyway).
      if (io === "output" && valibotSchema.type === "object") s.additionalProperties = false;
      // A loose object says so (other fields are allowed), as a strict one does.
      if (valibotSchema.type === "loose_object") s.additionalProperties = {};
      // `{"anyOf":[{"type":"string"},{"type":"null"}]}` is `{"type":["string","null"]}`.
      const [first, second, ...more] = s.anyOf ?? [];
      const simple = (x: unknown): x is JsonSchema =>
        !!x && typeof x === "object" && Object.keys(x).join() === "type";
      if (valibotSchema.type === "nullable" && simple(first) && simple(second) && second.type === "null") {
        if (!more.length && typeof first.type === "string") return { type: [first.type, "null"] };
      }
      const name = componentNames.get(valibotSchema);
      if (!name) return undefined;
      // Input and output of one schema may differ (defaults), so each direction has its own component.
      const key = io === "input" ? `${name}Input` : name;
      components.set(key, { ...s });
      return { $ref: `#/components/schemas/${key}` };
    },
    overrideAction: ({ valibotAction, jsonSchema: s }) => {
      // Refinements (`v.check`) say nothing JSON Schema can; the worker checks them.
      if (valibotAction.type === "check") return s;
      // The document ships beside the worker: drop what says nothing a client needs.
      // The ±2^53-1 bounds every exact integer has (v.safeInteger):
      if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
      if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
      // the 400-character pattern of an ISO date-time (the format says it):
      if (s.format === "date-time") delete s.pattern;
      return undefined;
    },
  });
  return rest as Json;
}

/** `/api/counters/:name` -> `/api/counters/{name}`. */
export const openapiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const json = (schema: unknown) => ({ "application/json": { schema } });
const errorResponse = (description: string) => ({ $ref: "#/components/responses/Error", description });

function operation(route: RouteContract, components: Components): Json {
  const parameters = [
    ...Object.entries(route.params ?? {}).map(([name, schema]) => ({
      name,
      in: "path",
      required: true,
      schema: jsonSchema(schema, "input", components),
    })),
    ...Object.entries(route.query?.entries ?? {}).map(([name, schema]) => ({
      name,
      in: "query",
      ...(schema.type === "optional" ? {} : { required: true }),
      schema: jsonSchema(schema, "input", components),
    })),
  ];
  const responses: Json = {};
  for (const [status, answer] of Object.entries(route.ok)) {
    const headers = Object.fromEntries(
      Object.entries(answer.headers ?? {}).map(([name, description]) => [
        name,
        { description, schema: { type: "string" } },
      ]),
    );
    responses[status] = {
      description: answer.description,
      ...(Object.keys(headers).length ? { headers } : {}),
      ...(answer.schema
        ? { content: json(jsonSchema(answer.schema, "output", components)) }
        : answer.contentType
          ? { content: { [answer.contentType]: {} } }
          : {}),
    };
  }
  const shared = (name: string) => ({ $ref: `#/components/responses/${name}` });
  // What worker/app.ts's middleware in front of every /api/ route adds: writes (any method but GET) and WebSocket
  // upgrades from another origin are refused (403); a write's body must be JSON (415) and at most 64 KiB (413);
  // reads (GETs that are not upgrades) spend the per-client read limit (429).
  const api = route.path.startsWith("/api/");
  const write = route.method !== "get";
  const upgrade = 101 in route.ok;
  if (parameters.length || route.body) responses[400] = shared("BadRequest");
  if (route.admin) {
    responses[401] = shared("Unauthorized");
    responses[503] = shared("AdminDisabled");
  }
  if (api && (write || upgrade)) responses[403] = shared("ForbiddenOrigin");
  if (route.body || (api && write)) {
    responses[413] = shared("TooLarge");
    responses[415] = shared("NotJson");
  }
  // Public writes and upgrades spend the write limit, admin routes an attempt when they present a credential.
  if (route.rateLimited || route.admin || (api && !write && !upgrade)) responses[429] = shared("RateLimited");
  for (const [status, description] of Object.entries(route.errors ?? {})) {
    responses[status] = errorResponse(description);
  }
  responses.default = shared("Error");
  return {
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.admin ? { security: [{ admin: [] }] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: !route.body.optional,
            content: json(jsonSchema(route.body.schema, "input", components)),
          },
        }
      : {}),
    responses,
  };
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Json>>;
  readonly [key: string]: unknown;
}

/** The document for these routes (default: every router's contract). */
export async function buildOpenApiDocument(
  options: { version?: string; routes?: RouteContract[]; routesDir?: string } = {},
): Promise<OpenApiDocument> {
  const routes = options.routes ?? (await loadContracts(options.routesDir));
  const paths: Record<string, Record<string, Json>> = {};
  const components: Components = new Map();
  for (const route of routes) {
    const key = openapiPath(route.path);
    const item = paths[key] ?? {};
    paths[key] = item;
    if (item[route.method])
      throw new Error(`Two contracts describe ${route.method.toUpperCase()} ${route.path}`);
    item[route.method] = operation(route, components);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "do-platform",
      version: options.version ?? "0.1.0",
      description:
        'Every refusal is JSON: `{"error":{"code","message"}}`. Names are 1-64 of `A-Za-z0-9_.-`. ' +
        "Reads and writes under /api/ are rate limited per client (429, Retry-After). No path ends in a slash " +
        "(404). Writes and WebSocket upgrades from another origin are refused (403 `forbidden_origin`).",
    },
    components: {
      securitySchemes: { admin: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret." } },
      schemas: {
        ...Object.fromEntries([...components].sort(([a], [b]) => a.localeCompare(b))),
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: { code: { type: "string" }, message: { type: "string" } },
            },
          },
        },
      },
      responses: {
        Error: { description: "Refused.", content: json(ERROR_REF) },
        BadRequest: {
          description:
            "Invalid input; for a body also `invalid_body` (JSON nested deeper than 64 levels) and `body_aborted` " +
            "(the client stopped sending it).",
          content: json(ERROR_REF),
        },
        ForbiddenOrigin: {
          description: "`forbidden_origin`: a write or upgrade from a page on another origin.",
          content: json(ERROR_REF),
        },
        TooLarge: { description: "Body over 64 KiB.", content: json(ERROR_REF) },
        NotJson: { description: "Body not application/json.", content: json(ERROR_REF) },
        AdminDisabled: {
          description: "`admin_not_configured`: no ADMIN_TOKEN here.",
          content: json(ERROR_REF),
        },
        Unauthorized: {
          description: "`unauthorized`: no or wrong bearer token.",
          headers: { "WWW-Authenticate": { schema: { type: "string" } } },
          content: json(ERROR_REF),
        },
        RateLimited: {
          description: "`rate_limited`: too many reads, writes or admin attempts from this client.",
          headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } } },
          content: json(ERROR_REF),
        },
      },
    },
    paths,
  };
}
