import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as z from "zod/mini";
import { componentNames, type RouteContract } from "../worker/http/contract.ts";

/**
 * Builds the OpenAPI 3.1 document from the contracts every router file exports (`contract()`, see
 * worker/http/contract.ts). zod 4 converts the schemas itself (`z.toJSONSchema`, JSON Schema 2020-12, which is
 * OpenAPI 3.1's dialect), so the request schemas the handlers validate with are the document's schemas.
 * Runs in Node at build time only.
 */

export const ROUTES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../worker/routes");

/** Every route contract, from every `worker/routes/*.ts` that exports `contract`. */
export async function loadContracts(dir = ROUTES_DIR): Promise<RouteContract[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".ts")).sort();
  const routes: RouteContract[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(dir, file)).href)) as {
      contract?: () => RouteContract[];
    };
    if (module.contract) routes.push(...module.contract());
  }
  return routes;
}

type Json = Record<string, unknown>;

/** Named schemas met while converting (see `component` in worker/http/contract.ts), by name and direction. */
type Components = Map<string, Json>;

function jsonSchema(schema: z.ZodMiniType, io: "input" | "output", components: Components): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema: s }) => {
      // The document ships inside the worker (at most 2 KB gzip): drop what says nothing a client needs.
      // z.int()'s implied ±2^53-1 bounds:
      if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
      if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
      // the 400-character regex zod adds to `format: date-time` (the format says it):
      if (s.format === "date-time") delete s.pattern;
      const name = componentNames.get(zodSchema);
      if (name) {
        // Input and output of one schema differ (defaults), so each direction has its own component.
        const key = io === "input" ? `${name}Input` : name;
        components.set(key, { ...s });
        for (const k of Object.keys(s)) delete s[k];
        s.$ref = `#/components/schemas/${key}`;
      }
    },
  });
  // Recursive schemas (a webhook's JSON body) come with local `$defs`; in OpenAPI a `#/...` reference points to the
  // document's root, so they move to the document's components.
  const { $defs, ...schemaOnly } = rest as Json & { $defs?: Record<string, Json> };
  if (!$defs) return schemaOnly;
  let text = JSON.stringify(schemaOnly);
  let defsText = JSON.stringify($defs);
  for (const local of Object.keys($defs)) {
    const base = `Json${local.replace(/\W/g, "")}`;
    let name = base;
    for (
      let i = 2;
      components.has(name) && JSON.stringify(components.get(name)) !== JSON.stringify($defs[local]);
      i++
    ) {
      name = `${base}_${i}`;
    }
    const from = `"#/$defs/${local}"`;
    const to = `"#/components/schemas/${name}"`;
    text = text.replaceAll(from, to);
    defsText = defsText.replaceAll(from, to);
    components.set(name, JSON.parse(defsText)[local]);
  }
  return JSON.parse(text);
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
    ...Object.entries(route.query ?? {}).map(([name, schema]) => ({
      name,
      in: "query",
      ...(route.requiredQuery?.includes(name) ? { required: true } : {}),
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
  options: { version?: string; routes?: RouteContract[] } = {},
): Promise<OpenApiDocument> {
  const routes = options.routes ?? (await loadContracts());
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
