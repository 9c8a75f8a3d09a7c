import * as z from "zod/mini";
import { stubByName } from "../../http/stubs.ts";
import { nameSchema } from "../../http/validation.ts";
import { defineAction, PermanentActionError } from "./types.ts";

const MAX_STEP = 1_000_000;
const stepError = { error: `must be an integer from 1 to ${MAX_STEP}` };

/** `{"type":"counter.increment","counter":"<name>","by"?: 1..1000000}`: the Counter object's own RPC method. */
export const counterIncrement = defineAction({
  type: "counter.increment",
  fields: {
    counter: nameSchema,
    by: z._default(z.int(stepError).check(z.minimum(1, stepError), z.maximum(MAX_STEP, stepError)), 1),
  },
  async run(action, { env }) {
    const change = await stubByName(env, "COUNTER", action.counter).increment(action.by);
    if (!change.ok) {
      throw new PermanentActionError(
        `counter ${action.counter} refused the increment (${change.code}): it would leave the range of exact integers`,
      );
    }
  },
});
