/** Types of local-rate-limit-plugin.mjs (plain JavaScript because Miniflare imports it itself). */
export declare const LOCAL_RATE_LIMIT: "local-rate-limit";
export declare const plugins: Readonly<Record<string, unknown>>;
