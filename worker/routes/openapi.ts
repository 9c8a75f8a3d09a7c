import { Hono } from "hono/tiny";
import type { AppEnv } from "../http/app-env.ts";
import type { RouteContract } from "../http/contract.ts";
import { ApiError } from "../http/errors.ts";

/**
 * The OpenAPI document, generated at build time from the routes' contracts (infra/openapi.ts) and inlined by
 * esbuild as a string: the worker carries the document, not a generator. Sources run without the build (the
 * in-runtime test pool) have none.
 */
declare const __OPENAPI_DOCUMENT__: string | undefined;
const DOCUMENT = typeof __OPENAPI_DOCUMENT__ === "string" ? __OPENAPI_DOCUMENT__ : undefined;

export const openapi = new Hono<AppEnv>().get("/openapi.json", (c) => {
  if (DOCUMENT === undefined) {
    throw new ApiError(
      404,
      "not_found",
      "This worker was not built by `npm run build`: it has no API document.",
    );
  }
  return c.body(DOCUMENT, 200, { "Content-Type": "application/json; charset=utf-8" });
});

/** The contract of this route (see worker/http/contract.ts; never called by the worker). */
export function contract(): RouteContract[] {
  return [
    {
      method: "get",
      path: "/openapi.json",
      summary: "This document",
      tag: "platform",
      ok: { 200: { description: "OpenAPI 3.1.", contentType: "application/json" } },
    },
  ];
}
