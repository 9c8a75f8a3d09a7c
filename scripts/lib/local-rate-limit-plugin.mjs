// A Miniflare plugin (loaded by Miniflare itself through `unsafeBindings`, hence plain JavaScript) that gives each
// local rate limiter Cloudflare's binding API, `limit({ key })`, counted in memory inside the calling worker's own
// isolate: a "wrapped" binding, the way Miniflare builds its own bindings, so a request pays a function call and
// not a hop to another worker. scripts/lib/local-rate-limit.ts says why Miniflare's own limiter is not used.

/** The binding type after Miniflare's `unsafe:` prefix, and the plugin's name. */
export const LOCAL_RATE_LIMIT = "local-rate-limit";
const MODULE_NAME = `${LOCAL_RATE_LIMIT}:module`;

// Runs inside workerd. One module instance per isolate; each binding keeps its own windows under its name.
// Fixed windows of `period` seconds aligned to the clock (as Miniflare's and Cloudflare's binding), per key.
const MODULE = `
const windowsByBinding = new Map();
export default function makeBinding(env) {
  const limit = Number(env.limit);
  const period = Number(env.period);
  let buckets = windowsByBinding.get(env.name);
  if (buckets === undefined) {
    buckets = new Map();
    windowsByBinding.set(env.name, buckets);
  }
  return {
    async limit(options) {
      if (typeof options !== "object" || options === null) throw new TypeError("invalid rate limit options");
      const key = String(options.key ?? "");
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
    },
  };
}
`;

/** The worker's bindings of this type, as [name, { limit, period }]. */
function limiters(workerOptions) {
  return Object.entries(workerOptions.config?.env ?? {})
    .filter(([, binding]) => binding?.type === `unsafe:${LOCAL_RATE_LIMIT}`)
    .map(([name, binding]) => [name, binding.dev?.options ?? {}]);
}

const plugin = {
  bindingTypeDescription: "Local rate limit",
  getBindings(workerOptions) {
    return limiters(workerOptions).map(([name, { limit, period }]) => ({
      name,
      wrapped: {
        moduleName: MODULE_NAME,
        innerBindings: [
          { name: "name", json: JSON.stringify(name) },
          { name: "limit", json: JSON.stringify(limit) },
          { name: "period", json: JSON.stringify(period) },
        ],
      },
    }));
  },
  getNodeBindings() {
    return {};
  },
  getServices() {
    return [];
  },
  getExtensions({ options }) {
    if (!options.some((o) => limiters(o).length > 0)) return [];
    return [{ modules: [{ name: MODULE_NAME, esModule: MODULE, internal: true }] }];
  },
};

export const plugins = { [LOCAL_RATE_LIMIT]: plugin };
