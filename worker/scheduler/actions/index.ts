import { chatPost } from "./chat-post.ts";
import { counterIncrement } from "./counter-increment.ts";
import { webhook } from "./webhook.ts";

/**
 * The action registry: every action a job can run. The job body's `action` schema, the lookup at run time and the
 * error listing the known types all derive from this list.
 *
 * To add an action: create `worker/scheduler/actions/<type>.ts` exporting `defineAction({ type, fields, check?, run })`
 * (see counter-increment.ts for the smallest one) and add it to this list. Nothing else changes.
 */
export const actions = [counterIncrement, webhook, chatPost] as const;
