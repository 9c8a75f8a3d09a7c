import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect as expectOutside, it, vi } from "vitest";
import { ROOT } from "../../infra/build.ts";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { call, callAsAdmin, startBuiltPlatform, TEST_ADMIN_TOKEN, uniqueName } from "../support/platform.ts";
import { launchChromium } from "./browser.ts";
import { closePage, jobRows, openPage, screenshot, showScheduler, WIDTHS, type Width } from "./pages.ts";

let platform: LocalPlatform;
let browser: Browser;

/** A busy scheduler: 50 pending jobs of every action type and timing, one failed and one cancelled. */
const busy = uniqueName("busy");
let failed: { id: string };

const schedule = (scheduler: string, body: unknown) =>
  callAsAdmin(platform.url, `/api/schedulers/${scheduler}/jobs`, { method: "POST", json: body });

beforeAll(async () => {
  [platform, browser] = await Promise.all([startBuiltPlatform(), launchChromium()]);
  const bodies: unknown[] = Array.from({ length: 50 }, (_, i) => ({
    ...[{ everyMs: 60_000 * (i + 1) }, { cron: "0 9 * * 1-5" }, { delayMs: 3_600_000 + i * 60_000 }][i % 3],
    action: [
      { type: "counter.increment", counter: `c${i}`, by: i + 1 },
      { type: "chat.post", room: "lobby", text: `reminder ${i}: the stand-up starts in five minutes` },
      { type: "webhook", url: `https://hooks.example.com/services/T0/B${i}/secret`, method: "PUT" },
    ][i % 3],
  }));
  // A webhook that cannot connect fails at once and keeps its error.
  bodies.push({ delayMs: 0, maxAttempts: 1, action: { type: "webhook", url: "http://127.0.0.1:1/hook" } });
  bodies.push({ delayMs: 7_200_000, action: { type: "counter.increment", counter: "gone" } });
  const made = await Promise.all(bodies.map((body) => schedule(busy, body)));
  for (const r of made) expectOutside(r.status).toBe(201);
  failed = made.at(-2)!.body;
  const cancelled = made.at(-1)!.body;
  expectOutside(
    (await callAsAdmin(platform.url, `/api/schedulers/${busy}/jobs/${cancelled.id}`, { method: "DELETE" }))
      .status,
  ).toBe(200);
  await vi.waitFor(
    async () => {
      const job = await call(platform.url, `/api/schedulers/${busy}/jobs/${failed.id}`);
      expectOutside(job.body.status).toBe("failed");
    },
    { timeout: 15_000, interval: 100 },
  );
});
afterAll(async () => {
  await browser?.close();
  await platform?.dispose();
});

const perPage = (width: Width) => (width === 1280 ? 10 : 5);
const viewportHeight = (page: Page) => page.viewportSize()!.height;

/** How many of the job rows are entirely on the first screen (the viewport, unscrolled). */
async function rowsOnFirstScreen(page: Page): Promise<number> {
  const height = viewportHeight(page);
  const boxes = await jobRows(page).evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().bottom));
  return boxes.filter((bottom) => bottom <= height).length;
}

/** The scheduler name the README's and docs' examples use most (they are what a new user types first). */
async function documentedScheduler(): Promise<string> {
  const docs = await readdir(path.join(ROOT, "docs")).catch(() => [] as string[]);
  const files = ["README.md", ...docs.filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f))];
  const uses = new Map<string, number>();
  for (const file of files) {
    const text = await readFile(path.join(ROOT, file), "utf8");
    for (const m of text.matchAll(/\/api\/schedulers\/([A-Za-z0-9_.-]+)\/jobs/g)) {
      uses.set(m[1]!, (uses.get(m[1]!) ?? 0) + 1);
    }
  }
  return [...uses].sort((a, b) => b[1] - a[1])[0]![0];
}

describe.concurrent.each(WIDTHS)("the page as an operator console at %i px", (width) => {
  it("shows a busy scheduler's jobs on the first screen, a page at a time, with a status filter and run history", async ({
    expect,
  }) => {
    const page = await openPage(browser, platform.url, width);
    await showScheduler(page, busy);
    const rows = jobRows(page);
    await expect.poll(() => rows.count()).toBe(perPage(width));
    await expect
      .poll(() => page.locator("#jobs-summary").textContent())
      .toMatch(/^50 scheduled, 1 failed, 1 cancelled · updated /);
    // Above the fold, and 52 jobs do not make the page thousands of pixels tall.
    // All ten on a laptop; the first few on a phone, below the scheduler's name, filter and token.
    expect(await rowsOnFirstScreen(page)).toBeGreaterThanOrEqual(width === 1280 ? 10 : 3);
    const section = (await page.locator("section.scheduler").boundingBox())!;
    expect(section.height).toBeLessThan(viewportHeight(page) * 1.25);
    expect(await page.evaluate("document.documentElement.scrollHeight")).toBeLessThan(2500);
    await screenshot(page, `busy-${width}-first-screen.png`, false);
    await screenshot(page, `busy-${width}.png`);

    // The soonest first: the job every 60 s, with its schedule, next run and attempts.
    const first = rows.first();
    expect(await first.locator("td.action").textContent()).toBe("counter c0 +1");
    expect(await first.locator("td.schedule").textContent()).toBe("every 60 s");
    expect(await first.locator("td.status").textContent()).toBe("scheduled");
    expect(await first.locator("td.next-run").textContent()).toMatch(/\d/);
    expect(await first.locator("td.last-run").textContent()).toBe("—");
    expect(await first.locator("td.attempts").textContent()).toBe("0/5");

    // Paging: the next page shows other jobs; the last one the finished jobs.
    const pages = Math.ceil(52 / perPage(width));
    expect(await page.locator("#jobs-page").textContent()).toBe(`Page 1 of ${pages}`);
    const ids = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-job-id")));
    const firstPage = await ids();
    await page.getByRole("button", { name: "Next" }).click();
    expect(await page.locator("#jobs-page").textContent()).toBe(`Page 2 of ${pages}`);
    expect((await ids()).filter((id) => firstPage.includes(id))).toEqual([]);
    await page.getByRole("button", { name: "Previous" }).click();
    expect(await ids()).toEqual(firstPage);
    // The last pages: the cron jobs (next Monday to Friday at 9:00 UTC), then the finished ones, newest first.
    const next = page.getByRole("button", { name: "Next" });
    for (let n = 1; n < pages - 1; n++) await next.click();
    expect(await page.locator("#jobs-body td.schedule").allTextContents()).toContain(
      "cron 0 9 * * 1-5 (UTC)",
    );
    await next.click();
    expect(await next.isDisabled()).toBe(true);
    expect(await page.locator("#jobs-body td.status").allTextContents()).toEqual(["cancelled", "failed"]);

    // The filter: only the failed job, with its attempts, last run and error; no pages.
    await page.getByLabel("Status").selectOption("failed");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.locator("#job-status option:checked").textContent()).toBe("Failed (1)");
    const row = rows.first();
    expect(await row.getAttribute("data-job-id")).toBe(failed.id);
    expect(await row.locator("td.status").textContent()).toBe("failed");
    expect(await row.locator("td.attempts").textContent()).toBe("1/1");
    expect(await row.locator("td.last-run").textContent()).toMatch(/\d/);
    expect(await row.locator("td.last-error").textContent()).toMatch(
      /^POST http:\/\/127\.0\.0\.1:1\/\[redacted\] failed/,
    );
    expect(await page.locator("#jobs-pager").isHidden()).toBe(true);

    // Its run history, from the job's id.
    await page.getByRole("button", { name: `History of job ${failed.id.slice(0, 8)}` }).click();
    const dialog = page.getByRole("dialog");
    await expect.poll(() => dialog.locator("#runs-body tr").count()).toBe(1);
    expect(await dialog.locator("#history-id").textContent()).toBe(failed.id);
    expect(await dialog.locator("#runs-body td.status").textContent()).toBe("failed");
    expect(await dialog.locator("#runs-body td.last-error").textContent()).toMatch(
      /failed: the connection failed/,
    );
    expect(await dialog.locator("dd").first().textContent()).toBe("webhook POST 127.0.0.1:1/[redacted]");
    await screenshot(page, `history-${width}.png`, false);
    await dialog.getByRole("button", { name: "Close" }).click();
    expect(await dialog.isHidden()).toBe(true);
    await closePage(page);
  });

  it("cancels a job only after a confirmation", async ({ expect }) => {
    const scheduler = uniqueName("ops");
    const later = (
      await schedule(scheduler, {
        delayMs: 3_600_000,
        action: { type: "counter.increment", counter: "later" },
      })
    ).body;
    const keep = (
      await schedule(scheduler, {
        delayMs: 7_200_000,
        action: { type: "counter.increment", counter: "keep" },
      })
    ).body;
    const statusOf = async (id: string) =>
      (await call(platform.url, `/api/schedulers/${scheduler}/jobs/${id}`)).body.status;
    const page = await openPage(browser, platform.url, width);
    await showScheduler(page, scheduler);
    const cancel = page.getByRole("button", { name: `Cancel job ${later.id.slice(0, 8)}` });
    await cancel.click();
    await expect
      .poll(() => page.locator("#job-error").textContent())
      .toBe("Paste the admin token above to cancel a job.");
    await page.getByLabel("Admin token").fill(TEST_ADMIN_TOKEN);

    const dialog = page.getByRole("dialog");
    await cancel.click();
    await expect
      .poll(() => dialog.locator("#cancel-what").textContent())
      .toMatch(/^counter later \+1, once, next run /);
    await screenshot(page, `cancel-${width}.png`, false);
    await dialog.getByRole("button", { name: "Keep it" }).click();
    expect(await dialog.isHidden()).toBe(true);
    expect(await statusOf(later.id)).toBe("scheduled");

    await cancel.click();
    await dialog.getByRole("button", { name: "Yes, cancel it" }).click();
    await expect
      .poll(() => page.locator(`#jobs-body tr[data-job-id="${later.id}"] td.status`).textContent())
      .toBe("cancelled");
    expect(await page.locator("#job-error").isHidden()).toBe(true);
    expect(await statusOf(later.id)).toBe("cancelled");
    expect(await statusOf(keep.id)).toBe("scheduled");
    await closePage(page);
  });

  it("schedules every action type once, every N seconds or by cron, in seconds, and says errors in seconds", async ({
    expect,
  }) => {
    const scheduler = uniqueName("form");
    const room = uniqueName("room");
    const page = await openPage(browser, platform.url, width);
    await showScheduler(page, scheduler);
    await page.getByLabel("Admin token").fill(TEST_ADMIN_TOKEN);
    await page.getByText("Schedule a job").click();
    const submit = page.getByRole("button", { name: "Schedule", exact: true });
    const formError = page.locator("#job-form-error");
    const done = page.locator("#job-done");
    const jobs = async () =>
      (await callAsAdmin(platform.url, `/api/schedulers/${scheduler}/jobs`)).body.jobs as {
        schedule: unknown;
        action: unknown;
        maxAttempts: number;
      }[];
    const lastJob = async () => (await jobs()).at(-1)!;
    const scheduled = async (n: number) => {
      await expect.poll(() => done.textContent()).toMatch(/^Scheduled job [0-9a-f]{8} /);
      expect(await formError.isHidden()).toBe(true);
      await expect.poll(async () => (await jobs()).length).toBe(n);
    };

    // A counter, every N seconds: the API's millisecond limit comes back in seconds.
    await page.getByLabel("Every (seconds)").waitFor({ state: "hidden" });
    await page.getByLabel("When").selectOption("every");
    await page.getByLabel("Every (seconds)").fill("0.5");
    await submit.click();
    await expect
      .poll(() => formError.textContent())
      .toBe("Every must be from 1 to 31622400 seconds (366 days)");
    await page.getByLabel("Every (seconds)").fill("2");
    await page.getByLabel("Attempts at most").fill("3");
    await submit.click();
    await scheduled(1);
    expect(await lastJob()).toMatchObject({
      schedule: { everyMs: 2000 },
      action: { type: "counter.increment", counter: "visits", by: 1 },
      maxAttempts: 3,
    });

    // A chat message, once after half a second: it is posted.
    await page.getByLabel("Action").selectOption("chat.post");
    await page.getByLabel("When").selectOption("delay");
    await page.getByLabel("Chat room").fill(room);
    await page.getByLabel("Message to post").fill("from the page's scheduler");
    await page.getByLabel("Delay (seconds)").fill("0.5");
    await submit.click();
    await scheduled(2);
    await expect
      .poll(async () => (await call(platform.url, `/api/rooms/${room}/messages`)).body.messages, {
        timeout: 15_000,
      })
      .toEqual([expect.objectContaining({ user: "scheduler", text: "from the page's scheduler" })]);

    // A webhook by cron, with a method, a JSON body, a header and a timeout in seconds.
    await page.getByLabel("Action").selectOption("webhook");
    await page.getByLabel("When").selectOption("cron");
    await page.getByLabel("URL").fill("https://hooks.example.com/cron");
    await page.getByLabel("Method").selectOption("PUT");
    await page.getByLabel("Body (JSON, or text sent as is; optional)").fill('{"hello":"world"}');
    await page.getByLabel('Headers (one "Name: value" a line; optional)').fill("X-Trace: abc");
    await page.getByLabel("Cron (5 fields, UTC)").fill("*/5 * * * *");
    await page.getByLabel("Timeout (seconds)").fill("90");
    await submit.click();
    await expect.poll(() => formError.textContent()).toBe("Timeout must be from 0.1 to 60 seconds");
    await page.getByLabel("Timeout (seconds)").fill("2.5");
    await submit.click();
    await scheduled(3);
    expect(await lastJob()).toMatchObject({
      schedule: { cron: "*/5 * * * *" },
      action: {
        type: "webhook",
        url: "https://hooks.example.com/cron",
        method: "PUT",
        body: { hello: "world" },
        headers: { "X-Trace": "[redacted]" },
        timeoutMs: 2500,
      },
    });

    // A webhook once, at a time given in the browser's own time zone.
    await page.getByLabel("When").selectOption("at");
    const inAnHour = await page.evaluate(() => {
      const at = new Date(Date.now() + 3_600_000);
      at.setMilliseconds(0);
      const two = (n: number) => String(n).padStart(2, "0");
      const local = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
      return { local, iso: at.toISOString() };
    });
    await page.getByLabel("At (this browser's time)").fill(inAnHour.local);
    await submit.click();
    await scheduled(4);
    expect(await lastJob()).toMatchObject({ schedule: { runAt: inAnHour.iso }, action: { type: "webhook" } });
    await screenshot(page, `form-${width}.png`);
    await closePage(page);
  });

  it("keeps the admin token, the scheduler and the filter across a reload, in this tab only", async ({
    expect,
  }) => {
    const page = await openPage(browser, platform.url, width);
    // What a new user sees first is the scheduler the README's examples fill.
    expect(await page.getByRole("textbox", { name: "Scheduler" }).inputValue()).toBe(
      await documentedScheduler(),
    );
    const scheduler = uniqueName("kept");
    await schedule(scheduler, { delayMs: 3_600_000, action: { type: "counter.increment", counter: "kept" } });
    await showScheduler(page, scheduler);
    await page.getByLabel("Status").selectOption("scheduled");
    await page.getByLabel("Admin token").fill(TEST_ADMIN_TOKEN);
    await expect.poll(() => jobRows(page).count()).toBe(1);

    await page.reload();
    await expect.poll(() => jobRows(page).count()).toBe(1);
    expect(await page.getByRole("textbox", { name: "Scheduler" }).inputValue()).toBe(scheduler);
    expect(await page.getByLabel("Status").inputValue()).toBe("scheduled");
    expect(await page.getByLabel("Admin token").inputValue()).toBe(TEST_ADMIN_TOKEN);
    expect(await page.locator("#job-token-help").isHidden()).toBe(true);

    // Another tab of the same browser starts afresh: the token is not spread beyond the tab it was pasted into.
    const other = await page.context().newPage();
    await other.goto(platform.url.href);
    expect(await other.getByRole("textbox", { name: "Scheduler" }).inputValue()).toBe(
      await documentedScheduler(),
    );
    expect(await other.getByLabel("Admin token").inputValue()).toBe("");
    await closePage(page);
  });

  it("names a deployed stack's token command when the token is refused", async ({ expect }) => {
    // Served under a name that is not the loopback's, the page is a deployed stack's: its environment names the stack.
    const deployed = new URL(platform.url);
    deployed.hostname = "staging.do-platform.example";
    const page = await openPage(browser, deployed, width, {
      // True: the page is on plain http under that name, unlike a deployed stack (https).
      allow: [
        /^The Cross-Origin-Opener-Policy header has been ignored, because the URL's origin was untrustworthy/,
      ],
    });
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByText("Schedule a job").click();
    await page.getByRole("button", { name: "Schedule", exact: true }).click();
    await expect
      .poll(() => page.locator("#job-form-error").textContent())
      .toBe(
        "The admin token is not valid. Paste this environment's admin token: `pulumi config get adminToken -s test` prints it.",
      );
    await closePage(page);
  });

  it("gives every control a touch target of at least 44 by 44 px on a touch screen", async ({ expect }) => {
    const page = await openPage(browser, platform.url, width, { contextOptions: { hasTouch: true } });
    await showScheduler(page, busy);
    await expect.poll(() => jobRows(page).count()).toBe(perPage(width));
    await page.getByText("Schedule a job").click();
    const small = async () =>
      page.locator("button, input, select, textarea, summary").evaluateAll((els) =>
        els
          .filter((el) => el.getClientRects().length > 0)
          .map((el) => ({ el, box: el.getBoundingClientRect() }))
          .filter(({ box }) => box.width < 44 || box.height < 44)
          .map(
            ({ el, box }) => `${el.id || el.textContent} ${Math.round(box.width)}x${Math.round(box.height)}`,
          ),
      );
    expect(await small()).toEqual([]);
    await page
      .getByRole("button", { name: /^History of job / })
      .first()
      .click();
    expect(await small()).toEqual([]);
    await closePage(page);
  });
});
