import { afterEach, describe, expect, it } from "vitest";
import { CHAT_LIMITS, POLICY_CLOSE_CODE, TOO_BIG_CLOSE_CODE } from "../../worker/chat/protocol.ts";
import { closeAll, connect } from "./support/chat-client.ts";

afterEach(closeAll);

describe("frames are bounded before they are parsed", () => {
  it("closes with 1009 on a frame longer than any valid one, without parsing it", async () => {
    const room = crypto.randomUUID();
    const mallory = await connect(room, "mallory");
    const bob = await connect(room, "bob", { client: "10.8.0.2" });
    await mallory.nextOf("welcome");
    await bob.nextOf("welcome");
    // Not even JSON: a parser would answer invalid_json and keep the socket open.
    mallory.send("[".repeat(CHAT_LIMITS.maxFrameChars + 1));
    expect((await mallory.closed).code).toBe(TOO_BIG_CLOSE_CODE);
    expect(mallory.pending().filter((f) => f.type === "error")).toEqual([]);
    expect(await bob.nextOf("presence")).toMatchObject({ left: ["mallory"] });
  });

  it("takes the largest valid frame: 4 KiB of text, every character escaped", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    await alice.nextOf("welcome");
    const text = "a".repeat(CHAT_LIMITS.maxTextBytes);
    const escaped = `{"type":"message","text":"${"\\u0061".repeat(CHAT_LIMITS.maxTextBytes)}"}`;
    expect(escaped.length).toBeLessThanOrEqual(CHAT_LIMITS.maxFrameChars);
    alice.send(escaped);
    expect(await alice.nextChat()).toMatchObject({ type: "message", text });
  });

  it(`closes with 1008 after ${CHAT_LIMITS.badFramesPerWindow} refused frames in a window`, async () => {
    const room = crypto.randomUUID();
    const noisy = await connect(room, "noisy");
    await noisy.nextOf("welcome");
    for (let i = 0; i < CHAT_LIMITS.badFramesPerWindow; i++) {
      noisy.send("not json");
      expect(await noisy.nextChat()).toMatchObject({ type: "error", code: "invalid_json" });
    }
    noisy.send("not json");
    expect((await noisy.closed).code).toBe(POLICY_CLOSE_CODE);
  });
});

describe("text frames must be well-formed", () => {
  it("refuses text with a lone surrogate (invalid_unicode) and stores nothing", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    await alice.nextOf("welcome");
    // "x" and 1,365 escaped lone surrogates: 4,096 bytes as measured once, 12,286 once stored as U+FFFD.
    alice.send(`{"type":"message","text":"x${"\\ud800".repeat(1365)}"}`);
    expect(await alice.nextChat()).toMatchObject({ type: "error", code: "invalid_unicode" });
    alice.send({ type: "message", text: "ok \u{1f600}" });
    expect(await alice.nextChat()).toMatchObject({ type: "message", id: 1, text: "ok \u{1f600}" });
  });

  it("refuses a frame holding U+FFFD, the mark of bytes that were not UTF-8 (invalid_utf8)", async () => {
    const room = crypto.randomUUID();
    const alice = await connect(room, "alice");
    await alice.nextOf("welcome");
    alice.send({ type: "message", text: "broken \ufffd bytes" });
    expect(await alice.nextChat()).toMatchObject({ type: "error", code: "invalid_utf8" });
  });
});
