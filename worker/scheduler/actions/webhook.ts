import * as v from "valibot";
import { intBetween, jsonValue, refuseArrays, typeName } from "../../http/validation.ts";
import { ACTION_DEADLINE_MS } from "../limits.ts";
import { redactUrl } from "../redact.ts";
import { describeFetchFailure, edgeStatusMeaning } from "./fetch-failure.ts";
import { defineAction, PermanentActionError } from "./types.ts";
import { webhookTargetProblem } from "./webhook-policy.ts";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
const MAX_URL_CHARS = 2048;
const MAX_HEADERS = 32;
const DEFAULT_TIMEOUT_MS = 10_000;
const MIN_TIMEOUT_MS = 100;
const IDEMPOTENCY_HEADER = "idempotency-key";

// RFC 9110 token characters for names; values without control characters except tab (no CR/LF injection).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
const MAX_HEADER_VALUE_CHARS = 8192;
const isHeaderValue = (value: string) => {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return false;
  }
  return true;
};

/** Statuses worth retrying: the target may recover. Every other non-2xx status fails the run at once. */
const RETRYABLE = (status: number) => status >= 500 || status === 408 || status === 425 || status === 429;

// valibot's record silently drops these keys (they could reach a prototype): they are refused instead, so a job
// never stores fewer headers than it was given.
const UNSAFE_KEYS = ["__proto__", "constructor", "prototype"];
const unsafeKey = (value: unknown) =>
  value && typeof value === "object" ? UNSAFE_KEYS.find((key) => Object.hasOwn(value, key)) : undefined;

const urlError = "must be an absolute URL";
const headersError = (issue: v.BaseIssue<unknown>) =>
  `Invalid input: expected record, received ${typeName(issue.input)}`;

/**
 * `{"type":"webhook","url","method"?,"headers"?,"body"?,"timeoutMs"?}`: one HTTP call per attempt. A string body is
 * sent as is, any other JSON value as JSON. 2xx is success; redirects are not followed.
 */
export const webhook = defineAction({
  type: "webhook",
  fields: {
    url: v.pipe(v.string(urlError), v.url(urlError), v.maxLength(MAX_URL_CHARS)),
    method: v.optional(v.picklist(METHODS, `must be one of ${METHODS.join(", ")}`), "POST"),
    headers: v.optional(
      v.pipe(
        v.unknown(),
        v.check(
          (value) => unsafeKey(value) === undefined,
          (issue) => `${unsafeKey(issue.input)} is not a header name a job can use`,
        ),
        // valibot's record takes an array for an empty object: refused like any other non-object.
        refuseArrays(
          v.record(
            v.pipe(v.string(), v.regex(HEADER_NAME, "must be a valid HTTP header name")),
            v.pipe(
              v.string(),
              v.maxLength(MAX_HEADER_VALUE_CHARS),
              v.check(isHeaderValue, "must be a header value without control characters"),
            ),
            headersError,
          ),
        ),
        v.maxEntries(MAX_HEADERS, `at most ${MAX_HEADERS} headers`),
      ),
    ),
    body: v.optional(jsonValue),
    timeoutMs: v.optional(intBetween(MIN_TIMEOUT_MS, ACTION_DEADLINE_MS), DEFAULT_TIMEOUT_MS),
  },
  check(action, env) {
    const problem = webhookTargetProblem(new URL(action.url), env);
    if (problem) return `action.url: ${problem}`;
    if (action.body !== undefined && action.method === "GET")
      return "action.body: a GET request cannot have a body";
    if (Object.keys(action.headers ?? {}).some((name) => name.toLowerCase() === IDEMPOTENCY_HEADER)) {
      return "action.headers: Idempotency-Key is set by the scheduler (the same for every retry of one run)";
    }
    return undefined;
  },
  async run(action, { runKey }) {
    const headers = new Headers(action.headers);
    let body: string | undefined;
    if (typeof action.body === "string") body = action.body;
    else if (action.body !== undefined) {
      body = JSON.stringify(action.body);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    headers.set(IDEMPOTENCY_HEADER, runKey);
    // Error texts are stored with the job, shown to anyone and logged: they name the target without its secrets.
    const target = `${action.method} ${redactUrl(action.url)}`;
    let response: Response;
    try {
      response = await fetch(action.url, {
        method: action.method,
        headers,
        body,
        // A redirect could lead to a target the policy refuses: never follow one.
        redirect: "manual",
        signal: AbortSignal.timeout(action.timeoutMs),
      });
    } catch (error) {
      throw new Error(`${target} failed: ${describeFetchFailure(error, action.timeoutMs)}`);
    }
    await response.body?.cancel();
    if (response.ok) return;
    const meaning = edgeStatusMeaning(response.status);
    const message = `${target} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}${meaning ? ` (${meaning})` : ""}`;
    if (response.status >= 300 && response.status < 400) {
      throw new PermanentActionError(`${message}: redirects are not followed`);
    }
    if (RETRYABLE(response.status)) throw new Error(message);
    throw new PermanentActionError(message);
  },
});
