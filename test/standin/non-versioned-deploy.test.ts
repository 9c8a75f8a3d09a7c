import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBuildRecord } from "../../infra/build.ts";
import { nonVersionedDeployProvider, secretsDigest } from "../../infra/non-versioned-deploy.ts";
import { versionMessage } from "../../infra/release-record.ts";
import { localStackSettings } from "../../infra/stack-environment.ts";
import { wranglerDeployConfig } from "../../infra/wrangler-config.ts";
import { programDirectory } from "../../scripts/lib/pulumi-mocks.ts";
import type { Standin } from "../../scripts/standin/index.ts";
import { useStandin } from "./support.ts";

// The program's non-versioned deploy as the Pulumi CLI runs it: the provider object serialized the way
// pulumi.dynamic.Resource serializes it into `__provider`, loaded back the way the CLI's dynamic-provider host
// loads it (@pulumi/pulumi/cmd/dynamic-provider: requireFromString(text).handler()), and run from infra/, the
// directory the CLI starts providers in. Its create runs real wrangler against the stand-in.
const requireFromString = createRequire(import.meta.url)("require-from-string") as (code: string) => {
  handler: () => pulumi.dynamic.ResourceProvider;
};

let standin: Standin;
useStandin((s) => {
  standin = s;
});

let provider: pulumi.dynamic.ResourceProvider;
const saved = { cwd: process.cwd(), env: { ...process.env } };
beforeAll(async () => {
  const serialized = await pulumi.runtime.serializeFunction(() => nonVersionedDeployProvider, {
    allowSecrets: true,
  });
  provider = requireFromString(serialized.text).handler();
  process.chdir(programDirectory());
  Object.assign(process.env, standin.env);
});
afterAll(() => {
  process.chdir(saved.cwd);
  for (const key of Object.keys(standin.env)) {
    if (saved.env[key] === undefined) delete process.env[key];
    else process.env[key] = saved.env[key];
  }
});

async function inputs(name: string, secret: string) {
  const record = (await readBuildRecord())!;
  const settings = localStackSettings("staging");
  if (!settings.ok) throw new Error("staging's settings do not validate");
  const config = { ...wranglerDeployConfig(settings.settings, record.buildId), name };
  const secrets = { ADMIN_TOKEN: secret };
  return {
    accountId: standin.accountId,
    config,
    bundleSha256: record.bundleSha256,
    secrets,
    secretsDigest: secretsDigest(secrets),
    tag: record.buildId,
    message: versionMessage(record.buildId, "ChatRoom:sqlite"),
  };
}

describe("the non-versioned deploy, serialized and run as the Pulumi CLI's dynamic-provider host runs it", () => {
  it("creates the Worker with its classes through real wrangler deploy, and the version serves the build", async () => {
    const given = await inputs("nv-provider", "a".repeat(40));
    const created = await provider.create!(given);
    expect(created.id).toBe("nv-provider");
    expect(created.outs.versionId).toMatch(/^[0-9a-f-]{36}$/);
    // The secrets themselves are not kept in the state, only their digest.
    expect(created.outs).not.toHaveProperty("secrets");
    const health = (await (await fetch(new URL("/health", standin.urlOf("nv-provider")))).json()) as {
      buildId: string;
      versionId: string;
    };
    expect(health).toMatchObject({ buildId: given.tag, versionId: created.outs.versionId });
  });

  it("plans a new deploy for a rotated secret, and none when nothing changed", async () => {
    const before = await inputs("nv-provider", "a".repeat(40));
    const rotated = await inputs("nv-provider", "b".repeat(40));
    expect((await provider.diff!("nv-provider", before, before)).changes).toBe(false);
    expect((await provider.diff!("nv-provider", before, rotated)).changes).toBe(true);
    const updated = await provider.update!("nv-provider", before, rotated);
    expect(updated.outs?.versionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses to upload a bundle other than the one the program planned, before wrangler runs", async () => {
    const given = { ...(await inputs("nv-provider", "a".repeat(40))), bundleSha256: "0".repeat(64) };
    await expect(provider.create!(given)).rejects.toThrow(/changed since this deploy was planned/);
  });
});
