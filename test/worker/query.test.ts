import { Hono } from "hono/tiny";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { onError } from "../../worker/http/errors.ts";
import { parseQuery } from "../../worker/http/query.ts";
import { int, intBetween } from "../../worker/http/validation.ts";

// One schema per query, parsing what the URL says and refusing the rest with the parameter's name.
const pageQuery = v.object({
  limit: v.optional(intBetween(1, 100), 20),
  after: v.optional(v.pipe(int("must be a positive id"), v.minValue(1, "must be a positive id"))),
  who: v.pipe(v.string("must be a name"), v.regex(/^[a-z]+$/, "must be a name")),
});
const app = new Hono()
  .get("/", (c) => c.json(parseQuery(c, pageQuery)))
  .get("/one-code", (c) => c.json(parseQuery(c, pageQuery, () => "invalid_query")));
app.onError(onError);

const get = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("parseQuery", () => {
  it("converts number parameters from digits, applies defaults and ignores parameters the schema does not name", async () => {
    expect(await get("/?who=ann&after=7&other=x")).toEqual({
      status: 200,
      body: { limit: 20, after: 7, who: "ann" },
    });
    expect((await get("/?who=ann&limit=100")).body).toEqual({ limit: 100, who: "ann" });
  });

  it.each([
    ["/?who=ann&limit=0", "invalid_limit", 'limit must be an integer from 1 to 100 (got "0").'],
    ["/?who=ann&limit=1.5", "invalid_limit", 'limit must be an integer from 1 to 100 (got "1.5").'],
    ["/?who=ann&limit=", "invalid_limit", 'limit must be an integer from 1 to 100 (got "").'],
    ["/?who=ann&after=-3", "invalid_after", 'after must be a positive id (got "-3").'],
    [
      "/?who=ann&after=99999999999999999",
      "invalid_after",
      'after must be a positive id (got "99999999999999999").',
    ],
    ["/?who=Ann", "invalid_who", 'who must be a name (got "Ann").'],
    ["/?limit=5", "invalid_who", 'who must be a name (got "").'],
  ])("refuses %s as 400 %s, naming the parameter", async (path, code, message) => {
    expect(await get(path)).toEqual({ status: 400, body: { error: { code, message } } });
  });

  it("takes one code for every parameter when the route has one", async () => {
    expect((await get("/one-code?who=ann&limit=x")).body).toMatchObject({ error: { code: "invalid_query" } });
  });
});
