import * as z from "zod/mini";
import { describeIssues } from "../http/validation.ts";

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
  /** Messages a `welcome` frame carries. */
  welcomeHistory: 50,
  /** `GET /api/rooms/:name/messages?limit=N`: default and largest N. */
  defaultLimit: 50,
  maxLimit: 200,
  /** Open sockets per room; the next upgrade is refused with 503. */
  maxSockets: 1000,
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
      readonly members: readonly string[];
      readonly history: readonly ChatMessage[];
    }
  | ({ readonly type: "message" } & ChatMessage)
  | { readonly type: "join" | "leave"; readonly user: string }
  | { readonly type: "error"; readonly code: string; readonly message: string };

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

/** The text rule of the frame protocol and of `POST .../messages`; undefined when the text is acceptable. */
export function checkText(text: string): Refusal | undefined {
  if (text.trim() === "") return { code: "empty_text", message: "A message needs some text." };
  const bytes = utf8.encode(text).byteLength;
  if (bytes > CHAT_LIMITS.maxTextBytes) {
    return {
      code: "text_too_long",
      message: `A message is limited to ${CHAT_LIMITS.maxTextBytes} bytes of UTF-8 text (got ${bytes}).`,
    };
  }
  return undefined;
}

const messageFrame = z.strictObject({ type: z.literal("message"), text: z.string() });
const pingFrame = z.strictObject({ type: z.literal("ping") });
const frameSchemas = { message: messageFrame, ping: pingFrame } as const;

export type ClientFrame = z.output<typeof messageFrame> | z.output<typeof pingFrame>;

/** Parses one text frame from a client: the frame, or the refusal to send back as an error frame. */
export function parseClientFrame(
  raw: string,
): { readonly ok: true; readonly frame: ClientFrame } | ({ readonly ok: false } & Refusal) {
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
  const result = frameSchemas[type as keyof typeof frameSchemas].safeParse(value);
  if (!result.success) return { ok: false, code: "invalid_frame", message: describeIssues(result.error) };
  if (result.data.type === "message") {
    const refusal = checkText(result.data.text);
    if (refusal) return { ok: false, ...refusal };
  }
  return { ok: true, frame: result.data };
}
