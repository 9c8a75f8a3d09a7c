import type { RateLimitSetting } from "../../infra/runtime-environment.ts";
import { runtimeDefaults } from "../../worker/manifest.ts";

/**
 * The local stand-in for Cloudflare's Workers rate-limiting binding, one small worker per limiter that the
 * platform's worker reaches over a service binding (`env.PUBLIC_WRITES.limit({ key })`, the binding's own API).
 *
 * Why not Miniflare's emulation: Miniflare 5 counts every `limit()` call of every limiter in one SQLite Durable
 * Object on local disk, a durable commit per request, which capped the whole API at a few hundred requests per
 * second locally (every request under /api/ spends one) and made local benchmarks and tests measure that disk.
 * Cloudflare's binding counts in memory on the machine that serves the request and is not durable; so does this:
 * fixed windows of `period` seconds aligned to the clock (as Miniflare's), per key, in the worker's memory.
 */
const MODULE = `
import { WorkerEntrypoint } from "cloudflare:workers";
const buckets = new Map();
export default class LocalRateLimit extends WorkerEntrypoint {
  async limit(options) {
    if (typeof options !== "object" || options === null) throw new TypeError("invalid rate limit options");
    const key = String(options.key ?? "");
    const limit = Number(this.env.LIMIT);
    const period = Number(this.env.PERIOD);
    const epoch = Math.floor(Date.now() / (period * 1000));
    let bucket = buckets.get(key);
    if (bucket === undefined || bucket.epoch !== epoch) {
      // Old windows are dropped as new ones open, so memory stays bounded by the clients of one window.
      if (buckets.size >= 10000) for (const [k, b] of buckets) if (b.epoch !== epoch) buckets.delete(k);
      bucket = { epoch, count: 0 };
      buckets.set(key, bucket);
    }
    if (bucket.count >= limit) return { success: false };
    bucket.count += 1;
    return { success: true };
  }
}
`;

/** The worker name of one limiter's local stand-in. */
export const localRateLimitWorkerName = (binding: string) => `local-rate-limit-${binding.toLowerCase()}`;

/** Miniflare worker options (v4 shape) of the local stand-ins, one per limiter with its setting. */
export function localRateLimitWorkers(settings: Readonly<Record<string, RateLimitSetting>>) {
  return Object.entries(settings).map(([binding, { limit, period }]) => ({
    name: localRateLimitWorkerName(binding),
    modules: [{ type: "ESModule" as const, path: "local-rate-limit.mjs", contents: MODULE }],
    compatibilityDate: runtimeDefaults.compatibilityDate,
    bindings: { LIMIT: limit, PERIOD: period },
  }));
}
