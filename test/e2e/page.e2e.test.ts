import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { call, startBuiltPlatform, TEST_ADMIN_TOKEN, uniqueName } from "../support/platform.ts";
import { launchChromium } from "./browser.ts";
import { chatLines, closePage, joinRoom, openPage, screenshot, showScheduler, WIDTHS } from "./pages.ts";

let platform: LocalPlatform;
let browser: Browser;

beforeAll(async () => {
  [platform, browser] = await Promise.all([startBuiltPlatform(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await platform?.dispose();
});

// Each width in its own pages, at the same time: the tests name their own counters, rooms and schedulers.
describe.concurrent.each(WIDTHS)("the page in a real browser at %i px", (width) => {
  it("increments and reads a named counter, and shows API errors", async ({ expect }) => {
    const page = await openPage(browser, platform.url, width);
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
    await closePage(page);
  });

  it("exchanges chat messages live between two people, with history, presence and one's own highlighted", async ({
    expect,
  }) => {
    const room = uniqueName("room");
    await call(platform.url, `/api/rooms/${room}/messages`, {
      method: "POST",
      json: { user: "earlier", text: "said before anyone came" },
    });
    const alice = await openPage(browser, platform.url, width);
    const placeholder = await alice
      .locator("#chat-messages")
      .evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el, "::before").content);
    expect(placeholder).toBe('"No messages yet. Join the room and say hello."');
    await joinRoom(alice, room, "alice");
    expect(await chatLines(alice)).toEqual([expect.stringMatching(/^earlier.*said before anyone came$/)]);

    const bob = await openPage(browser, platform.url, width);
    await joinRoom(bob, room, "bob");
    await expect.poll(() => alice.locator("#chat-members").textContent()).toBe("alice, bob");
    expect(await bob.locator("#chat-members").textContent()).toBe("alice, bob");

    await bob.getByRole("textbox", { name: "Message", exact: true }).fill("hello from bob <b>not bold</b>");
    await bob.getByRole("button", { name: "Send" }).click();
    await expect
      .poll(() => chatLines(alice))
      .toEqual([
        expect.stringContaining("said before anyone came"),
        "bob joined",
        expect.stringMatching(/^bob.*hello from bob <b>not bold<\/b>$/),
      ]);
    expect(await alice.locator("#chat-messages b").count()).toBe(0); // text, never markup

    await alice.getByRole("textbox", { name: "Message", exact: true }).fill("hi bob");
    await alice.keyboard.press("Enter");
    await expect.poll(async () => (await chatLines(bob)).at(-1)).toMatch(/^alice.*hi bob$/);

    // One's own messages stand out, in one's own page only.
    const mine = (page: typeof alice) =>
      page.locator("#chat-messages li.message").evaluateAll((lis) =>
        lis.map((li) => ({
          text: li.textContent,
          mine: li.classList.contains("mine"),
          background: li.ownerDocument.defaultView!.getComputedStyle(li).backgroundColor,
        })),
      );
    await expect.poll(async () => (await mine(alice)).length).toBe(3);
    const [earlier, fromBob, fromAlice] = await mine(alice);
    expect([earlier!.mine, fromBob!.mine, fromAlice!.mine]).toEqual([false, false, true]);
    expect(fromAlice!.background).not.toBe(fromBob!.background);
    expect((await mine(bob)).map((m) => m.mine)).toEqual([false, true, false]);
    await screenshot(alice, `chat-${width}.png`);

    // Someone else cannot join as alice while she is here (no resume key in their tab): the page says why.
    const mallory = await openPage(browser, platform.url, width, {
      allow: [/^WebSocket connection to .* failed: .*Unexpected response code: 409/],
    });
    await mallory.locator("#chat-room").fill(room);
    await mallory.locator("#chat-user").fill("alice");
    await mallory.getByRole("button", { name: "Join" }).click();
    await expect
      .poll(() => mallory.locator("#chat-error").textContent())
      .toMatch(/someone here already uses that name/);
    expect(await mallory.locator("#chat-status").textContent()).toBe("Not connected.");
    expect(await alice.locator("#chat-members").textContent()).toBe("alice, bob");
    await closePage(mallory);

    await bob.getByRole("button", { name: "Leave" }).click();
    await expect.poll(async () => (await chatLines(alice)).at(-1)).toBe("bob left");
    expect(await alice.locator("#chat-members").textContent()).toBe("alice");
    expect(await bob.locator("#chat-status").textContent()).toBe("Disconnected (code 1000).");
    await closePage(alice);
    await closePage(bob);
  });

  it("refuses to schedule without a valid admin token and says where it comes from, then schedules with it", async ({
    expect,
  }) => {
    const page = await openPage(browser, platform.url, width);
    const scheduler = uniqueName("sched");
    const counter = uniqueName("job");
    await showScheduler(page, scheduler);
    await expect
      .poll(() => page.locator("#jobs-summary").textContent())
      .toBe(`Scheduler ${scheduler} has no jobs yet.`);
    await page.getByText("Schedule a job").click();
    await page.getByRole("textbox", { name: "Counter to increment" }).fill(counter);
    await page.getByLabel("Delay (seconds)").fill("0.5");
    const schedule = page.getByRole("button", { name: "Schedule", exact: true });
    await schedule.click();
    const formError = page.locator("#job-form-error");
    await expect.poll(() => formError.textContent()).toBe("Paste the admin token above to schedule a job.");
    await page.getByLabel("Admin token").fill("not-the-token");
    await schedule.click();
    // Served from 127.0.0.1: the token of `npm run dev` (a deployed stack's page names its Pulumi secret instead).
    await expect
      .poll(() => formError.textContent())
      .toBe(
        "The admin token is not valid. Paste this environment's admin token: npm run dev prints it and keeps it in .dev.vars.",
      );
    await page.getByLabel("Admin token").fill(TEST_ADMIN_TOKEN);
    await schedule.click();
    await expect
      .poll(() => page.locator("#job-done").textContent())
      .toMatch(/^Scheduled job [0-9a-f]{8} \(once\)/);
    expect(await formError.isHidden()).toBe(true);
    const row = page.locator("#jobs-body tr").first();
    expect(await row.locator("td.action").textContent()).toBe(`counter ${counter} +1`);
    await expect
      .poll(async () => (await call(platform.url, `/api/counters/${counter}`)).body.count, {
        timeout: 15_000,
      })
      .toBe(1);
    // The list refreshes by itself: no click after the job ran.
    await expect.poll(() => row.locator("td.status").textContent(), { timeout: 15_000 }).toBe("completed");
    expect(await row.locator("td.attempts").textContent()).toBe("1/5");
    expect(await row.locator("td.last-run").textContent()).toMatch(/\d/);
    expect(await row.getByRole("button", { name: /^Cancel/ }).count()).toBe(0);
    await closePage(page);
  });
});
