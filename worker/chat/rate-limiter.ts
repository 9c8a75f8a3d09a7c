/**
 * A sliding-window limit per key: at most `limit` events in any `windowMs`.
 *
 * The room keeps it in memory, not in the socket attachment. A hibernating object loses it, which is harmless:
 * the runtime only evicts an object after 10 s without events, and by then every window (10 s) has emptied.
 */
export class SlidingWindowLimiter {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records an event for `key` at `now` and says whether it is within the limit. Refused events count too. */
  allow(key: string, now: number): boolean {
    const since = now - this.windowMs;
    const recent = (this.events.get(key) ?? []).filter((t) => t > since);
    recent.push(now);
    // Keep no more than the limit needs, so a flooding client cannot grow the list without bound.
    this.events.set(key, recent.slice(-(this.limit + 1)));
    return recent.length <= this.limit;
  }

  forget(key: string): void {
    this.events.delete(key);
  }
}
