import * as v from "valibot";
import { describeIssues, strictObject } from "../http/validation.ts";

/**
 * The chat room's limits and its WebSocket frame protocol (JSON text frames), shared by the Durable Object and the
 * HTTP routes so both refuse exactly the same input.
 */
export const CHAT_LIMITS = {
  /** Largest message text, counted in UTF-8 bytes. */
  maxTextBytes: 4096,
  /** A connection may send at most `rateMessages` frames in any `rateWindowMs`. */
  rateMessages: 20,
  rateWindowMs: 10_000,
  /** Messages a room keeps; older ones are deleted as new ones arrive. */
  historyKept: 1000,
  /**
   * A room with no socket open and no message for this long deletes its storage (its history), so names used once
   * do not keep storage for ever. The next socket or post starts it afresh.
   */
  historyExpiryMs: 30 * 24 * 60 * 60 * 1000,
  /** Messages a `welcome` frame carries: at most this many, and at most `welcomeHistoryBytes` of their JSON. */
  welcomeHistory: 50,
  welcomeHistoryBytes: 32 * 1024,
  /** `GET /api/rooms/:name/messages?limit=N`: default and largest N, and at most `responseBytes` of message JSON. */
  defaultLimit: 50,
  maxLimit: 200,
  responseBytes: 256 * 1024,
  /** Open sockets per room; the next upgrade is refused with 503. */
  maxSockets: 1000,
  /**
   * Open sockets per client per room; the next upgrade is refused with 429. A client is its address as the worker
   * keys every limit (clientKey: `CF-Connecting-IP`, an IPv6 client's /64).
   */
  socketsPerClient: 20,
  /** Open sockets per client across all rooms; the next upgrade is refused with 429 `too_many_sockets`. */
  socketsPerClientTotal: 100,
  /**
   * Largest text frame, in UTF-16 code units as the room receives it: a `message` frame with a text of
   * `maxTextBytes` written with every character escaped (`\u0041`, six characters a byte) in its JSON envelope.
   * Anything longer cannot be valid and closes the socket (1009) before it is parsed.
   */
  maxFrameChars: 6 * 4096 + 1024,
  /** Refused frames (bad JSON, unknown type, bad text, binary) a socket may send per `rateWindowMs`; one more closes it (1008). */
  badFramesPerWindow: 5,
  /**
   * A socket that sent nothing for this long (no frame, no heartbeat) is closed with `IDLE_CLOSE_CODE`. The room
   * checks with an alarm at this interval while it has sockets, so it still hibernates in between.
   */
  idleCloseMs: 120_000,
  /** Presence (who joined and left) goes out at most once per this many ms, in one frame to each socket. */
  presenceIntervalMs: 250,
  /** Names in a `welcome`, in each list of a `presence` frame and in a page of `GET .../members`. */
  namesPerFrame: 100,
} as const;

/** Close code of a socket the room closed for silence (4000-4999 is the application's range; 408 as in HTTP). */
export const IDLE_CLOSE_CODE = 4408;
/** RFC 6455 close codes: a frame too big to process, and a peer that keeps breaking the protocol. */
export const TOO_BIG_CLOSE_CODE = 1009;
export const POLICY_CLOSE_CODE = 1008;

/**
 * The WebSocket subprotocol of the chat. A client may offer it with a second one, `resume-key.<KEY>`, that carries
 * the resume key of its welcome (so the key need not travel in the URL, where request logs keep it); the server
 * answers with `chat` only. `?resumeKey=` in the URL still works.
 */
export const CHAT_SUBPROTOCOL = "chat";
export const RESUME_KEY_SUBPROTOCOL_PREFIX = "resume-key.";

/**
 * What the worker hands the room with an upgrade, in headers it sets itself (a client's own headers of these names
 * never reach the room): the client key every limit uses, the resume key presented (from the subprotocol or the
 * URL), and whether the client offered the chat subprotocol.
 */
export const HANDOFF_HEADERS = {
  client: "x-chat-client",
  resumeKey: "x-chat-resume-key",
  subprotocol: "x-chat-subprotocol",
} as const;

/** User names: 1-32 characters of `A-Z a-z 0-9 _ - .` (plain ASCII, so no look-alike or markup tricks). */
export const USER_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
export const USER_RULE = "1-32 characters of A-Z a-z 0-9 _ - .";

export function isUserName(value: unknown): value is string {
  return typeof value === "string" && USER_PATTERN.test(value);
}

/** A stored chat message as every client sees it (frames and HTTP). `at` is the server's time, ISO 8601 UTC. */
export interface ChatMessage {
  readonly id: number;
  readonly user: string;
  readonly text: string;
  readonly at: string;
}

/** Frames the server sends. */
export type ServerFrame =
  | {
      readonly type: "welcome";
      readonly you: string;
      /** Presented as `?resumeKey=` to open another socket under the same name while this one is present. */
      readonly resumeKey: string;
      /** People in the room (distinct names), you included. */
      readonly count: number;
      /** The first `namesPerFrame` names in sorted order; `GET .../members` pages the rest. */
      readonly members: readonly string[];
      readonly history: readonly ChatMessage[];
    }
  | ({ readonly type: "message" } & ChatMessage)
  | PresenceFrame
  | { readonly type: "error"; readonly code: string; readonly message: string };

/**
 * Who arrived and who left since the last presence frame (each list at most `namesPerFrame` names; `truncated`
 * when more changed than fit), and how many people are in the room now.
 */
export interface PresenceFrame {
  readonly type: "presence";
  readonly joined: readonly string[];
  readonly left: readonly string[];
  readonly count: number;
  readonly truncated?: true;
}

/**
 * The heartbeat. The runtime answers this exact frame itself (`setWebSocketAutoResponse`) without waking a
 * hibernated room; the room answers other spellings of a ping the same way.
 */
export const PING_FRAME = '{"type":"ping"}';
export const PONG_FRAME = '{"type":"pong"}';

/** Why a piece of input was refused: the `code` and `message` of an error frame or a 4xx body. */
export interface Refusal {
  readonly code: string;
  readonly message: string;
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of a string. */
export const byteLength = (text: string): number => utf8.encode(text).byteLength;

/**
 * Text that shows nothing: white space, control characters (NUL...), format characters (zero-width space and
 * joiners, bidi marks, BOM), lone surrogates, default-ignorable code points (variation selectors, Hangul fillers,
 * soft hyphen...) and the braille blank, which fonts draw empty.
 */
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Cc}\p{Cf}\p{Cs}\p{Z}\p{Default_Ignorable_Code_Point}\u2800]*$/u;

/** A UTF-16 code unit that is half of no pair: a lone surrogate, which no UTF-8 text can carry. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether a string is well-formed Unicode (no lone surrogates), so that it is stored and sent back as given. */
export const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);

/**
 * The refusal of text that is not well-formed Unicode. Such text is refused, never repaired: a lone surrogate
 * would be stored as U+FFFD (three UTF-8 bytes for what was measured as one escape), so the text read back would
 * not be the text sent, and could be three times the size limit.
 */
export const ILL_FORMED_TEXT: Refusal = {
  code: "invalid_unicode",
  message: "Text must be well-formed Unicode: it holds a lone surrogate (half of a UTF-16 pair).",
};

/**
 * What a text frame carries when the client sent bytes that are not UTF-8: the runtime decodes frames before the
 * room sees them and puts U+FFFD where the bytes were invalid, so a frame with U+FFFD is refused as invalid UTF-8
 * (the room cannot tell a U+FFFD the client meant from one the runtime put in).
 */
const REPLACEMENT_CHARACTER = "\uFFFD";

/** The text rule of the frame protocol and of `POST .../messages`; undefined when the text is acceptable. */
export function checkText(text: string): Refusal | undefined {
  if (!isWellFormed(text)) return ILL_FORMED_TEXT;
  if (INVISIBLE_ONLY.test(text)) {
    return { code: "empty_text", message: "A message needs some visible text." };
  }
  const bytes = byteLength(text);
  if (bytes > CHAT_LIMITS.maxTextBytes) {
    return {
      code: "text_too_long",
      message: `A message is limited to ${CHAT_LIMITS.maxTextBytes} bytes of UTF-8 text (got ${bytes}).`,
    };
  }
  return undefined;
}

const messageFrame = strictObject({ type: v.literal("message"), text: v.string() });
const pingFrame = strictObject({ type: v.literal("ping") });
const frameSchemas = { message: messageFrame, ping: pingFrame } as const;

export type ClientFrame = v.InferOutput<typeof messageFrame> | v.InferOutput<typeof pingFrame>;

/** Parses one text frame from a client: the frame, or the refusal to send back as an error frame. */
export function parseClientFrame(
  raw: string,
): { readonly ok: true; readonly frame: ClientFrame } | ({ readonly ok: false } & Refusal) {
  if (raw.includes(REPLACEMENT_CHARACTER)) {
    return {
      ok: false,
      code: "invalid_utf8",
      message:
        "A text frame must be valid UTF-8 (frames holding U+FFFD, the mark of invalid bytes, are refused).",
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, code: "invalid_json", message: "A frame must be JSON text." };
  }
  const type = typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined;
  if (typeof type !== "string" || !Object.hasOwn(frameSchemas, type)) {
    return {
      ok: false,
      code: "unknown_type",
      message: `Unknown frame type ${JSON.stringify(type ?? null)?.slice(0, 40)}: send {"type":"message","text":"..."}.`,
    };
  }
  const result = v.safeParse(frameSchemas[type as keyof typeof frameSchemas], value);
  if (!result.success) return { ok: false, code: "invalid_frame", message: describeIssues(result.issues) };
  if (result.output.type === "message") {
    const refusal = checkText(result.output.text);
    if (refusal) return { ok: false, ...refusal };
  }
  return { ok: true, frame: result.output };
}
