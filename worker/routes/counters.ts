import type { Context } from "hono";
import { Hono } from "hono/tiny";
import * as v from "valibot";
import type { AppEnv } from "../http/app-env.ts";
import { component, type RouteContract } from "../http/contract.ts";
import { ApiError } from "../http/errors.ts";
import { adminOnly, publicWrite } from "../http/guards.ts";
import { newUniqueStub, stubById, stubByName } from "../http/stubs.ts";
import { int, intBetween, jsonBody, nameParam, nameSchema, strictObject } from "../http/validation.ts";
import type { CounterChange } from "../objects/counter.ts";

const MAX_STEP = 1_000_000;

/** `{"by": integer 1..1000000}`, optional; an empty body means by 1. Unknown fields are refused. */
const changeBody = strictObject({ by: v.optional(intBetween(1, MAX_STEP), 1) });

function changed(change: CounterChange): number {
  if (!change.ok) {
    throw new ApiError(
      409,
      change.code,
      "The counter would leave the range of exact integers (±2^53-1); unchanged.",
    );
  }
  return change.count;
}

type Key = { name: string } | { id: string };
type CounterStub = ReturnType<typeof stubByName<"COUNTER">>;

/** The same four operations serve named counters and counters reached by stored id. */
function counterRoutes(resolve: (c: Context<AppEnv>) => { key: Key; stub: CounterStub }) {
  return new Hono<AppEnv>()
    .get("/", async (c) => {
      const { key, stub } = resolve(c);
      return c.json({ ...key, count: await stub.get() });
    })
    .get("/version", async (c) => {
      const { key, stub } = resolve(c);
      return c.json({ ...key, versionId: await stub.versionId() });
    })
    .delete("/", adminOnly, async (c) => {
      const { key, stub } = resolve(c);
      return c.json({ ...key, count: await stub.reset() });
    })
    .post("/increment", publicWrite, async (c) => {
      const { key, stub } = resolve(c);
      const { by } = await jsonBody(c, changeBody, { optional: true });
      return c.json({ ...key, count: changed(await stub.increment(by)) });
    })
    .post("/decrement", publicWrite, async (c) => {
      const { key, stub } = resolve(c);
      const { by } = await jsonBody(c, changeBody, { optional: true });
      return c.json({ ...key, count: changed(await stub.decrement(by)) });
    });
}

export const counters = new Hono<AppEnv>()
  .post("/", publicWrite, (c) => {
    const { id } = newUniqueStub(c.env, "COUNTER");
    return c.json({ id, count: 0 }, 201);
  })
  .route(
    "/by-id/:id",
    counterRoutes((c) => {
      const { id, stub } = stubById(c.env, "COUNTER", c.req.param("id") ?? "");
      return { key: { id }, stub };
    }),
  )
  .route(
    "/:name",
    counterRoutes((c) => {
      const name = nameParam(c);
      return { key: { name }, stub: stubByName(c.env, "COUNTER", name) };
    }),
  );

/** The contract of these routes (see worker/http/contract.ts; never called by the worker). */
export function contract(): RouteContract[] {
  const byName = { name: nameSchema };
  const byId = { id: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)) };
  const named = v.object({ name: v.string(), count: int() });
  const withId = v.object({ id: v.string(), count: int() });
  const tag = "counters";
  const operations = (
    base: string,
    params: RouteContract["params"],
    answer: typeof named | typeof withId,
  ) => {
    const ok = { 200: { description: "The counter.", schema: answer } };
    const change = (verb: string): RouteContract => ({
      method: "post",
      path: `${base}/${verb}`,
      summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} by \`by\` (default 1)`,
      tag,
      params,
      body: { schema: component("Change", changeBody), optional: true },
      ok,
      errors: { 409: "`counter_overflow`: the count would leave ±2^53-1; unchanged." },
      rateLimited: true,
    });
    // The counter's key (name or id) and the version: the handler answers no count here.
    const { count: _count, ...key } = answer.entries;
    const version = v.object({ ...key, versionId: v.nullable(v.string()) });
    return [
      { method: "get", path: base, summary: "Read", tag, params, ok },
      {
        method: "get",
        path: `${base}/version`,
        summary:
          "The Worker version this counter's Durable Object runs (null without a version-metadata binding). " +
          "In a split deployment each object keeps the version Cloudflare assigned it, whatever version the request " +
          "itself ran: promotion steps use it to tell which code they exercised.",
        tag,
        params,
        ok: { 200: { description: "The counter's key and its object's version.", schema: version } },
      },
      { method: "delete", path: base, summary: "Reset to 0", tag, params, ok, admin: true },
      change("increment"),
      change("decrement"),
    ] satisfies RouteContract[];
  };
  return [
    {
      method: "post",
      path: "/api/counters",
      summary: "Create a counter with a unique id",
      tag,
      ok: { 201: { description: "The new counter.", schema: withId } },
      rateLimited: true,
    },
    ...operations("/api/counters/by-id/:id", byId, withId),
    ...operations("/api/counters/:name", byName, named),
  ];
}
