import type * as v from "valibot";
import type { QuerySchema } from "./query.ts";

/**
 * The API contract, described beside each router, so the OpenAPI document (served at /openapi.json) is generated
 * from the very schemas the handlers validate with and cannot drift from them. Every router file exports
 * `contract()`, returning the routes it serves with the valibot schemas that validate their input (the same objects
 * the handlers use) and the schemas of their answers. `infra/openapi.ts` turns them into the OpenAPI document at
 * build time.
 *
 * `contract` is a function on purpose: the worker never calls it, so esbuild drops it and every schema only it
 * uses from the bundle. Only the generated document (a string) ships.
 *
 * THE RULE for a router file: Node imports it at build time, without the workerd runtime. So it imports only types
 * from worker/objects/ (`import type { ... } from "../objects/counter.ts"`) and no `cloudflare:` module; a value
 * the router and its Durable Object share (a limit, a list of states) lives in a plain module beside the class
 * (worker/chat/protocol.ts, worker/scheduler/job-store.ts). The build names the router that breaks the rule.
 */
export interface RouteContract {
  readonly method: "get" | "post" | "delete";
  /** The full path in Hono's syntax (`/api/counters/:name`), exactly as `app.routes` lists it. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /** Path parameters; each is a string schema. */
  readonly params?: Readonly<Record<string, v.GenericSchema>>;
  /** Query parameters: the schema the handler parses them with (worker/http/query.ts); required unless optional. */
  readonly query?: QuerySchema;
  /** A JSON body; `optional` when an empty body is accepted (it means `{}`). */
  readonly body?: { readonly schema: v.GenericSchema; readonly optional?: boolean };
  /** Successful answers by status. */
  readonly ok: Readonly<Record<number, Answer>>;
  /** Refusals the route itself makes (status -> what it means); all use the error envelope. */
  readonly errors?: Readonly<Record<number, string>>;
  /** `Authorization: Bearer <ADMIN_TOKEN>`: adds the bearer scheme, 401 and 503 `admin_not_configured`. */
  readonly admin?: boolean;
  /**
   * A public write (or upgrade) limited per client: adds 429 with Retry-After. Reads under /api/ (their own limit)
   * and admin routes (the attempt limit) get it without asking, as the app's middleware does.
   */
  readonly rateLimited?: boolean;
}

export interface Answer {
  readonly description: string;
  /** JSON body schema; absent for bodies that are not JSON (`contentType` says what they are). */
  readonly schema?: v.GenericSchema;
  readonly contentType?: string;
  /** Response headers that matter to a client (name -> description). */
  readonly headers?: Readonly<Record<string, string>>;
}

export type Contract = () => readonly RouteContract[];

/** Schemas the document names (`#/components/schemas/<name>`) instead of repeating them at every use. */
export const componentNames = new WeakMap<object, string>();

/** Names a schema of the contract, so the document refers to it instead of repeating it. */
export function component<S extends v.GenericSchema>(name: string, schema: S): S {
  componentNames.set(schema, name);
  return schema;
}
