import type { Context } from "hono";
import * as v from "valibot";
import { ApiError } from "./errors.ts";

/**
 * A route's query parameters as ONE valibot object schema, used both to parse them (`parseQuery`) and to document
 * them (the route's contract passes the same object as `query`; infra/openapi.ts lists each entry as a parameter,
 * required unless it is `v.optional`, with its default). Each entry is the schema of the decoded value, with the
 * message its refusal says after the parameter's name:
 *
 *   const historyQuery = v.object({
 *     limit: v.optional(intBetween(1, 200), 50),   // "limit must be an integer from 1 to 200 (got "abc")."
 *     before: v.optional(v.pipe(int("must be a message id"), v.minValue(1, "must be a message id"))),
 *   });
 *   const { limit, before } = parseQuery(c, historyQuery);
 *
 * A parameter whose schema is a number is decimal digits in the URL (`?limit=50`), converted before it is checked;
 * every other parameter is checked as the string it is. Parameters the schema does not name are ignored.
 */
export type QuerySchema = v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>;

const DECIMAL = /^-?\d{1,16}$/;

/** Whether a query entry's value is a number (through `v.optional` and a pipe, whose type is its first schema's). */
function isNumber(schema: v.GenericSchema): boolean {
  let inner: v.GenericSchema = schema;
  while (inner.type === "optional" && "wrapped" in inner) inner = inner.wrapped as v.GenericSchema;
  return inner.type === "number";
}

/**
 * The query of `c` parsed with `schema`; anything it refuses is 400 with `code(name)` (default `invalid_<name>`)
 * and one sentence: the parameter's name, its schema's message and what was sent.
 */
export function parseQuery<S extends QuerySchema>(
  c: Context,
  schema: S,
  code: (name: string) => string = (name) => `invalid_${name}`,
): v.InferOutput<S> {
  const raw = c.req.query();
  const input: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(schema.entries)) {
    const value = raw[name];
    // Absent ones too, as undefined: a required one is then refused with its own schema's message.
    input[name] = value !== undefined && isNumber(entry) && DECIMAL.test(value) ? Number(value) : value;
  }
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const name = String(issue.path?.[0]?.key ?? "query");
  throw new ApiError(
    400,
    code(name),
    `${name} ${issue.message} (got ${JSON.stringify((raw[name] ?? "").slice(0, 40))}).`,
  );
}
