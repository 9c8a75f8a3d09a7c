import * as v from "valibot";
import { stubByName } from "../../http/stubs.ts";
import { intBetween, nameSchema } from "../../http/validation.ts";
import { defineAction, PermanentActionError } from "./types.ts";

const MAX_STEP = 1_000_000;

/** `{"type":"counter.increment","counter":"<name>","by"?: 1..1000000}`: the Counter object's own RPC method. */
export const counterIncrement = defineAction({
  type: "counter.increment",
  fields: {
    counter: nameSchema,
    by: v.optional(intBetween(1, MAX_STEP), 1),
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
