import * as v from "valibot";
import type { Env } from "../env.ts";
import { defaultMessage, describeIssues, refuseArrays } from "../http/validation.ts";
import { actions } from "./actions/index.ts";
import { type ActionContext, PermanentActionError } from "./actions/types.ts";
import { MAX_ACTION_BYTES } from "./limits.ts";

// Mapped over a type parameter so that TypeScript keeps the tuple: variant needs one.
type SchemasOf<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: T[K] extends { schema: infer S } ? S : never;
};
type Schemas = SchemasOf<typeof actions>;

export const ACTION_TYPES: readonly string[] = actions.map((action) => action.type);

/** The `action` of a job body: one of the registry's schemas, chosen by `type`. */
export const actionSchema = refuseArrays(
  v.variant(
    "type",
    actions.map((action) => action.schema) as unknown as Schemas,
    // The issue of an unknown or missing `type` has a path (to `type`); one of a value that is no object has none.
    (issue) => (issue.path ? `must be one of ${ACTION_TYPES.join(", ")}` : defaultMessage(issue)),
  ),
);

/** A validated action as a job stores it (defaults filled in). */
export type JobAction = v.InferOutput<typeof actionSchema>;

type AnyDefinition = {
  readonly type: string;
  readonly schema: v.GenericSchema;
  readonly check?: (action: never, env: Env) => string | undefined;
  readonly run: (action: never, ctx: ActionContext) => Promise<void>;
};
const byType = new Map<string, AnyDefinition>(actions.map((action) => [action.type, action]));

export type ActionCheck =
  | { readonly ok: true; readonly action: JobAction }
  | { readonly ok: false; readonly code: "invalid_action" | "payload_too_large"; readonly message: string };

/** Validates an action completely: its schema, its size and its own checks (which may depend on the environment). */
export function checkAction(raw: unknown, env: Env): ActionCheck {
  const parsed = v.safeParse(actionSchema, raw);
  if (!parsed.success) return { ok: false, code: "invalid_action", message: describeIssues(parsed.issues) };
  const bytes = new TextEncoder().encode(JSON.stringify(parsed.output)).byteLength;
  if (bytes > MAX_ACTION_BYTES) {
    return {
      ok: false,
      code: "payload_too_large",
      message: `The action is ${bytes} bytes of JSON; at most ${MAX_ACTION_BYTES} are allowed.`,
    };
  }
  const definition = byType.get(parsed.output.type)!;
  const problem = definition.check?.(parsed.output as never, env);
  if (problem) return { ok: false, code: "invalid_action", message: problem };
  return { ok: true, action: parsed.output };
}

/**
 * Runs a stored action. It is validated again first: an action type removed from the registry, or a target the
 * policy no longer allows, fails the run permanently instead of running something unchecked.
 */
export async function runAction(stored: unknown, env: Env, ctx: ActionContext): Promise<void> {
  const checked = checkAction(stored, env);
  if (!checked.ok) throw new PermanentActionError(checked.message);
  const definition = byType.get(checked.action.type)!;
  await definition.run(checked.action as never, ctx);
}
