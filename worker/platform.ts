/**
 * Platform constants shared by the worker and the Pulumi program (plain data, loadable from Node and workerd).
 */

/** Cloudflare's Durable Object location hints: https://developers.cloudflare.com/durable-objects/reference/data-location/ */
export const LOCATION_HINTS = [
  "wnam",
  "enam",
  "sam",
  "weur",
  "eeur",
  "apac",
  "apac-ne",
  "apac-se",
  "oc",
  "afr",
  "me",
] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

/** Durable Object jurisdictions: objects created in one never leave it. */
export const JURISDICTIONS = ["eu", "fedramp"] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

export function isLocationHint(value: string): value is LocationHint {
  return (LOCATION_HINTS as readonly string[]).includes(value);
}

export function isJurisdiction(value: string): value is Jurisdiction {
  return (JURISDICTIONS as readonly string[]).includes(value);
}

/**
 * Names of the plain-text bindings every environment sets. Environment-specific values travel as bindings, never
 * baked into the bundle, so staging and prod run byte-identical code.
 */
export const VAR_NAMES = {
  environment: "ENVIRONMENT",
  buildId: "BUILD_ID",
  migrationTag: "MIGRATION_TAG",
  locationHint: "DO_LOCATION_HINT",
  jurisdiction: "DO_JURISDICTION",
  rateLimitPeriod: "RATE_LIMIT_PERIOD",
  corsAllowedOrigins: "CORS_ALLOWED_ORIGINS",
  webhookAllowedHosts: "WEBHOOK_ALLOWED_HOSTS",
  webhookAllowHttp: "WEBHOOK_ALLOW_HTTP",
} as const;

/**
 * The version-metadata binding (https://developers.cloudflare.com/workers/runtime-apis/bindings/version-metadata/):
 * the id of the Worker version that answers a request, so any client can tell which version served it (/health).
 */
export const VERSION_METADATA_BINDING = "CF_VERSION_METADATA";

/**
 * Names of the secret bindings every deployed environment sets (Pulumi stack secrets; locally from the
 * environment or .dev.vars). Never baked into the bundle, never in a stack file in clear text.
 */
export const SECRET_NAMES = {
  adminToken: "ADMIN_TOKEN",
} as const;
