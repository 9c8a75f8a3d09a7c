import type { Env } from "../env.ts";

/** Hono's environment for every router: bindings typed from the manifest. */
export interface AppEnv {
  Bindings: Env;
}
