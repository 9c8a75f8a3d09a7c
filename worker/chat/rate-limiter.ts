/**
 * A sliding-window limit per key: at most `limit` events in any `windowMs`.
 *
 * Only accepted events count (`record` after the event was accepted): a client sending a little too fast has the
 * extra frames refused, and its allowance comes back as its accepted frames leave the window. Counting refusals
 * would keep a client that never slows down refused forever.
 *
 * The room keeps it in memory, not in the socket attachment. A hibernating object loses it, which is harmless:
 * the runtime only evicts an object after 10 s without events, and by then every window (10 s) has emptied.
 */
export class SlidingWindowLimiter {
  private readonly events = new Map<string, number[]>();

  private readonly limit: number;
  private readonly windowMs: number;

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Whether one more event for `key` at `now` would be within the limit (records nothing). */
  allows(key: string, now: number): boolean {
    return this.recent(key, now).length < this.limit;
  }

  /** Counts an accepted event for `key` at `now`. */
  record(key: string, now: number): void {
    const recent = this.recent(key, now);
    recent.push(now);
    // Never more than the limit: `allows` refuses before that, so the list cannot grow without bound.
    this.events.set(key, recent.slice(-this.limit));
  }

  forget(key: string): void {
    this.events.delete(key);
  }

  private recent(key: string, now: number): number[] {
    const since = now - this.windowMs;
    return (this.events.get(key) ?? []).filter((t) => t > since);
  }
}
