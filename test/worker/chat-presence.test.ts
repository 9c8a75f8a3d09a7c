import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PresenceBatcher } from "../../worker/chat/presence.ts";
import type { PresenceFrame } from "../../worker/chat/protocol.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function batcher(maxNames = 100) {
  const sent: PresenceFrame[] = [];
  let count = 0;
  const presence = new PresenceBatcher({
    intervalMs: 250,
    maxNames,
    count: () => count,
    send: (frame) => sent.push(frame),
    now: () => Date.now(),
  });
  return { presence, sent, setCount: (n: number) => (count = n) };
}

describe("PresenceBatcher", () => {
  it("sends the first change at once and coalesces later ones into one frame per interval", async () => {
    const { presence, sent, setCount } = batcher();
    setCount(1);
    presence.arrived("alice");
    expect(sent).toEqual([]); // not inside the event that caused it
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([{ type: "presence", joined: ["alice"], left: [], count: 1 }]);

    for (const user of ["bob", "carol", "dave"]) presence.arrived(user);
    presence.departed("alice");
    setCount(3);
    await vi.advanceTimersByTimeAsync(249);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent[1]).toEqual({
      type: "presence",
      joined: ["bob", "carol", "dave"],
      left: ["alice"],
      count: 3,
    });
  });

  it("announces nobody who came and went within one interval, nor one who left and came back", async () => {
    const { presence, sent } = batcher();
    presence.arrived("alice");
    await vi.advanceTimersByTimeAsync(0);
    presence.arrived("ghost");
    presence.departed("ghost");
    presence.departed("alice");
    presence.arrived("alice");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(1);
  });

  it("names at most maxNames per list and says the frame is truncated", async () => {
    const { presence, sent, setCount } = batcher(2);
    for (const user of ["a", "b", "c"]) presence.arrived(user);
    setCount(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([{ type: "presence", joined: ["a", "b"], left: [], count: 3, truncated: true }]);
  });
});
