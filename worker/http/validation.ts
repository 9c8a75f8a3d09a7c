import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import * as v from "valibot";
import { ApiError } from "./errors.ts";
import { isJsonContentType, unsupportedMediaType } from "./json-only.ts";

/**
 * valibot's object and variant schemas take an array for an object (`[]` would pass as `{}`): this one refuses it
 * (`Invalid input: expected object, received array`) and is otherwise the same schema, so the same type and the
 * same JSON Schema (it inherits everything but `~run`).
 */
export function refuseArrays<S extends v.GenericSchema>(schema: S): S {
  return Object.create(schema, {
    "~run": {
      value(this: S, dataset: v.UnknownDataset, config: v.Config<v.BaseIssue<unknown>>) {
        if (!Array.isArray(dataset.value)) return schema["~run"](dataset, config);
        v._addIssue(this, "type", dataset, config);
        return dataset;
      },
    },
  });
}

/** What the received value is, in the words of the messages below (`array`, not `object`, for `[]`). */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Messages for the issues no schema words itself, in the style the API has always used (zod's English ones):
 * `Invalid input: expected number, received string`, `Too big: expected string to have <=200 characters`. They
 * never quote the received value (it may be long, or a secret).
 */
export function defaultMessage(issue: v.BaseIssue<unknown>): string {
  const { type, requirement } = issue;
  const what = typeof issue.input === "string" ? "string" : "array";
  const unit = what === "string" ? "characters" : "items";
  switch (type) {
    case "max_length":
      return `Too big: expected ${what} to have <=${requirement} ${unit}`;
    case "min_length":
      return `Too small: expected ${what} to have >=${requirement} ${unit}`;
    case "max_value":
      return `Too big: expected number to be <=${requirement}`;
    case "min_value":
      return `Too small: expected number to be >=${requirement}`;
    case "integer":
    case "safe_integer":
      return `Invalid input: expected int, received ${typeName(issue.input)}`;
    case "regex":
      return `Invalid string: must match pattern ${requirement}`;
    case "url":
      return "Invalid URL";
    case "literal":
    case "picklist":
      return `Invalid option: expected one of ${issue.expected}`;
  }
  if (issue.kind === "schema" && issue.expected) {
    return `Invalid input: expected ${issue.expected.toLowerCase()}, received ${typeName(issue.input)}`;
  }
  return "Invalid input";
}

// For every parse (bodies, frames, stored actions), as zod's `z.config(en())` was: valibot's own default messages
// quote the received value ("Expected number but received \"1000\"").
v.setGlobalMessage(defaultMessage);

/**
 * `v.strictObject` that refuses arrays, with the API's words for its key issues: an unknown key is
 * `Unrecognized key: "x"` (said of the object, see `describeIssues`), and a missing one gets what the field's own
 * schema says of `undefined`, so a field's custom message covers its absence too (`url: must be an absolute URL`).
 */
export function strictObject<const Entries extends v.ObjectEntries>(
  entries: Entries,
): v.StrictObjectSchema<Entries, v.ErrorMessage<v.StrictObjectIssue>> {
  return refuseArrays(
    v.strictObject(entries, (issue) => {
      const key = issue.path?.at(-1)?.key;
      if (issue.expected === "never") return `Unrecognized key: ${JSON.stringify(key)}`;
      const field = typeof key === "string" && Object.hasOwn(entries, key) ? entries[key] : undefined;
      return (field && v.safeParse(field, undefined).issues?.[0]?.message) ?? defaultMessage(issue);
    }),
  );
}

/** An integer within ±(2^53-1), which is what JSON numbers carry exactly. */
export const int = (message?: string) => v.pipe(v.number(message), v.safeInteger(message));

/** An integer from `min` to `max`; one message for every way of missing it. */
export function intBetween(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return v.pipe(int(message), v.minValue(min, message), v.maxValue(max, message));
}

/** Names of counters, schedulers and rooms: 1-64 characters of `A-Z a-z 0-9 _ - .` (the public contract). */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export const nameSchema = v.pipe(
  v.string(),
  v.regex(NAME_PATTERN, "must be 1-64 characters of A-Z a-z 0-9 _ - ."),
);

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

/** Whether `value` is JSON data: null, booleans, finite numbers, strings, arrays and plain objects of them. */
function isJsonValue(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item === "string" || typeof item === "boolean") continue;
    if (typeof item === "number" && Number.isFinite(item)) continue;
    if (typeof item !== "object" || depth + 1 > MAX_JSON_DEPTH) return false;
    const prototype = Object.getPrototypeOf(item);
    if (!Array.isArray(item) && prototype !== Object.prototype && prototype !== null) return false;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return true;
}

/**
 * Any JSON value, kept exactly as given: valibot's record and object schemas drop `__proto__`, `constructor` and
 * `prototype` keys, which would silently change what a webhook sends. Iterative, like `exceedsJsonDepth`.
 */
export const jsonValue = v.custom<JsonValue>(
  isJsonValue,
  `must be JSON data nested at most ${MAX_JSON_DEPTH} levels deep`,
);
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Reads and validates a JSON body. An empty body is treated as `{}` when `optional` is set (so
 * `POST /increment` with no body means "by 1"); anything else must be `application/json` and match the schema.
 */
export async function jsonBody<S extends v.GenericSchema>(
  c: Context,
  schema: S,
  options: { optional?: boolean } = {},
): Promise<v.InferOutput<S>> {
  const text = await readBody(c);
  if (text.trim() === "") {
    if (options.optional) return parseWith(schema, {});
    throw new ApiError(400, "missing_body", "This route needs a JSON body.");
  }
  const contentType = c.req.header("content-type") ?? "";
  if (!isJsonContentType(contentType)) throw unsupportedMediaType(contentType);
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
  const illFormed = illFormedStringPath(value);
  if (illFormed !== undefined) {
    throw new ApiError(
      400,
      "invalid_unicode",
      `Strings must be well-formed Unicode: ${illFormed || "the body"} holds a lone surrogate (half of a UTF-16 pair).`,
    );
  }
  return parseWith(schema, value);
}

/** A UTF-16 code unit that is half of no pair (see worker/chat/protocol.ts `isWellFormed`). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The path (`action.body.note`, "" for the body itself) of the first string or key in a JSON value that is not
 * well-formed Unicode, or undefined when every one is. Every string the API stores comes through a JSON body, and
 * a lone surrogate is stored as U+FFFD: refused, so what is read back is what was sent. Iterative (depth is
 * bounded before this runs).
 */
export function illFormedStringPath(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, ""]];
  while (stack.length > 0) {
    const [item, path] = stack.pop()!;
    if (typeof item === "string") {
      if (LONE_SURROGATE.test(item)) return path;
      continue;
    }
    if (item === null || typeof item !== "object") continue;
    for (const [key, child] of Object.entries(item)) {
      const at = path ? `${path}.${key}` : key;
      if (LONE_SURROGATE.test(key)) return at;
      stack.push([child, at]);
    }
  }
  return undefined;
}

/**
 * The body as text. A client that goes away mid-body makes the read throw: that is the client's doing, not a
 * server fault, so it is one log line and a quiet 400 (the client is gone; nobody reads it), never the error
 * boundary's "unhandled error" with a stack (20 aborted bodies were 260 log lines). The body limit's own 413 passes through.
 */
async function readBody(c: Context): Promise<string> {
  let bytes: ArrayBuffer;
  try {
    bytes = await c.req.arrayBuffer();
  } catch (error) {
    if (error instanceof HTTPException || error instanceof ApiError) throw error;
    console.warn(
      `request body aborted: ${c.req.method} ${c.req.path}: ${String((error as Error)?.message ?? error)}`,
    );
    throw new ApiError(400, "body_aborted", "The request body ended before it was complete.");
  }
  try {
    // Fatal: bytes that are not UTF-8 are refused, never replaced by U+FFFD and stored as something else.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError(400, "invalid_json", "The body is not valid UTF-8 JSON.");
  }
}

function parseWith<S extends v.GenericSchema>(schema: S, value: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (!result.success) throw new ApiError(400, "invalid_body", describeIssues(result.issues));
  return result.output;
}

/**
 * One readable sentence from the first issues: `by: must be an integer from 1 to 1000000; text: ...`. An unknown
 * key is said of its object (`action: Unrecognized key: "to"`); a value that fails two checks with one message is
 * named once.
 */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const sentences = issues.map((issue) => {
    const items = issue.path ?? [];
    const unknownKey = issue.expected === "never" && items.at(-1)?.origin === "key";
    const path = (unknownKey ? items.slice(0, -1) : items).map((item) => String(item.key)).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return [...new Set(sentences)].slice(0, 3).join("; ");
}
