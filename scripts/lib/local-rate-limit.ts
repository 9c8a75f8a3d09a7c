import { fileURLToPath } from "node:url";
import type { RateLimitSetting } from "../../infra/runtime-environment.ts";
import { LOCAL_RATE_LIMIT } from "./local-rate-limit-plugin.mjs";

/**
 * The local stand-in for Cloudflare's Workers rate-limiting binding: Miniflare binds each limiter to
 * local-rate-limit-plugin.mjs, which gives the binding's own API (`env.PUBLIC_WRITES.limit({ key })`) and counts
 * fixed windows of `period` seconds per key in memory, inside the calling worker's isolate.
 *
 * Why not Miniflare's emulation: Miniflare 5 counts every `limit()` call of every limiter in one SQLite Durable
 * Object on local disk, a durable commit per request, which capped the whole API at a few hundred requests per
 * second locally (every request under /api/ spends one) and made local benchmarks and tests measure that disk.
 * Cloudflare's binding counts in memory on the machine that serves the request and is not durable; so does this.
 * Why in the caller's isolate (a "wrapped" binding) and not a small worker behind a service binding, as before:
 * each call to another worker cost about half of what an increment costs over a plain route (`npm run bench -- --only
 * http`), which the deployed binding does not cost.
 */
const PLUGIN_PATH = fileURLToPath(new URL("./local-rate-limit-plugin.mjs", import.meta.url));

/** Miniflare `unsafeBindings` (v4 option shape) binding each limiter to its in-memory stand-in. */
export function localRateLimitBindings(settings: Readonly<Record<string, RateLimitSetting>>) {
  return Object.entries(settings).map(([name, { limit, period }]) => ({
    name,
    type: LOCAL_RATE_LIMIT,
    plugin: { package: PLUGIN_PATH, name: LOCAL_RATE_LIMIT },
    options: { limit, period },
  }));
}
