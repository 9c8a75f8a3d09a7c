import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { expect } from "vitest";

/**
 * The two screens every page test runs at: a laptop's 1280 × 800, and a phone's 390 × 844 (the CSS size of
 * current iPhones) with touch. "The first screen" of a test is this viewport.
 */
export const WIDTHS = [1280, 390] as const;
export type Width = (typeof WIDTHS)[number];
const SCREENS: Record<Width, BrowserContextOptions> = {
  1280: { viewport: { width: 1280, height: 800 } },
  390: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};

/** Chromium logs every HTTP error response; the tests cause 4xx answers on purpose, so those are not problems. */
const EXPECTED = [/^Failed to load resource: the server responded with a status of 4\d\d/];
const problems = new WeakMap<Page, string[]>();

/**
 * A page of `url` at `width`, in its own browser context (its own cookies and storage: a separate person), once its
 * health line shows a build. Console errors and uncaught exceptions are collected (a CSP violation shows up there
 * too), except the `allow`ed ones; `closePage` fails the test if there were any.
 */
export async function openPage(
  browser: Browser,
  url: URL | string,
  width: Width,
  options: { allow?: RegExp[]; contextOptions?: BrowserContextOptions } = {},
): Promise<Page> {
  const context = await browser.newContext({ ...SCREENS[width], ...options.contextOptions });
  const page = await context.newPage();
  const seen: string[] = [];
  problems.set(page, seen);
  const allowed = [...EXPECTED, ...(options.allow ?? [])];
  page.on("console", (m) => {
    if (m.type() === "error" && !allowed.some((re) => re.test(m.text()))) seen.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => seen.push(`pageerror: ${e.message}`));
  await page.goto(String(url));
  await page.locator("#health", { hasText: / · build [0-9a-f]{12}/ }).waitFor();
  return page;
}

/** Closes a page's context after checking that it logged no console errors, CSP violations or exceptions. */
export async function closePage(page: Page): Promise<void> {
  expect(problems.get(page)).toEqual([]);
  await page.context().close();
}

/**
 * A screenshot (the whole page, or the first screen) for a person to look at, in E2E_SCREENSHOT_DIR or else a fresh
 * temp dir; logs its path.
 */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  screenshotDir ??= process.env.E2E_SCREENSHOT_DIR ?? (await mkdtemp(path.join(tmpdir(), "e2e-")));
  await mkdir(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, name);
  // The first screen, as a person arriving at the page sees it (a focused field may have scrolled it).
  if (!fullPage) await page.evaluate("window.scrollTo(0, 0)");
  await page.screenshot({ path: file, fullPage });
  console.log(`screenshot: ${file}`);
}
let screenshotDir: string | undefined;

/** Shows a scheduler's jobs: types its name and leaves the field, as a person would. */
export async function showScheduler(page: Page, scheduler: string): Promise<void> {
  const field = page.getByRole("textbox", { name: "Scheduler" });
  await field.fill(scheduler);
  await field.dispatchEvent("change");
}

/** The cells of the job rows shown, by column label. */
export function jobRows(page: Page) {
  return page.locator("#jobs-body tr");
}

export async function joinRoom(page: Page, room: string, user: string): Promise<void> {
  await page.locator("#chat-room").fill(room);
  await page.locator("#chat-user").fill(user);
  await page.getByRole("button", { name: "Join" }).click();
  await page.locator("#chat-status", { hasText: `Connected to ${room} as ${user}.` }).waitFor();
}

export const chatLines = (page: Page) => page.locator("#chat-messages li").allTextContents();
