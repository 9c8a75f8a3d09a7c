import * as v from "valibot";
import type { Env } from "../../env.ts";
import { strictObject } from "../../http/validation.ts";

/** What an action's `run` gets besides its own parameters. */
export interface ActionContext {
  readonly env: Env;
  readonly jobId: string;
  /**
   * Identifies one run of a job (one due time): the same for every retry of that run, different for the next
   * occurrence of a recurring job. Webhooks send it as `Idempotency-Key`.
   */
  readonly runKey: string;
  /** 1 for the first attempt of a run, 2 for its first retry, ... */
  readonly attempt: number;
}

/** The strict object schema `{type: <type>, ...fields}` of one action. */
export type ActionSchema<Type extends string, Fields extends v.ObjectEntries> = v.StrictObjectSchema<
  { type: v.LiteralSchema<Type, undefined> } & Fields,
  v.ErrorMessage<v.StrictObjectIssue>
>;

/**
 * One kind of job action. `fields` are the action's parameters (besides `type`) as valibot schemas; the
 * registry builds the strict object schema `{type: <type>, ...fields}` from them.
 */
export interface ActionDefinition<Type extends string, Fields extends v.ObjectEntries> {
  readonly type: Type;
  readonly schema: ActionSchema<Type, Fields>;
  /**
   * Checks beyond the schema, some of them depending on the environment (which webhook targets are allowed):
   * a sentence saying what is wrong refuses the job with 400, undefined accepts it. Run at scheduling time and
   * again before every attempt, so a target that stopped being allowed fails instead of being called.
   */
  readonly check?: (action: ActionParams<Fields, Type>, env: Env) => string | undefined;
  /** Does the work. Throwing fails the attempt (retried); throwing PermanentActionError fails the run at once. */
  readonly run: (action: ActionParams<Fields, Type>, ctx: ActionContext) => Promise<void>;
}

/** The validated parameters of an action, `type` included. */
export type ActionParams<Fields extends v.ObjectEntries, Type extends string> = v.InferOutput<
  ActionSchema<Type, Fields>
>;

/** Declares an action: its type, its parameter schemas, optional extra checks and what it does. */
export function defineAction<const Type extends string, Fields extends v.ObjectEntries>(definition: {
  readonly type: Type;
  readonly fields: Fields;
  readonly check?: ActionDefinition<Type, Fields>["check"];
  readonly run: ActionDefinition<Type, Fields>["run"];
}): ActionDefinition<Type, Fields> {
  const { type, fields, check, run } = definition;
  const schema = strictObject({ type: v.literal(type), ...fields }) as ActionSchema<Type, Fields>;
  return check ? { type, schema, check, run } : { type, schema, run };
}

/** A failure that retrying cannot fix (a 404 from a webhook, a counter at its limit): no further attempts. */
export class PermanentActionError extends Error {
  override readonly name = "PermanentActionError";
}
