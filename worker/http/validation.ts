import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { ApiError } from "./errors.ts";
import { JSON_CONTENT_TYPE, unsupportedMediaType } from "./json-only.ts";

// English messages for the issues no schema words itself; zod/mini ships none by default (keeps the bundle small).
z.config(en());

/** Names of counters, schedulers and rooms: 1-64 characters of `A-Z a-z 0-9 _ - .` (the public contract). */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export const nameSchema = z
  .string()
  .check(z.regex(NAME_PATTERN, { error: "must be 1-64 characters of A-Z a-z 0-9 _ - ." }));

/** Validates a path segment named `param` against the name rule; 400 `invalid_name` otherwise. */
export function nameParam(c: Context, param = "name"): string {
  const value = c.req.param(param) ?? "";
  if (!NAME_PATTERN.test(value)) {
    throw new ApiError(
      400,
      "invalid_name",
      `Invalid ${param} ${JSON.stringify(value.slice(0, 80))}: use 1-64 characters of A-Z a-z 0-9 _ - .`,
    );
  }
  return value;
}

/**
 * Deepest nesting of arrays and objects any JSON body may have (a scalar is depth 0, `{}` and `[]` are 1).
 * Deeper values are refused before anything reaches a Durable Object: RPC serialization (and recursive validators)
 * overflow the stack on a few KB of `[[[[...]]]]`, which would be a 500.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests arrays/objects deeper than `max` levels. Iterative, so it cannot overflow itself. */
export function exceedsJsonDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Reads and validates a JSON body. An empty body is treated as `{}` when `optional` is set (so
 * `POST /increment` with no body means "by 1"); anything else must be `application/json` and match the schema.
 */
export async function jsonBody<S extends z.ZodMiniType>(
  c: Context,
  schema: S,
  options: { optional?: boolean } = {},
): Promise<z.output<S>> {
  const text = await readBody(c);
  if (text.trim() === "") {
    if (options.optional) return parseWith(schema, {});
    throw new ApiError(400, "missing_body", "This route needs a JSON body.");
  }
  const contentType = c.req.header("content-type") ?? "";
  if (!JSON_CONTENT_TYPE.test(contentType)) throw unsupportedMediaType(contentType);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json", "The body is not valid JSON.");
  }
  if (exceedsJsonDepth(value)) {
    throw new ApiError(
      400,
      "invalid_body",
      `The body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`,
    );
  }
  return parseWith(schema, value);
}

/**
 * The body as text. A client that goes away mid-body makes the read throw: that is the client's doing, not a
 * server fault, so it is one log line and a quiet 400 (the client is gone; nobody reads it), never the error
 * boundary's "unhandled error" with a stack (issue 18, item 11). The body limit's own 413 passes through.
 */
async function readBody(c: Context): Promise<string> {
  try {
    return await c.req.text();
  } catch (error) {
    if (error instanceof HTTPException || error instanceof ApiError) throw error;
    console.warn(
      `request body aborted: ${c.req.method} ${c.req.path}: ${String((error as Error)?.message ?? error)}`,
    );
    throw new ApiError(400, "body_aborted", "The request body ended before it was complete.");
  }
}

function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ApiError(400, "invalid_body", describeIssues(result.error));
  return result.data;
}

/** One readable sentence from zod's issues: `by: expected an integer from 1 to 1000000`. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}
