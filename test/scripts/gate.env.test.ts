import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { withoutCredentials } from "../../scripts/lib/gate.ts";

describe("the promotion gate's tests run without the promoter's credentials", () => {
  const promoter = {
    PATH: "/usr/bin",
    HOME: "/home/ci",
    CI: "true",
    NODE_OPTIONS: "--max-old-space-size=4096",
    PULUMI_ACCESS_TOKEN: "pul-xxx",
    PULUMI_CONFIG_PASSPHRASE: "pass",
    CLOUDFLARE_API_TOKEN: "cf-xxx",
    ADMIN_TOKEN_STAGING: "s",
    ADMIN_TOKEN_PROD: "p",
    ADMIN_TOKEN: "a",
    AWS_ACCESS_KEY_ID: "AKIA",
    AWS_SECRET_ACCESS_KEY: "k",
    ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.actions.example",
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "r",
  };

  it("drops every credential and keeps what a test run needs", () => {
    expect(withoutCredentials(promoter)).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/ci",
      CI: "true",
      NODE_OPTIONS: "--max-old-space-size=4096",
    });
  });

  it("a child started with it sees none of them", () => {
    const child = spawnSync(
      process.execPath,
      ["-e", "console.log(JSON.stringify(Object.keys(process.env)))"],
      {
        env: withoutCredentials({ ...process.env, ...promoter }),
        encoding: "utf8",
      },
    );
    const names: string[] = JSON.parse(child.stdout);
    expect(names.filter((n) => n in promoter && !["PATH", "HOME", "CI", "NODE_OPTIONS"].includes(n))).toEqual(
      [],
    );
  });
});
