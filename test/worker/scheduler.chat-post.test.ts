import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import { job, makeDue, newScheduler, schedule } from "./support/scheduler.ts";

const room = (name: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(name));

describe("the chat.post action", () => {
  it("posts a message into the room when the job runs, as the scheduler", async () => {
    const name = `room-${crypto.randomUUID()}`;
    const stub = newScheduler();
    const created = await schedule(stub, {
      action: { type: "chat.post", room: name, text: "nightly build is green" },
    });
    await makeDue(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await job(stub, created.id)).toMatchObject({ status: "completed" });
    expect((await room(name).history(10)).map((m) => [m.user, m.text])).toEqual([
      ["scheduler", "nightly build is green"],
    ]);
  });

  it.each([
    ["empty text", { room: "r", text: "" }, /action.text/],
    ["text over 4 KiB", { room: "r", text: "x".repeat(4097) }, /action.text/],
    ["bad room name", { room: "a b", text: "hi" }, /room/],
    ["bad user", { room: "r", text: "hi", user: "no spaces" }, /user/],
  ])("refuses %s at scheduling time with 400", async (_label, fields, message) => {
    const res = await createApp().request(
      `/api/schedulers/${crypto.randomUUID()}/jobs`,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${env.ADMIN_TOKEN}` },
        body: JSON.stringify({ delayMs: 60_000, action: { type: "chat.post", ...fields } }),
      },
      env,
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(message);
  });
});
