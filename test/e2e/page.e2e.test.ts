import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { call, callAsAdmin, startBuiltPlatform, TEST_ADMIN_TOKEN, uniqueName } from "../support/platform.ts";
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
async function openPage(width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
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
    // A sentence for a person, not `invalid_name, HTTP 400`; the code stays in the title for operators.
    await expect.poll(() => alert.textContent()).toMatch(/^Invalid name [^()]*$/);
    expect(await alert.getAttribute("role")).toBe("alert");
    expect(await alert.getAttribute("title")).toBe("error code: invalid_name");
    // The count shown was another counter's: it is cleared, not left to be read as this one's.
    expect(await page.locator("#counter-value").textContent()).toBe("–");
    await page.close();
  });

  it("exchanges chat messages live between two people, with history and presence", async () => {
    const room = uniqueName("room");
    await call(platform.url, `/api/rooms/${room}/messages`, {
      method: "POST",
      json: { user: "earlier", text: "said before anyone came" },
    });
    const alice = await openPage();
    const placeholder = await alice
      .locator("#chat-messages")
      .evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el, "::before").content);
    expect(placeholder).toBe('"No messages yet. Join the room and say hello."');
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
    const scheduler = uniqueName("sched");
    const counter = uniqueName("job");
    await page.getByRole("textbox", { name: "Scheduler" }).fill(scheduler);
    await page.getByRole("textbox", { name: "Scheduler" }).dispatchEvent("change");
    await expect
      .poll(() => page.locator("#jobs-summary").textContent())
      .toBe(`Scheduler ${scheduler} has no jobs yet.`);
    await page.getByRole("textbox", { name: "Counter to increment" }).fill(counter);
    await page.getByLabel("Delay (seconds)").fill("1");
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Schedule" }).click();
    await expect
      .poll(() => page.locator("#job-error").textContent())
      .toBe("The admin token is not valid. Paste this environment's admin token (npm run dev prints it).");
    await page.getByLabel("Admin token").fill(TEST_ADMIN_TOKEN);
    await page.getByRole("button", { name: "Schedule" }).click();
    const row = page.locator("#jobs-body tr").first();
    await expect
      .poll(() => row.locator("td").allTextContents())
      .toEqual([
        expect.stringMatching(/^[0-9a-f]{8}$/),
        `counter ${counter} +1`,
        "scheduled",
        expect.stringMatching(/\d/),
        "—",
        "Cancel",
      ]);
    expect(await page.locator("#job-error").isHidden()).toBe(true);
    await expect
      .poll(async () => (await call(platform.url, `/api/counters/${counter}`)).body.count, {
        timeout: 15_000,
      })
      .toBe(1);
    // The list refreshes by itself: no click after the job ran.
    await expect.poll(() => row.locator("td.status").textContent(), { timeout: 15_000 }).toBe("completed");
    expect(await row.getByRole("button").count()).toBe(0);
    await page.close();
  });

  it("lists a scheduler's jobs with their last error, and cancels one with its button", async () => {
    const scheduler = uniqueName("ops");
    const schedule = (body: unknown) =>
      callAsAdmin(platform.url, `/api/schedulers/${scheduler}/jobs`, { method: "POST", json: body });
    // A webhook that cannot connect fails at once and keeps its error; two jobs wait an hour.
    const failing = await schedule({
      delayMs: 0,
      maxAttempts: 1,
      action: { type: "webhook", url: "http://127.0.0.1:1/hook" },
    });
    const later = await schedule({
      delayMs: 3_600_000,
      action: { type: "counter.increment", counter: "later" },
    });
    const keep = await schedule({
      delayMs: 7_200_000,
      action: { type: "counter.increment", counter: "keep" },
    });
    for (const r of [failing, later, keep]) expect(r.status).toBe(201);
    await expect
      .poll(
        async () =>
          (await call(platform.url, `/api/schedulers/${scheduler}/jobs/${failing.body.id}`)).body.status,
        {
          timeout: 15_000,
        },
      )
      .toBe("failed");

    for (const width of [1280, 390]) {
      const page = await openPage(width);
      await page.getByRole("textbox", { name: "Scheduler" }).fill(scheduler);
      await page.getByRole("textbox", { name: "Scheduler" }).dispatchEvent("change");
      const rows = page.locator("#jobs-body tr");
      await expect.poll(() => rows.count()).toBe(3);
      // Pending first, soonest first; then the finished ones.
      expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-job-id")))).toEqual([
        later.body.id,
        keep.body.id,
        failing.body.id,
      ]);
      const failed = rows.nth(2);
      expect(await failed.locator("td.status").textContent()).toBe("failed");
      expect(await failed.locator("td.last-error").textContent()).toMatch(/\S/);
      expect(await page.locator("#jobs-summary").textContent()).toMatch(
        new RegExp(`^Scheduler ${scheduler}: 2 scheduled, 1 failed · updated `),
      );
      await screenshot(page, `scheduler-${width}.png`);
      await page.close();
    }

    const page = await openPage();
    await page.getByRole("textbox", { name: "Scheduler" }).fill(scheduler);
    await page.getByRole("textbox", { name: "Scheduler" }).dispatchEvent("change");
    const cancel = page.getByRole("button", { name: `Cancel job ${later.body.id.slice(0, 8)}` });
    await cancel.click();
    await expect
      .poll(() => page.locator("#job-error").textContent())
      .toBe("Paste the admin token above to cancel a job.");
    await page.getByLabel("Admin token").fill(TEST_ADMIN_TOKEN);
    await cancel.click();
    await expect
      .poll(() => page.locator(`#jobs-body tr[data-job-id="${later.body.id}"] td.status`).textContent())
      .toBe("cancelled");
    expect(await page.locator("#job-error").isHidden()).toBe(true);
    expect((await call(platform.url, `/api/schedulers/${scheduler}/jobs/${later.body.id}`)).body.status).toBe(
      "cancelled",
    );
    expect((await call(platform.url, `/api/schedulers/${scheduler}/jobs/${keep.body.id}`)).body.status).toBe(
      "scheduled",
    );
    await screenshot(page, "page-1280.png");
    await page.close();
  });

  it("logged no console errors, CSP violations or uncaught exceptions", () => {
    expect(problems).toEqual([]);
  });
});
