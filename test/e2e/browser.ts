import { access } from "node:fs/promises";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium package; playwright-core never downloads a browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags for a quiet headless run in a container: no sandbox (root), no GPU, no calls home. */
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  // A name that is not the loopback's, for pages that behave as on a deployed stack; nothing leaves the machine.
  "--host-resolver-rules=MAP *.do-platform.example 127.0.0.1",
];

export async function launchChromium(): Promise<Browser> {
  try {
    await access(CHROMIUM);
  } catch {
    throw new Error(
      `No browser at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}
