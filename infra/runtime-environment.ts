import { lastLegacyTag, rateLimits } from "../worker/manifest.ts";
import { SECRET_NAMES, VAR_NAMES } from "../worker/platform.ts";

// The values a worker runs with in one environment, and the bindings they become. The deploy model (Pulumi
// program, wrangler config) and the local tools (Miniflare for `npm run dev` and the tests) both derive from here,
// so a deployed stack and its local twin cannot drift (test/infra/synth-vs-dev.test.ts compares them).

/** The per-environment values a local worker runs with (the same ones a stack passes as bindings). */
export interface LocalEnvironment {
  readonly environment: string;
  readonly buildId: string;
  readonly locationHint?: string | undefined;
  readonly jurisdiction?: string | undefined;
  readonly compatibilityDate?: string | undefined;
  readonly compatibilityFlags?: readonly string[] | undefined;
  /** The public-write rate limit; default: the manifest's for deployed stacks, LOCAL_PUBLIC_WRITES locally. */
  readonly publicWrites?: RateLimitSetting | undefined;
  /** Other limiters of the manifest by binding name (tests set small ones); default: the generous local one. */
  readonly rateLimits?: Partial<Record<keyof typeof rateLimits, RateLimitSetting>> | undefined;
  /** Origins CORS allows besides the page's own; empty = same-origin only. */
  readonly corsAllowedOrigins?: readonly string[] | undefined;
  /** Hosts webhooks may call; empty = any public host. */
  readonly webhookAllowedHosts?: readonly string[] | undefined;
  /** Local runs only: webhooks may use http and loopback receivers. A stack's settings never set it. */
  readonly webhookAllowHttp?: boolean | undefined;
  /** Secret: the admin bearer token. Unset = admin routes disabled. */
  readonly adminToken?: string | undefined;
}

export interface RateLimitSetting {
  readonly limit: number;
  readonly period: 10 | 60;
}

/** Plain-text bindings every environment sets (names from worker/platform.ts). */
export function platformBindings(env: LocalEnvironment): Record<string, string> {
  return {
    [VAR_NAMES.environment]: env.environment,
    [VAR_NAMES.buildId]: env.buildId,
    [VAR_NAMES.migrationTag]: lastLegacyTag(),
    [VAR_NAMES.rateLimitPeriod]: String((env.publicWrites ?? rateLimits.PUBLIC_WRITES).period),
    ...(env.locationHint ? { [VAR_NAMES.locationHint]: env.locationHint } : {}),
    ...(env.jurisdiction ? { [VAR_NAMES.jurisdiction]: env.jurisdiction } : {}),
    ...(env.corsAllowedOrigins?.length
      ? { [VAR_NAMES.corsAllowedOrigins]: env.corsAllowedOrigins.join(",") }
      : {}),
    ...(env.webhookAllowedHosts?.length
      ? { [VAR_NAMES.webhookAllowedHosts]: env.webhookAllowedHosts.join(",") }
      : {}),
    ...(env.webhookAllowHttp ? { [VAR_NAMES.webhookAllowHttp]: "true" } : {}),
  };
}

/** Secret bindings (locally plain bindings too; deployed they are `secret_text`). */
export function platformSecrets(env: LocalEnvironment): Record<string, string> {
  return env.adminToken ? { [SECRET_NAMES.adminToken]: env.adminToken } : {};
}
