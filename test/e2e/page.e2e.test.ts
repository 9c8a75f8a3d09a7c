import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { call, startBuiltPlatform, TEST_ADMIN_TOKEN, uniqueName } from "../support/platform.ts";
import { launchChromium } from "./browser.ts";

let platform: LocalPlatform;
let browser: Browser;
/**
 * Console errors and uncaught exceptions of every page (a CSP violation shows up here too). Chromium also logs
 * every HTTP error response as a console error; the tests cause 4xx answers on purpose, so those are not problems.
 */
const problems: string[] = [];

beforeAll(async () => {
  [platform, browser] = await Promise.all([startBuiltPlatform(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await platform?.dispose();
});

/** A page in its own browser context (its own cookies and storage): a separate person. */
async function openPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("console", (m) => {
    const expected4xx = /^Failed to load resource: the server responded with a status of 4\d\d/;
    // The name_taken test refuses a WebSocket upgrade on purpose; Chromium logs that too.
    const expectedRefusal = /^WebSocket connection to .* failed: .*Unexpected response code: 409/;
    if (m.type() === "error" && !expected4xx.test(m.text()) && !expectedRefusal.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(platform.url.href);
  await expect.poll(() => page.locator("#health").textContent()).toMatch(/^test · build [0-9a-f]{12}/);
  return page;
}

async function joinRoom(page: Page, room: string, user: string) {
  await page.getByLabel("Room").fill(room);
  await page.getByLabel("Your name").fill(user);
  await page.getByRole("button", { name: "Join" }).click();
  await expect
    .poll(() => page.locator("#chat-status").textContent())
    .toBe(`Connected to ${room} as ${user}.`);
}

/** A full-page screenshot for a person to look at (E2E_SCREENSHOT_DIR, else a fresh temp dir); logs the path. */
async function screenshot(page: Page, name: string) {
  screenshotDir ??= process.env.E2E_SCREENSHOT_DIR ?? (await mkdtemp(path.join(tmpdir(), "e2e-")));
  const file = path.join(screenshotDir, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}
let screenshotDir: string | undefined;

const lines = (page: Page) => page.locator("#chat-messages li").allTextContents();

describe("the page in a real browser", () => {
  it("increments and reads a named counter, and shows API errors", async () => {
    const page = await openPage();
    const name = uniqueName("page");
    await page.getByLabel("Counter name").fill(name);
    const increment = page.getByRole("button", { name: "Increment" });
    await increment.click();
    await expect.poll(() => page.locator("#counter-value").textContent()).toBe("1");
    await increment.click();
    await expect.poll(() => page.locator("#counter-value").textContent()).toBe("2");
    await call(platform.url, `/api/counters/${name}/increment`, { method: "POST", json: { by: 40 } });
    await page.getByRole("button", { name: "Read" }).click();
    await expect.poll(() => page.locator("#counter-value").textContent()).toBe("42");

    await page.getByLabel("Counter name").fill("no spaces allowed");
    await increment.click();
    const alert = page.locator("#counter-error");
    await expect.poll(() => alert.textContent()).toMatch(/^Invalid name .*\(invalid_name, HTTP 400\)$/);
    expect(await alert.getAttribute("role")).toBe("alert");
    await page.close();
  });

  it("exchanges chat messages live between two people, with history and presence", async () => {
    const room = uniqueName("room");
    await call(platform.url, `/api/rooms/${room}/messages`, {
      method: "POST",
      json: { user: "earlier", text: "said before anyone came" },
    });
    const alice = await openPage();
    await joinRoom(alice, room, "alice");
    expect(await lines(alice)).toEqual([expect.stringMatching(/^earlier.*said before anyone came$/)]);

    const bob = await openPage();
    await joinRoom(bob, room, "bob");
    await expect.poll(() => alice.locator("#chat-members").textContent()).toBe("alice, bob");
    expect(await bob.locator("#chat-members").textContent()).toBe("alice, bob");

    await bob.getByRole("textbox", { name: "Message" }).fill("hello from bob <b>not bold</b>");
    await bob.getByRole("button", { name: "Send" }).click();
    await expect
      .poll(() => lines(alice))
      .toEqual([
        expect.stringContaining("said before anyone came"),
        "bob joined",
        expect.stringMatching(/^bob.*hello from bob <b>not bold<\/b>$/),
      ]);
    expect(await alice.locator("#chat-messages b").count()).toBe(0); // text, never markup

    await alice.getByRole("textbox", { name: "Message" }).fill("hi bob");
    await alice.keyboard.press("Enter");
    await expect.poll(async () => (await lines(bob)).at(-1)).toMatch(/^alice.*hi bob$/);

    await screenshot(alice, "chat.png");

    // Someone else cannot join as alice while she is here (no resume key in their tab): the page says why.
    const mallory = await openPage();
    await mallory.getByLabel("Room").fill(room);
    await mallory.getByLabel("Your name").fill("alice");
    await mallory.getByRole("button", { name: "Join" }).click();
    await expect
      .poll(() => mallory.locator("#chat-error").textContent())
      .toMatch(/someone here already uses that name/);
    expect(await mallory.locator("#chat-status").textContent()).toBe("Not connected.");
    expect(await alice.locator("#chat-members").textContent()).toBe("alice, bob");
    await mallory.close();

    await bob.getByRole("button", { name: "Leave" }).click();
    await expect.poll(async () => (await lines(alice)).at(-1)).toBe("bob left");
    expect(await alice.locator("#chat-members").textContent()).toBe("alice");
    expect(await bob.locator("#chat-status").textContent()).toBe("Disconnected (code 1000).");
    await alice.close();
    await bob.close();
  });

  it("refuses to schedule without the admin token and shows why, then schedules with it", async () => {
    const page = await openPage();
    const counter = uniqueName("job");
    await page.getByRole("textbox", { name: "Counter to increment" }).fill(counter);
    await page.getByLabel("Delay (seconds)").fill("1");
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Schedule" }).click();
    await expect
      .poll(() => page.locator("#job-error").textContent())
      .toMatch(/^The admin token is not valid\. \(unauthorized, HTTP 401\)$/);
    await page.getByLabel("Admin token").fill(TEST_ADMIN_TOKEN);
    await page.getByRole("button", { name: "Schedule" }).click();
    await expect.poll(() => page.locator("#job-id").textContent()).toMatch(/\S/);
    await expect.poll(() => page.locator("#job-status").textContent()).toMatch(/\S/);
    await expect
      .poll(async () => (await call(platform.url, `/api/counters/${counter}`)).body.count, {
        timeout: 15_000,
      })
      .toBe(1);
    await expect.poll(() => page.locator("#job-status").textContent(), { timeout: 10_000 }).toBe("completed");
    await screenshot(page, "scheduler.png");
    await page.close();
  });

  it("logged no console errors, CSP violations or uncaught exceptions", () => {
    expect(problems).toEqual([]);
  });
});
