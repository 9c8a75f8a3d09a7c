// Cross-site writes and WebSocket hijacking, as a security review found them: a hostile page on another origin, in a real browser, tries a write
// that needs no CORS preflight and a WebSocket as someone else. Both must fail; the platform must not change.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { call, startBuiltPlatform, uniqueName } from "../support/platform.ts";
import { launchChromium } from "./browser.ts";

let platform: LocalPlatform;
let browser: Browser;
let hostile: Server;
let hostileUrl: URL;

beforeAll(async () => {
  [platform, browser] = await Promise.all([startBuiltPlatform(), launchChromium()]);
  // Another origin: same loopback address, another port.
  hostile = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>hostile</title>");
  });
  await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
  hostileUrl = new URL(`http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`);
});
afterAll(async () => {
  await browser?.close();
  await platform?.dispose();
  await new Promise((resolve) => hostile?.close(resolve));
});

describe("a page on another origin", () => {
  it("cannot raise a counter, post in a room, or open a WebSocket as another user", async () => {
    const name = uniqueName("xsite");
    const page = await (await browser.newContext()).newPage();
    await page.goto(hostileUrl.href);
    expect(new URL(page.url()).origin).not.toBe(platform.url.origin);
    const outcome = await page.evaluate(
      async ({ target, name }) => {
        // "Simple" requests: the browser sends them without a preflight and only hides the answer (no-cors;
        // the platform's Cross-Origin-Resource-Policy then makes the promise reject, after the request was sent).
        const send = (path: string, init: RequestInit) =>
          fetch(`${target}${path}`, { ...init, method: "POST", mode: "no-cors" }).catch(() => undefined);
        await send(`api/counters/${name}/increment`, {});
        await send(`api/rooms/${name}/messages`, {
          headers: { "content-type": "text/plain" },
          body: JSON.stringify({ user: "admin", text: "from a hostile page" }),
        });
        const socket = await new Promise<string>((resolve) => {
          const ws = new WebSocket(`${target.replace(/^http/, "ws")}api/rooms/${name}/ws?user=admin`);
          ws.onopen = () => {
            ws.send(JSON.stringify({ type: "message", text: "hijacked" }));
            setTimeout(() => resolve("open"), 300);
          };
          ws.onerror = () => resolve("refused");
        });
        return { socket };
      },
      { target: platform.url.href, name },
    );
    expect(outcome.socket).toBe("refused");
    expect((await call(platform.url, `/api/counters/${name}`)).body.count).toBe(0);
    expect((await call(platform.url, `/api/rooms/${name}/messages`)).body.messages).toEqual([]);
  });
});
