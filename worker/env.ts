import type { durableObjects } from "./manifest.ts";
import type * as Objects from "./objects/index.ts";

type Manifest = typeof durableObjects;

/**
 * Durable Object bindings, typed from the manifest: `env.COUNTER` is a namespace of the class the manifest names.
 * A className in the manifest with no exported class of that name is a compile error here.
 */
export type DurableObjectBindings = {
  readonly [B in keyof Manifest]: DurableObjectNamespace<
    (typeof Objects)[Manifest[B]["className"]]["prototype"]
  >;
};

/** Plain-text bindings set per environment (names in worker/platform.ts VAR_NAMES). */
export interface PlatformVars {
  readonly ENVIRONMENT: string;
  readonly BUILD_ID: string;
  readonly MIGRATION_TAG: string;
  /** Optional: one of LOCATION_HINTS; used for every stub the worker creates. */
  readonly DO_LOCATION_HINT?: string;
  /** Optional: one of JURISDICTIONS; scopes every namespace the worker uses. */
  readonly DO_JURISDICTION?: string;
  /** Secret (worker/platform.ts SECRET_NAMES): always set on deployed stacks; locally only when provided. */
  readonly ADMIN_TOKEN?: string;
}

export type Env = DurableObjectBindings & PlatformVars;
