import type { Context } from "hono";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../http/errors.ts";
import { adminOnly, publicWrite } from "../http/guards.ts";
import { newUniqueStub, stubById, stubByName } from "../http/stubs.ts";
import { jsonBody, nameParam } from "../http/validation.ts";
import type { CounterChange } from "../objects/counter.ts";

const MAX_STEP = 1_000_000;

/** `{"by": integer 1..1000000}`, optional; an empty body means by 1. Unknown fields are refused. */
const stepError = { error: `must be an integer from 1 to ${MAX_STEP}` };
const changeBody = z.strictObject({
  by: z._default(z.int(stepError).check(z.minimum(1, stepError), z.maximum(MAX_STEP, stepError)), 1),
});

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
