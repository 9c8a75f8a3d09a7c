import { Agent, fetch as undiciFetch } from "undici";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Standin } from "../../scripts/standin/index.ts";
import {
  latestVersionId,
  useScratch,
  useStandin,
  wrangler,
  writeSecrets,
  writeWranglerConfig,
} from "./support.ts";

// The built bundle deployed by real wrangler and served by real workerd behind the Worker's stand-in URL.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let standin: Standin;
let dir: string;
useStandin((s) => {
  standin = s;
});
useScratch((d) => {
  dir = d;
});

const NAME = "served-worker";
const ADMIN_TOKEN = "served-admin-token-0123456789";
let first: string;
// A new connection per request: a deployment restarts workerd behind the URL (see test/support/platform.ts).
const fresh = new Agent({ pipelining: 0 });
const health = async (headers: Record<string, string> = {}) => {
  const res = await undiciFetch(new URL("/health", standin.urlOf(NAME)), { headers, dispatcher: fresh });
  expect(res.status).toBe(200);
  return ((await res.json()) as { versionId: string }).versionId;
};

beforeAll(async () => {
  const secrets = await writeSecrets(dir, { ADMIN_TOKEN });
  const run = await wrangler(
    standin,
    ["deploy", "-c", await writeWranglerConfig(dir, NAME), "--secrets-file", secrets],
    dir,
  );
  expect(run.code, run.output).toBe(0);
  first = latestVersionId(standin, NAME);
  expect(run.output).toContain(`Current Version ID: ${first}`);
});

describe("a deployed version", () => {
  it("serves /health with its version id, and its Durable Objects", async () => {
    expect(await health()).toBe(first);
    const counter = await undiciFetch(
      new URL("/api/counters/standin-served/increment", standin.urlOf(NAME)),
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
        dispatcher: fresh,
      },
    );
    expect(counter.status, await counter.clone().text()).toBe(200);
  });
});

describe("a split deployment", () => {
  let second: string;
  beforeAll(async () => {
    // A second version: a secret change, which deploys it at 100 %; then wrangler splits 10/90.
    const res = await fetch(
      `${standin.apiBaseUrl}/accounts/${standin.accountId}/workers/scripts/${NAME}/secrets-bulk`,
      {
        method: "PATCH",
        headers: { "content-type": "application/merge-patch+json" },
        body: JSON.stringify({ secrets: { EXTRA: { name: "EXTRA", text: "x", type: "secret_text" } } }),
      },
    );
    expect(res.status).toBe(200);
    second = latestVersionId(standin, NAME);
    const run = await wrangler(
      standin,
      ["versions", "deploy", `${first}@10%`, `${second}@90%`, "--name", NAME, "--yes"],
      dir,
    );
    expect(run.code, run.output).toBe(0);
  });

  it("routes roughly by its percentages", async () => {
    const served = await Promise.all(Array.from({ length: 200 }, () => health()));
    const share = served.filter((id) => id === first).length / served.length;
    // 10 % of 200: the odds of falling outside 2..25 % are below one in a million.
    expect(share).toBeGreaterThan(0.02);
    expect(share).toBeLessThan(0.25);
    expect(new Set(served)).toEqual(new Set([first, second]));
  });

  it("pins the Worker to a version with Cloudflare-Workers-Version-Overrides", async () => {
    const pinned = await Promise.all(
      Array.from({ length: 20 }, () =>
        health({ "Cloudflare-Workers-Version-Overrides": `${NAME}="${first}"` }),
      ),
    );
    expect(new Set(pinned)).toEqual(new Set([first]));
  });
});
