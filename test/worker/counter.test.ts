import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../worker/app.ts";
import type { Env } from "../../worker/env.ts";
import { Counter } from "../../worker/objects/counter.ts";

const counter = () => env.COUNTER.get(env.COUNTER.idFromName(crypto.randomUUID()));

describe("Counter over RPC", () => {
  it("starts at 0 and counts up, down and back to 0", async () => {
    const stub = counter();
    expect(await stub.get()).toBe(0);
    expect(await stub.increment()).toEqual({ ok: true, count: 1 });
    expect(await stub.increment(41)).toEqual({ ok: true, count: 42 });
    expect(await stub.decrement(50)).toEqual({ ok: true, count: -8 });
    expect(await stub.get()).toBe(-8);
    expect(await stub.reset()).toBe(0);
    expect(await stub.get()).toBe(0);
  });

  it("keeps its value in a SQLite table of the object", async () => {
    const stub = counter();
    await stub.increment(7);
    const rows = await runInDurableObject(stub, (instance, state) => {
      expect(instance).toBeInstanceOf(Counter);
      return state.storage.sql.exec("SELECT id, value FROM counter").toArray();
    });
    expect(rows).toEqual([{ id: 1, value: 7 }]);
  });

  it("refuses to leave the range of exact integers and leaves the value unchanged", async () => {
    const stub = counter();
    await stub.increment(1); // the first write creates the table
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE counter SET value = ? WHERE id = 1", Number.MAX_SAFE_INTEGER - 1);
    });
    expect(await stub.increment(1)).toEqual({ ok: true, count: Number.MAX_SAFE_INTEGER });
    expect(await stub.increment(1)).toEqual({ ok: false, code: "counter_overflow" });
    expect(await stub.get()).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("gives every one of many concurrent changes its own count and loses none", async () => {
    const stub = counter();
    const changes = await Promise.all(Array.from({ length: 200 }, () => stub.increment()));
    const counts = changes.map((change) => (change.ok ? change.count : -1)).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(await stub.get()).toBe(200);
  });

  it("refuses only the change of a concurrent burst that would overflow; the others count", async () => {
    const stub = counter();
    await stub.increment(1); // the first write creates the table
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE counter SET value = ? WHERE id = 1", Number.MAX_SAFE_INTEGER - 2);
    });
    // RPC calls may arrive in any order; +5 overflows in every order, each +1 fits in every order.
    const [one, five, other] = await Promise.all([stub.increment(1), stub.increment(5), stub.increment(1)]);
    expect(five).toEqual({ ok: false, code: "counter_overflow" });
    expect([one, other].map((c) => (c?.ok ? c.count : null)).sort()).toEqual([
      Number.MAX_SAFE_INTEGER - 1,
      Number.MAX_SAFE_INTEGER,
    ]);
    expect(await stub.get()).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("gives separate state to names and to unique ids", async () => {
    const a = counter();
    const b = env.COUNTER.get(env.COUNTER.newUniqueId());
    await a.increment(3);
    expect(await b.get()).toBe(0);
    await b.increment(5);
    expect(await a.get()).toBe(3);
  });
});

describe("stubs carry the environment's location hint", () => {
  /** The real namespace, wrapped to record the options of every `get`. */
  function recordingNamespace(calls: unknown[]): Env["COUNTER"] {
    const real = env.COUNTER;
    return new Proxy(real, {
      get(target, key) {
        if (key === "get") {
          return (id: DurableObjectId, options?: unknown) => {
            calls.push(options);
            return target.get(id, options as DurableObjectNamespaceGetDurableObjectOptions);
          };
        }
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  it("passes DO_LOCATION_HINT to every stub a route creates", async () => {
    const calls: unknown[] = [];
    const testEnv: Env = { ...env, COUNTER: recordingNamespace(calls) };
    const app = createApp();
    const name = crypto.randomUUID();
    const res = await app.request(`/api/counters/${name}/increment`, { method: "POST" }, testEnv);
    expect(await res.json()).toEqual({ name, count: 1 });
    const created = await app.request("/api/counters", { method: "POST" }, testEnv);
    const { id } = (await created.json()) as { id: string };
    await app.request(`/api/counters/by-id/${id}`, {}, testEnv);
    expect(calls).toEqual([{ locationHint: "weur" }, { locationHint: "weur" }, { locationHint: "weur" }]);
  });

  it("creates stubs without options when no hint is set", async () => {
    const calls: unknown[] = [];
    const testEnv: Env = { ...env, DO_LOCATION_HINT: undefined, COUNTER: recordingNamespace(calls) };
    const res = await createApp().request("/api/counters/plain", {}, testEnv);
    expect(res.status).toBe(200);
    expect(calls).toEqual([undefined]);
  });

  it("fails loudly (500, no internals) on a hint that is not a Cloudflare location", async () => {
    const testEnv: Env = { ...env, DO_LOCATION_HINT: "mars" };
    const res = await createApp().request("/api/counters/x", {}, testEnv);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: { code: "internal_error", message: "The server failed to handle this request." },
    });
  });

  it("logs a bad hint as one line saying what to fix, not as an unhandled error with a stack", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const testEnv: Env = { ...env, DO_LOCATION_HINT: "mars" };
      expect((await createApp().request("/api/counters/x", {}, testEnv)).status).toBe(500);
      expect(logged.mock.calls).toEqual([
        [
          'misconfigured environment: GET /api/counters/x: DO_LOCATION_HINT "mars" is not a valid location hint',
        ],
      ]);
    } finally {
      logged.mockRestore();
    }
  });
});
