import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import { increment, newScheduler, schedule, uniqueCounter } from "./support/scheduler.ts";

const app = createApp();
const tables = (stub: ReturnType<typeof newScheduler>) =>
  runInDurableObject(stub, (_instance, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .toArray()
      .map((row) => row.name),
  );

describe("a scheduler that holds nothing", () => {
  it("answers every read with the empty state and writes nothing (reads must not create storage)", async () => {
    const name = `lazy-${crypto.randomUUID()}`;
    for (const path of [
      "",
      "/jobs",
      "/jobs?status=scheduled",
      "/jobs/00000000-0000-4000-8000-000000000000",
    ]) {
      const res = await app.request(`/api/schedulers/${name}${path}`, {}, env);
      expect(res.status, path).toBe(path.startsWith("/jobs/") ? 404 : 200);
    }
    const stats = await (await app.request(`/api/schedulers/${name}`, {}, env)).json();
    expect(stats).toEqual({
      name,
      jobs: { scheduled: 0, completed: 0, failed: 0, cancelled: 0 },
      alarmInvocations: 0,
      attempts: 0,
      nextAlarmAt: null,
    });
    const stub = env.SCHEDULER.get(env.SCHEDULER.idFromName(name));
    expect(await tables(stub)).toEqual([]);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
  });

  it("creates its tables with the first job, and a refused job creates none", async () => {
    const stub = newScheduler();
    expect(
      await stub.schedule({
        schedule: { kind: "delay", delayMs: -1 },
        action: increment("x"),
        maxAttempts: 1,
      }),
    ).toMatchObject({ ok: false, code: "invalid_schedule" });
    expect(await tables(stub)).toEqual([]);
    await schedule(stub, { action: increment(uniqueCounter()) });
    expect(await tables(stub)).toEqual(expect.arrayContaining(["jobs", "runs", "stats"]));
  });
});
