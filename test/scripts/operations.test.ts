import net from "node:net";
import { describe, expect, inject, it } from "vitest";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { TailUsageError, tailCommand } from "../../scripts/lib/logs.ts";
import { type RotationOps, rotateToken } from "../../scripts/lib/rotate-token.ts";
import { environmentStatus, formatStatusTable } from "../../scripts/lib/status.ts";
import { callAsAdmin, uniqueName, useBuiltPlatform } from "../support/platform.ts";

let platform: LocalPlatform;
useBuiltPlatform((p) => (platform = p));

const getJson = async (url: URL) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as { migrationTag?: string } };
};

describe("npm run status", () => {
  it("shows a stack in sync with what it runs, and a scheduler's pending jobs", async () => {
    const scheduler = uniqueName("status");
    for (const delayMs of [60_000, 120_000]) {
      const res = await callAsAdmin(platform.url, `/api/schedulers/${scheduler}/jobs`, {
        method: "POST",
        json: { delayMs, action: { type: "counter.increment", counter: "status" } },
      });
      expect(res.status).toBe(201);
    }
    const health = await getJson(new URL("/health", platform.url));
    const outputs = {
      url: platform.url.href,
      buildId: inject("buildId"),
      migrationTag: health.body.migrationTag,
    };
    const row = await environmentStatus("staging", { outputs: async () => outputs, getJson }, { scheduler });
    expect(row).toMatchObject({
      stack: "staging",
      url: platform.url.href,
      deployedBuild: inject("buildId"),
      liveBuild: inject("buildId"),
      liveMigrationTag: health.body.migrationTag,
      state: "in sync",
      scheduler: { name: scheduler, jobs: { scheduled: 2 } },
    });
    const table = formatStatusTable([row]).split("\n");
    expect(table[0]).toMatch(/^stack\s+url\s+deployed\s+live\s+migrations\s+pending jobs\s+state$/);
    expect(table[2]).toContain(`2 in ${scheduler}`);
    expect(table[2]).toContain(inject("buildId").slice(0, 12));
  });

  it("says when the environment runs another build than its stack deployed", async () => {
    const outputs = { url: platform.url.href, buildId: "f".repeat(64) };
    const row = await environmentStatus("prod", { outputs: async () => outputs, getJson });
    expect(row.state).toBe(
      "build differ from the last deploy (a deploy in progress, or a deploy outside Pulumi)",
    );
    expect(row.liveBuild).toBe(inject("buildId"));
  });

  it("says a stack without outputs is not deployed, and an unreachable URL is unreachable", async () => {
    const none = await environmentStatus("pr-1", { outputs: async () => ({}), getJson });
    expect(none.state).toBe("not deployed (pulumi up -s pr-1)");
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const gone = await environmentStatus("pr-2", {
      outputs: async () => ({ url: `http://127.0.0.1:${port}/` }),
      getJson,
    });
    expect(gone.state).toBe("unreachable: ECONNREFUSED");
  });
});

describe("npm run logs: the wrangler tail command line", () => {
  it("tails the stack's script in the stack's account, pretty by default", () => {
    expect(tailCommand({ scriptName: "do-platform-staging", accountId: "a".repeat(32) })).toEqual({
      args: ["tail", "do-platform-staging", "--format", "pretty"],
      env: { CLOUDFLARE_ACCOUNT_ID: "a".repeat(32) },
    });
  });

  it("passes status, method and search filters, and JSON", () => {
    expect(
      tailCommand({
        scriptName: "do-platform-prod",
        status: ["error", "canceled"],
        method: ["post", "DELETE"],
        search: "webhook",
        json: true,
      }),
    ).toEqual({
      args: [
        "tail",
        "do-platform-prod",
        "--format",
        "json",
        "--status",
        "error",
        "--status",
        "canceled",
        "--method",
        "POST",
        "--method",
        "DELETE",
        "--search",
        "webhook",
      ],
      env: {},
    });
  });

  it("refuses filters wrangler would refuse, with the allowed values", () => {
    expect(() => tailCommand({ scriptName: "x", status: ["failed"] })).toThrow(
      new TailUsageError('--status takes ok, error, canceled; got "failed"'),
    );
    expect(() => tailCommand({ scriptName: "x", method: ["FETCH"] })).toThrow(TailUsageError);
  });
});

describe("npm run rotate-token", () => {
  function recordingOps(overrides: Partial<RotationOps> = {}) {
    const calls: string[] = [];
    const ops: RotationOps = {
      async setSecret(stack, key, value) {
        calls.push(`setSecret ${stack} ${key} ${value}`);
      },
      async up(stack, onOutput) {
        calls.push(`up ${stack}`);
        onOutput("Resources: 1 updated\n");
      },
      async outputs(stack) {
        calls.push(`outputs ${stack}`);
        return { url: "https://do-platform-staging.example.workers.dev" };
      },
      async adminWorks(url, token) {
        calls.push(`adminWorks ${url.href} ${token}`);
        return true;
      },
      localBuild: async () => "b".repeat(64),
      servedBuild: async () => "b".repeat(64),
      ...overrides,
    };
    return { ops, calls };
  }

  it("sets the secret, deploys, proves the new token works, and lists the CI secret to update", async () => {
    const { ops, calls } = recordingOps();
    const lines: string[] = [];
    const result = await rotateToken(
      "staging",
      ops,
      (l) => lines.push(l),
      () => "new-token",
    );
    expect(calls).toEqual([
      "outputs staging",
      "setSecret staging adminToken new-token",
      "up staging",
      "outputs staging",
      "adminWorks https://do-platform-staging.example.workers.dev/ new-token",
    ]);
    expect(result.ok).toBe(true);
    expect(result.followUps.join("\n")).toContain(
      'gh secret set ADMIN_TOKEN_STAGING --body "$(pulumi config get adminToken -s staging)"',
    );
    // The token never reaches the output (CI logs keep it).
    expect(lines.join("\n")).not.toContain("new-token");
    expect(lines).toContain("      Resources: 1 updated");
  });

  it("says the old token still works when the deploy fails", async () => {
    const { ops, calls } = recordingOps({
      async up() {
        throw new Error("There is no stack prod in the current Pulumi backend.");
      },
    });
    const result = await rotateToken(
      "prod",
      ops,
      () => {},
      () => "t",
    );
    expect(calls).toEqual(["outputs prod", "setSecret prod adminToken t"]);
    expect(result.ok).toBe(false);
    expect(result.followUps[0]).toBe(
      "Pulumi.prod.yaml holds the new token but prod still runs with the old one (it keeps working).",
    );
  });

  it("refuses, before changing anything, when this tree builds other code than the stack serves", async () => {
    const { ops, calls } = recordingOps({ servedBuild: async () => "a".repeat(64) });
    const lines: string[] = [];
    const result = await rotateToken("prod", ops, (l) => lines.push(l));
    expect(result.ok).toBe(false);
    expect(calls).toEqual(["outputs prod"]);
    expect(lines.join("\n")).toMatch(
      /rotation refused: prod serves build a{64} and this tree builds b{64}; rotating deploys this tree, so it would change the code too\. Nothing was changed\./,
    );
    expect(result.followUps[0]).toMatch(/Check out the commit prod runs \(build aaaaaaaaaaaa/);
  });

  it("generates a fresh 256-bit token each time", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const { ops, calls } = recordingOps();
      await rotateToken("staging", ops, () => {});
      seen.add(calls[1]!.split(" ")[3]!);
    }
    expect([...seen].every((t) => /^[0-9a-f]{64}$/.test(t))).toBe(true);
    expect(seen.size).toBe(2);
  });
});
