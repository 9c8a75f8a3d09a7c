import type { Env as WorkerEnv } from "../../worker/env.ts";

// `env` from cloudflare:test has the worker's Env, typed from the manifest.
declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
