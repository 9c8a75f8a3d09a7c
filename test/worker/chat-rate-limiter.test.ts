import { describe, expect, it } from "vitest";
import { SlidingWindowLimiter } from "../../worker/chat/rate-limiter.ts";

describe("SlidingWindowLimiter", () => {
  it("allows `limit` events in any window and refuses the next", () => {
    const limiter = new SlidingWindowLimiter(3, 1_000);
    for (const t of [0, 10, 20]) {
      expect(limiter.allows("a", t)).toBe(true);
      limiter.record("a", t);
    }
    expect(limiter.allows("a", 30)).toBe(false);
    expect(limiter.allows("b", 30)).toBe(true);
    expect(limiter.allows("a", 1_001)).toBe(true); // the event at 0 left the window
  });

  it("does not count refused events: a client that keeps sending a little too fast gets through again", () => {
    const limiter = new SlidingWindowLimiter(3, 1_000);
    const accepted: number[] = [];
    // One attempt every 100 ms for 3 s, recording only what was accepted, as the room does.
    for (let t = 0; t < 3_000; t += 100) {
      if (limiter.allows("a", t)) {
        limiter.record("a", t);
        accepted.push(t);
      }
    }
    // Three per second, each second: the refusals in between never pushed the allowance further away.
    expect(accepted).toEqual([0, 100, 200, 1_000, 1_100, 1_200, 2_000, 2_100, 2_200]);
  });

  it("forgets a key", () => {
    const limiter = new SlidingWindowLimiter(1, 1_000);
    limiter.record("a", 0);
    expect(limiter.allows("a", 1)).toBe(false);
    limiter.forget("a");
    expect(limiter.allows("a", 2)).toBe(true);
  });
});
