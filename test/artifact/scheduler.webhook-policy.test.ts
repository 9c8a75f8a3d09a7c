import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { callAsAdmin, startBuiltPlatform, uniqueName, useBuiltPlatform } from "../support/platform.ts";

/** Which webhook targets a job may have, in a deployed-like environment and in a local one. */
let deployed: LocalPlatform;
let allowList: LocalPlatform;
let local: LocalPlatform;
useBuiltPlatform((p) => (local = p));
beforeAll(async () => {
  [deployed, allowList] = await Promise.all([
    startBuiltPlatform({ env: { webhookAllowHttp: false } }),
    startBuiltPlatform({ env: { webhookAllowHttp: false, webhookAllowedHosts: ["hooks.example.com"] } }),
  ]);
});
afterAll(() => Promise.all([deployed, allowList].map((p) => p?.dispose())));

const schedule = (platform: LocalPlatform, url: string) =>
  callAsAdmin(platform.url, `/api/schedulers/${uniqueName("hooks")}/jobs`, {
    method: "POST",
    json: { delayMs: 3_600_000, action: { type: "webhook", url } },
  });

describe("webhook targets", () => {
  it.each([
    ["http", "http://hooks.example.com/x", /must be https in this environment/],
    ["credentials", "https://user:secret@hooks.example.com/x", /must not contain credentials/],
    ["loopback", "https://127.0.0.1/x", /must be a public host; 127.0.0.1 is not/],
    ["private range", "https://10.1.2.3/x", /must be a public host/],
    ["link-local", "https://169.254.169.254/latest/meta-data", /must be a public host/],
    ["IPv6 loopback", "https://[::1]/x", /must be a public host/],
    ["localhost", "https://localhost/x", /must be a public host/],
    ["an .internal name", "https://db.internal/x", /must be a public host/],
  ])("a deployed environment refuses %s", async (_label, url, message) => {
    const res = await schedule(deployed, url);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_action");
    expect(res.body.error.message).toMatch(message);
  });

  it("a deployed environment accepts a public https host", async () => {
    expect((await schedule(deployed, "https://hooks.example.com/x")).status).toBe(201);
  });

  it("an allow-list admits exactly its hosts", async () => {
    expect((await schedule(allowList, "https://hooks.example.com/x")).status).toBe(201);
    const other = await schedule(allowList, "https://api.example.com/x");
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(
      /not in this environment's webhook allow-list \(hooks.example.com\)/,
    );
  });

  it("a local run allows http receivers on loopback, but never credentials", async () => {
    expect((await schedule(local, "http://127.0.0.1:9/x")).status).toBe(201);
    expect((await schedule(local, "http://u:p@127.0.0.1:9/x")).body.error.message).toMatch(/credentials/);
  });
});
