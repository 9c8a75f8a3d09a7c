import type { Context } from "hono";
import { Hono } from "hono/tiny";
import * as v from "valibot";
import {
  CHAT_LIMITS,
  CHAT_SUBPROTOCOL,
  HANDOFF_HEADERS,
  IDLE_CLOSE_CODE,
  POLICY_CLOSE_CODE,
  RESUME_KEY_SUBPROTOCOL_PREFIX,
  TOO_BIG_CLOSE_CODE,
  USER_PATTERN,
  USER_RULE,
} from "../chat/protocol.ts";
import type { AppEnv } from "../http/app-env.ts";
import { clientKey } from "../http/client-key.ts";
import { component, type RouteContract } from "../http/contract.ts";
import { ApiError } from "../http/errors.ts";
import { publicWrite } from "../http/guards.ts";
import { parseQuery } from "../http/query.ts";
import { stubByName } from "../http/stubs.ts";
import { int, intBetween, jsonBody, nameParam, nameSchema, strictObject } from "../http/validation.ts";

/**
 * `{"user","text","resumeKey"?}`; the text rules (not empty, at most 4 KiB) are the room's, so frames and HTTP
 * agree. A user present in the room must send the resume key of their welcome (here or in a `Resume-Key` header).
 */
const postBody = strictObject({
  user: v.pipe(v.string(), v.regex(USER_PATTERN, `must be ${USER_RULE}`)),
  text: v.string(),
  resumeKey: v.optional(v.pipe(v.string(), v.maxLength(64))),
});

/** The header that may carry the resume key of a post instead of the body. */
const RESUME_KEY_HEADER = "resume-key";

/** Subprotocols a client offered (`Sec-WebSocket-Protocol`, comma-separated tokens). */
const offeredSubprotocols = (c: Context) =>
  (c.req.header("sec-websocket-protocol") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");

/**
 * The resume key an upgrade presents: from the `resume-key.<KEY>` subprotocol (preferred: it stays out of the URL
 * and so out of request logs), else from `?resumeKey=` (kept for older clients).
 */
function presentedResumeKey(c: Context): string {
  const offered = offeredSubprotocols(c).find((p) => p.startsWith(RESUME_KEY_SUBPROTOCOL_PREFIX));
  return offered?.slice(RESUME_KEY_SUBPROTOCOL_PREFIX.length) ?? c.req.query("resumeKey") ?? "";
}

const MESSAGE_ID = "must be a message id, a positive integer";

/** `?limit=&before=` of the history: the newest `limit`, or those older than the message id `before`. */
const historyQuery = v.object({
  limit: v.optional(intBetween(1, CHAT_LIMITS.maxLimit), CHAT_LIMITS.defaultLimit),
  before: v.optional(v.pipe(int(MESSAGE_ID), v.minValue(1, MESSAGE_ID))),
});

/** `?cursor=NAME`: the `next` of the previous page of members (a user name); absent = the first page. */
const membersQuery = v.object({
  cursor: v.optional(v.pipe(v.string(), v.regex(USER_PATTERN, 'must be the "next" of a previous page'))),
});

/** `?user=NAME&resumeKey=`: who joins; `resumeKey` (or its subprotocol) takes the name back on another socket. */
const joinQuery = v.object({
  user: v.pipe(v.string(`must be ${USER_RULE}`), v.regex(USER_PATTERN, `must be ${USER_RULE}`)),
  resumeKey: v.optional(v.string()),
});

export const rooms = new Hono<AppEnv>()
  .get("/:name/ws", publicWrite, async (c) => {
    const name = nameParam(c);
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(
        426,
        "upgrade_required",
        "This route expects a WebSocket upgrade (Upgrade: websocket).",
        { Upgrade: "websocket" },
      );
    }
    const { user } = parseQuery(c, joinQuery);
    // Without these the runtime refuses the upgrade itself, in plain text: answer the contract's JSON instead.
    if (!c.req.header("sec-websocket-key") || c.req.header("sec-websocket-version") !== "13") {
      throw new ApiError(
        400,
        "bad_upgrade",
        "A WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13 (RFC 6455).",
      );
    }
    // The room gets only what it needs, in headers the worker sets (a client's own headers of these names are not
    // passed on): the user in the URL, the client key every limit uses, the resume key. The resume key never
    // travels on in a URL, and no compression extension is offered to the room.
    const url = new URL(c.req.url);
    url.search = new URLSearchParams({ user }).toString();
    const headers = new Headers({
      Upgrade: "websocket",
      [HANDOFF_HEADERS.client]: clientKey(c),
      [HANDOFF_HEADERS.resumeKey]: presentedResumeKey(c),
    });
    if (offeredSubprotocols(c).includes(CHAT_SUBPROTOCOL))
      headers.set(HANDOFF_HEADERS.subprotocol, CHAT_SUBPROTOCOL);
    // The room answers 101 with the socket, or as the contract's JSON: 503 `room_full`, 429 `too_many_sockets`,
    // 409 `name_taken`.
    const res = await stubByName(c.env, "CHAT_ROOM", name).fetch(url, { headers });
    if (res.status !== 101 || !res.webSocket) return res;
    // The client's socket is accepted by this response: refuse permessage-deflate here too (an empty
    // Sec-WebSocket-Extensions is the runtime's way to say so), and answer the chat subprotocol if offered.
    const answer = new Headers({ "Sec-WebSocket-Extensions": "" });
    const protocol = res.headers.get("Sec-WebSocket-Protocol");
    if (protocol) answer.set("Sec-WebSocket-Protocol", protocol);
    return new Response(null, { status: 101, webSocket: res.webSocket, headers: answer });
  })
  .get("/:name/messages", async (c) => {
    const name = nameParam(c);
    const { limit, before } = parseQuery(c, historyQuery);
    const messages = await stubByName(c.env, "CHAT_ROOM", name).history(limit, before ? { before } : {});
    return c.json({ room: name, messages });
  })
  .get("/:name/members", async (c) => {
    const name = nameParam(c);
    const { cursor: after } = parseQuery(c, membersQuery);
    return c.json({ room: name, ...(await stubByName(c.env, "CHAT_ROOM", name).members(after)) });
  })
  .post("/:name/messages", publicWrite, async (c) => {
    const name = nameParam(c);
    const { user, text, resumeKey } = await jsonBody(c, postBody);
    const key = resumeKey ?? c.req.header(RESUME_KEY_HEADER);
    const result = await stubByName(c.env, "CHAT_ROOM", name).post(user, text, key);
    if (!result.ok) throw new ApiError(result.code === "name_taken" ? 409 : 400, result.code, result.message);
    return c.json(result.message, 201);
  });

/** The contract of these routes (see worker/http/contract.ts; never called by the worker). */
export function contract(): RouteContract[] {
  const params = { name: nameSchema };
  const message = component(
    "Message",
    v.object({ id: int(), user: v.string(), text: v.string(), at: v.string() }),
  );
  const tag = "rooms";
  return [
    {
      method: "get",
      path: "/api/rooms/:name/ws",
      summary: "Join the room over a WebSocket",
      description:
        "Upgrade with `Upgrade: websocket` (and `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`). A name in use " +
        "takes another socket only with the resume key from its own welcome: offer the subprotocols " +
        `\`${CHAT_SUBPROTOCOL}\` and \`${RESUME_KEY_SUBPROTOCOL_PREFIX}<KEY>\` (preferred: the key stays out of the URL and ` +
        "request logs; the server answers `chat`), or add `?resumeKey=`. No compression extension is negotiated. " +
        `A frame longer than ${CHAT_LIMITS.maxFrameChars} characters closes the socket (${TOO_BIG_CLOSE_CODE}); ` +
        `more than ${CHAT_LIMITS.badFramesPerWindow} refused frames in ${CHAT_LIMITS.rateWindowMs / 1000} s close it ` +
        `(${POLICY_CLOSE_CODE}). Frames are JSON text. Client: ` +
        `\`{"type":"message","text"}\` (text not blank, at most ${CHAT_LIMITS.maxTextBytes} UTF-8 bytes; ` +
        `${CHAT_LIMITS.rateMessages} frames per ${CHAT_LIMITS.rateWindowMs / 1000} s), ` +
        '`{"type":"ping"}` (answered `{"type":"pong"}`). Server: ' +
        '`{"type":"welcome","you","resumeKey","count","members":[...],"history":[message]}` (members: the first ' +
        `${CHAT_LIMITS.namesPerFrame} names; GET .../members pages the rest), ` +
        '`{"type":"message","id","user","text","at"}`, ' +
        '`{"type":"presence","joined":[...],"left":[...],"count"}` (at most one per ' +
        `${CHAT_LIMITS.presenceIntervalMs} ms; \`"truncated":true\` when more changed than it names), ` +
        '`{"type":"error","code","message"}`. ' +
        `A socket silent for ${CHAT_LIMITS.idleCloseMs / 1000} s is closed with code ${IDLE_CLOSE_CODE}.`,
      tag,
      params,
      query: joinQuery,
      ok: { 101: { description: "Switching protocols: the socket." } },
      errors: {
        409: "`name_taken`: someone else is in the room under this name (no matching `resumeKey`).",
        426: "`upgrade_required`: not a WebSocket upgrade.",
        429:
          "`rate_limited` (with Retry-After): too many writes from this client; or `too_many_sockets`: this " +
          `client holds ${CHAT_LIMITS.socketsPerClient} sockets in the room.`,
        503: `\`room_full\`: the room has ${CHAT_LIMITS.maxSockets} sockets.`,
      },
      rateLimited: true,
    },
    {
      method: "get",
      path: "/api/rooms/:name/messages",
      summary: "Recent messages, oldest first",
      tag,
      params,
      query: historyQuery,
      ok: {
        200: {
          description: `The newest \`limit\` (default ${CHAT_LIMITS.defaultLimit}) messages, or those older than the message id \`before\`.`,
          schema: v.object({ room: v.string(), messages: v.array(message) }),
        },
      },
    },
    {
      method: "get",
      path: "/api/rooms/:name/members",
      summary: "Who is in the room, one page of names at a time",
      tag,
      params,
      query: membersQuery,
      ok: {
        200: {
          description: `Everyone present is counted; at most ${CHAT_LIMITS.namesPerFrame} names per page, sorted. Follow \`next\` (as \`cursor\`) while it is not null.`,
          schema: v.object({
            room: v.string(),
            count: v.pipe(int(), v.minValue(0)),
            members: v.array(v.string()),
            next: v.nullable(v.string()),
          }),
        },
      },
    },
    {
      method: "post",
      path: "/api/rooms/:name/messages",
      summary: "Post a message (as a socket would)",
      tag,
      params,
      body: { schema: postBody },
      ok: { 201: { description: "The stored message.", schema: message } },
      errors: {
        409:
          "`name_taken`: someone of this name is in the room; send the `resumeKey` of their welcome (in the body or " +
          "a `Resume-Key` header) to post as them.",
      },
      rateLimited: true,
    },
  ];
}
