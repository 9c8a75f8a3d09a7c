import { hc } from "hono/client";
// The app's type, from the declarations `tsc -p worker` emits (npm run typecheck runs it first): the scripts'
// project cannot type-check the worker's sources itself (they need the Workers types, these scripts Node's).
import type { AppType } from "../../.types/worker/app.d.ts";

/**
 * A typed client of the platform's HTTP API (`hono/client`): paths, methods and the JSON answers are the worker's
 * own types, so renaming a field the caller reads breaks `npm run typecheck`.
 */
export function apiClient(
  base: URL | string,
  options: { fetch?: typeof fetch; headers?: Record<string, string> } = {},
) {
  return hc<AppType>(String(base).replace(/\/$/, ""), options);
}

export type ApiClient = ReturnType<typeof apiClient>;
