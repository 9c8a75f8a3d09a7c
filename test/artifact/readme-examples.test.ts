import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { TEST_ADMIN_TOKEN, useBuiltPlatform } from "../support/platform.ts";
import { README_BASE_URL, readmeExamples } from "../support/readme-examples.ts";

/**
 * The guide's curl examples (README.md, then docs/*.md), run as written by bash and curl against the built bundle:
 * only the base URL is the test platform's, `$ADMIN_TOKEN` is its token and `<id>` is the id of the last answer
 * that had one (the job or counter just created, earlier in the same file). Each must answer 2xx (or the `# expect NNN` its line documents) with JSON.
 */
let platform: LocalPlatform;
useBuiltPlatform((p) => (platform = p));

// curl reports every response's status on stderr, also inside `$(…)` and pipes, without touching the examples.
const curlHome = mkdtempSync(path.join(tmpdir(), "readme-curl-"));
writeFileSync(path.join(curlHome, ".curlrc"), 'write-out = "%{stderr}HTTP %{http_code}\\n"\n');
afterAll(() => rmSync(curlHome, { recursive: true, force: true }));

const examples = readmeExamples();
const variables: Record<string, string> = {};
let lastId: string | undefined;

describe("every curl example in the README and docs/ runs as written", () => {
  it("finds the examples (counters, schedulers, chat, health)", () => {
    const all = examples.map((e) => e.command).join("\n");
    for (const route of ["/health", "/api/counters/", "/api/schedulers/", "/api/rooms/"]) {
      expect(all).toContain(`${README_BASE_URL}${route}`);
    }
  });

  it.each(examples.map((e) => [`${e.file}:${e.line}`, e] as const))("%s", (_where, example) => {
    let command = example.command.replaceAll(README_BASE_URL, platform.url.origin);
    if (command.includes("<id>")) {
      expect(lastId, "an example uses <id> before any answer had an id").toBeDefined();
      command = command.replaceAll("<id>", lastId!);
    }
    expect(command, "placeholders other than <id> cannot run as written").not.toMatch(/<[a-z-]+>/);
    const script = example.assigns ? `${command}\nprintf '%s' "$${example.assigns}"` : command;
    const run = spawnSync("bash", ["-c", script], {
      env: {
        PATH: process.env.PATH,
        HOME: curlHome,
        CURL_HOME: curlHome,
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        ...variables,
      },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status, `bash failed: ${run.stderr}`).toBe(0);
    const statuses = [...run.stderr.matchAll(/^HTTP (\d{3})$/gm)].map((m) => Number(m[1]));
    expect(statuses.length, `no HTTP answer: ${run.stderr}`).toBeGreaterThan(0);
    for (const status of statuses) {
      if (example.expectStatus) expect(status, run.stdout).toBe(example.expectStatus);
      else expect(status >= 200 && status < 300, `answered ${status}: ${run.stdout}`).toBe(true);
    }
    if (example.assigns) {
      expect(run.stdout, `${example.assigns} came out empty`).toMatch(/\S/);
      variables[example.assigns] = run.stdout;
      lastId = run.stdout;
      return;
    }
    const body = JSON.parse(run.stdout) as { id?: unknown };
    if (typeof body?.id === "string") lastId = body.id;
  });
});
