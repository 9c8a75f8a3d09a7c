import * as v from "valibot";
import { checkText, USER_PATTERN, USER_RULE } from "../../chat/protocol.ts";
import { stubByName } from "../../http/stubs.ts";
import { nameSchema } from "../../http/validation.ts";
import { defineAction, PermanentActionError } from "./types.ts";

/**
 * `{"type":"chat.post","room":"<name>","text":"...","user"?: "<name>"}`: posts a message into a chat room through
 * the room's own RPC method, so it is stored and broadcast like any other (user "scheduler" unless given).
 */
export const chatPost = defineAction({
  type: "chat.post",
  fields: {
    room: nameSchema,
    text: v.string(),
    user: v.optional(v.pipe(v.string(), v.regex(USER_PATTERN, `must be ${USER_RULE}`)), "scheduler"),
  },
  check(action) {
    const refusal = checkText(action.text);
    return refusal ? `action.text: ${refusal.message}` : undefined;
  },
  async run(action, { env }) {
    const result = await stubByName(env, "CHAT_ROOM", action.room).postAsOperator(action.user, action.text);
    if (!result.ok)
      throw new PermanentActionError(`room ${action.room} refused the message (${result.code})`);
  },
});
