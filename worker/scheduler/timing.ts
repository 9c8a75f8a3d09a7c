import { type Cron, parseCronExpression } from "cron-schedule";
import { MAX_HORIZON_MS, MIN_EVERY_MS } from "./limits.ts";

/** When a job runs: once at a time, every N ms, or on a 5-field cron expression (UTC). */
export type Schedule =
  | { readonly kind: "once"; readonly runAt: number }
  | { readonly kind: "every"; readonly everyMs: number }
  | { readonly kind: "cron"; readonly cron: string };

/** What a new job asks for: a Schedule, or a delay the Scheduler turns into a one-off time on its own clock. */
export type ScheduleRequest = Schedule | { readonly kind: "delay"; readonly delayMs: number };

/** The schedule to store and its first due time (epoch ms), or why the request is refused. */
export type FirstRun =
  | { readonly ok: true; readonly schedule: Schedule; readonly at: number }
  | { readonly ok: false; readonly message: string };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A parsed cron expression, or the parser's complaint. Exactly five fields (minute hour day-of-month month
 * day-of-week: numbers, ranges, lists, steps, month and day names), evaluated in UTC. cron-schedule is pure
 * computation (its schedulers, which start timers, are separate entry points we do not import). It works in the
 * runtime's local time, and workerd's local time is always UTC, which is what the contract promises.
 */
export function parseCron(expression: string): { ok: true; cron: Cron } | { ok: false; message: string } {
  const fields = expression.trim().split(/\s+/);
  if (expression.trim() === "" || fields.length !== 5) {
    return {
      ok: false,
      message: `cron must have exactly 5 fields (minute hour day-of-month month day-of-week), got ${JSON.stringify(expression.slice(0, 100))}`,
    };
  }
  try {
    return { ok: true, cron: parseCronExpression(expression) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `cron ${JSON.stringify(expression.slice(0, 100))} is not valid: ${reason}` };
  }
}

/**
 * The first match strictly after `from`, or null when there is none. cron-schedule searches five years ahead (a
 * whole leap cycle) and throws when nothing matches, as for 30 February.
 */
function nextMatch(cron: Cron, from: number): number | null {
  try {
    // Cron times are whole minutes: start from the next millisecond so `from` itself never counts as "next".
    return cron.getNextDate(new Date(from + 1)).getTime();
  } catch {
    return null;
  }
}

/** The first time a new job runs, checked against the scheduling window (not in the past, at most a year ahead). */
export function firstRun(schedule: ScheduleRequest, now: number): FirstRun {
  const latest = now + MAX_HORIZON_MS;
  switch (schedule.kind) {
    case "delay": {
      const { delayMs } = schedule;
      if (!Number.isSafeInteger(delayMs) || delayMs < 0 || delayMs > MAX_HORIZON_MS) {
        return { ok: false, message: `delayMs must be an integer from 0 to ${MAX_HORIZON_MS}` };
      }
      return { ok: true, schedule: { kind: "once", runAt: now + delayMs }, at: now + delayMs };
    }
    case "once": {
      if (!Number.isSafeInteger(schedule.runAt)) return { ok: false, message: "runAt is not a valid time" };
      if (schedule.runAt < now) {
        return { ok: false, message: `runAt ${iso(schedule.runAt)} is in the past (now is ${iso(now)})` };
      }
      if (schedule.runAt > latest) {
        return { ok: false, message: `runAt ${iso(schedule.runAt)} is more than a year ahead` };
      }
      return { ok: true, schedule, at: schedule.runAt };
    }
    case "every": {
      const { everyMs } = schedule;
      if (!Number.isSafeInteger(everyMs) || everyMs < MIN_EVERY_MS || everyMs > MAX_HORIZON_MS) {
        return { ok: false, message: `everyMs must be an integer from ${MIN_EVERY_MS} to ${MAX_HORIZON_MS}` };
      }
      return { ok: true, schedule, at: now + everyMs };
    }
    case "cron": {
      const parsed = parseCron(schedule.cron);
      if (!parsed.ok) return parsed;
      const next = nextMatch(parsed.cron, now);
      if (next === null) return { ok: false, message: `cron ${JSON.stringify(schedule.cron)} never runs` };
      if (next > latest) {
        return {
          ok: false,
          message: `cron ${JSON.stringify(schedule.cron)} first runs at ${iso(next)}, more than a year ahead`,
        };
      }
      return { ok: true, schedule, at: next };
    }
  }
}

/**
 * The next due time of a recurring job after the occurrence due at `dueAt` has finished at `now`, or null when
 * there is none (one-off jobs, a cron with no future match). Occurrences missed while a run was late are skipped,
 * never run in a burst: the result is always after `now`.
 */
export function nextOccurrence(schedule: Schedule, dueAt: number, now: number): number | null {
  switch (schedule.kind) {
    case "once":
      return null;
    case "every": {
      const steps = now < dueAt ? 1 : Math.floor((now - dueAt) / schedule.everyMs) + 1;
      return dueAt + steps * schedule.everyMs;
    }
    case "cron": {
      const parsed = parseCron(schedule.cron);
      if (!parsed.ok) return null;
      return nextMatch(parsed.cron, Math.max(dueAt, now));
    }
  }
}

/** Delay before retry number `attempt` (1 = the first retry): exponential, capped, jittered into its upper half. */
export function retryDelayMs(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
