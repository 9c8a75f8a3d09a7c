import type { PresenceFrame } from "./protocol.ts";

/** What a PresenceBatcher needs from its room. */
export interface PresenceBatcherOptions {
  readonly intervalMs: number;
  /** Most names per list; more are counted but not named (`truncated`). */
  readonly maxNames: number;
  /** Current member count, read when the frame goes out. */
  readonly count: () => number;
  readonly send: (frame: PresenceFrame) => void;
  readonly now?: () => number;
}

/**
 * Coalesces arrivals and departures into at most one presence frame per `intervalMs`.
 *
 * The first change after a quiet period goes out on the next turn of the event loop; later changes wait until
 * `intervalMs` has passed since the previous frame. A person who arrives and leaves within one period is never
 * announced, and one who leaves and comes back is not news. Filling a room of n thus costs about
 * n × (fill time / interval) frames instead of n²/2, and the frames go out from a timer of their own, never
 * in front of a chat message (messages are sent at once, in the event that produced them).
 */
export class PresenceBatcher {
  private readonly joined = new Set<string>();
  private readonly left = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;

  private readonly options: PresenceBatcherOptions;

  constructor(options: PresenceBatcherOptions) {
    this.options = options;
  }

  arrived(user: string): void {
    if (!this.left.delete(user)) this.joined.add(user);
    this.schedule();
  }

  departed(user: string): void {
    if (!this.joined.delete(user)) this.left.add(user);
    this.schedule();
  }

  /** Sends what is pending now (the timer calls this). */
  flush(): void {
    this.timer = undefined;
    if (this.joined.size === 0 && this.left.size === 0) return;
    const max = this.options.maxNames;
    const joined = [...this.joined].slice(0, max);
    const left = [...this.left].slice(0, max);
    const truncated = this.joined.size > max || this.left.size > max;
    this.joined.clear();
    this.left.clear();
    this.lastSentAt = this.now();
    this.options.send({
      type: "presence",
      joined,
      left,
      count: this.options.count(),
      ...(truncated ? { truncated: true as const } : {}),
    });
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastSentAt + this.options.intervalMs - this.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
