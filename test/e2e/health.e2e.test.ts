import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LocalPlatform, startLocalPlatform } from "../../scripts/lib/local-platform.ts";
import { TEST_ADMIN_TOKEN, uniqueName } from "../support/platform.ts";
import { launchChromium } from "./browser.ts";
import { chatLines, closePage, joinRoom, openPage, screenshot, WIDTHS } from "./pages.ts";

// A platform of this file's own, stopped and started again on the same port with another build: what a person
// with the page open sees during an outage and a deploy. Both widths watch the same events, side by side.
let platform: LocalPlatform | undefined;
let browser: Browser;
let port = 0;

const start = async (buildId: string) => {
  platform = await startLocalPlatform({
    bundlePath: inject("bundlePath"),
    env: { environment: "test", buildId, adminToken: TEST_ADMIN_TOKEN, webhookAllowHttp: true },
    port,
  });
  port = Number(platform.url.port);
  return platform.url;
};

beforeAll(async () => {
  [, browser] = await Promise.all([start(inject("buildId")), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await platform?.dispose();
});

/** Chromium logs the requests and WebSocket connections the outage refuses. */
const OUTAGE = [
  /net::ERR_CONNECTION_REFUSED/,
  /^WebSocket connection to .* failed/,
  /^Failed to load resource: the server responded with a status of 503/,
];

/** Every text the chat status line shows from now on, in order. */
async function recordChatStatus(page: Page): Promise<() => Promise<string[]>> {
  await page.locator("#chat-status").evaluate((el) => {
    const win = el.ownerDocument.defaultView!;
    const seen: string[] = [];
    Object.assign(win, { chatStatuses: seen });
    new win.MutationObserver(() => seen.push(el.textContent ?? "")).observe(el, {
      childList: true,
      characterData: true,
    });
  });
  return () => page.evaluate("window.chatStatuses");
}

describe("the page while the server goes away and comes back with another build", () => {
  it("shows the outage and the new build in the header, and the chat reconnects with backoff", async () => {
    const url = platform!.url;
    const room = uniqueName("room");
    const pages = await Promise.all(WIDTHS.map((width) => openPage(browser, url, width, { allow: OUTAGE })));
    const firstBuild = inject("buildId").slice(0, 12);
    for (const [i, page] of pages.entries()) {
      expect(await page.locator("#health").textContent()).toMatch(
        new RegExp(`^test · build ${firstBuild} · version `),
      );
      await joinRoom(page, room, `user${WIDTHS[i]}`);
    }
    const statuses = await Promise.all(pages.map(recordChatStatus));

    // The server stops: the header says so, the chat retries later and later.
    await platform!.dispose();
    platform = undefined;
    for (const [i, page] of pages.entries()) {
      await expect
        .poll(() => page.locator("#health").textContent())
        .toMatch(/^Server unreachable since .+; retrying every 10 s\.$/);
      expect(await page.locator("#health").getAttribute("class")).toContain("health-down");
      await expect
        .poll(statuses[i]!)
        .toEqual(
          expect.arrayContaining([
            expect.stringMatching(/^Disconnected \(code \d+\)\. Reconnecting in 1 s…$/),
            expect.stringMatching(/^Could not reach the room \(code \d+\)\. Reconnecting in 2 s…$/),
          ]),
        );
      expect(await page.getByRole("button", { name: "Leave" }).isEnabled()).toBe(true);
      expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(false);
      await screenshot(page, `outage-${WIDTHS[i]}.png`, false);
    }

    // It comes back with another build (a deploy): the chat is in the room again, the header asks for a reload.
    const nextBuild = "0123456789abcdef".repeat(4);
    await start(nextBuild);
    for (const [i, page] of pages.entries()) {
      await expect
        .poll(() => page.locator("#chat-status").textContent(), { timeout: 15_000 })
        .toBe(`Connected to ${room} as user${WIDTHS[i]}.`);
      await expect
        .poll(() => page.locator("#health").textContent())
        .toBe(`test · new build ${nextBuild.slice(0, 12)} is live; this page is build ${firstBuild}.`);
      expect(await page.getByRole("button", { name: "Reload" }).isVisible()).toBe(true);
    }
    await screenshot(pages[1]!, "new-build-390.png", false);
    // Reconnected for real: a message goes from one width to the other.
    await pages[0]!.getByRole("textbox", { name: "Message", exact: true }).fill("after the restart");
    await pages[0]!.keyboard.press("Enter");
    await expect
      .poll(async () => (await chatLines(pages[1]!)).at(-1))
      .toMatch(/^user1280.*after the restart$/);

    for (const page of pages) {
      await page.getByRole("button", { name: "Reload" }).click();
      await expect
        .poll(() => page.locator("#health").textContent())
        .toMatch(new RegExp(`^test · build ${nextBuild.slice(0, 12)} · version `));
      expect(await page.getByRole("button", { name: "Reload" }).isHidden()).toBe(true);
      // A server that answers, but not well, is told apart from one that does not answer (checked at once when
      // the tab becomes visible again).
      await page.route("**/health", (route) => route.fulfill({ status: 503, body: "" }));
      await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
      await expect
        .poll(() => page.locator("#health").textContent())
        .toMatch(/^The server answers \/health with HTTP 503 since .+; retrying every 10 s\.$/);
      await closePage(page);
    }
  });
});
