import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const counter = () => env.COUNTER.get(env.COUNTER.idFromName(crypto.randomUUID()));
const tables = (state: DurableObjectState) =>
  state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray();

// A GET of any name once reached a constructor that ran CREATE TABLE, so plain reads created (billed) storage.
describe("a counter that holds nothing stores nothing", () => {
  it("get and reset of a never-written counter leave its database empty; the first write creates the table", async () => {
    const stub = counter();
    expect(await stub.get()).toBe(0);
    expect(await stub.reset()).toBe(0);
    await runInDurableObject(stub, (_instance, state) => {
      expect(tables(state).filter((t) => t.name === "counter")).toEqual([]);
    });
    expect(await stub.increment(2)).toEqual({ ok: true, count: 2 });
    await runInDurableObject(stub, (_instance, state) => {
      expect(tables(state).map((t) => t.name)).toContain("counter");
    });
    expect(await stub.get()).toBe(2);
  });
});
