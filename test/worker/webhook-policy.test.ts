import { describe, expect, it } from "vitest";
import type { Env } from "../../worker/env.ts";
import { webhookTargetProblem } from "../../worker/scheduler/actions/webhook-policy.ts";

/** The webhook target rules of a deployed environment (https only, public hosts only), as pure functions. */
const deployed = { WEBHOOK_ALLOW_HTTP: "false" } as unknown as Env;
const problem = (url: string) => webhookTargetProblem(new URL(url), deployed);

describe("webhook target rules of a deployed environment", () => {
  it.each([
    // Normalization: a trailing dot names the same host.
    "https://localhost./",
    "https://LOCALHOST../x",
    "https://metadata.google.internal./",
    // IPv4 special-purpose blocks that are not globally reachable.
    "https://0.0.0.0/",
    "https://127.0.0.1/",
    "https://2130706433/", // 127.0.0.1 as one number: URL parsing turns it into a dotted quad first
    "https://100.64.0.1/",
    "https://192.0.0.1/",
    "https://192.0.2.1/",
    "https://198.18.0.1/",
    "https://198.51.100.7/",
    "https://203.0.113.9/",
    "https://240.0.0.1/",
    "https://255.255.255.255/",
    "https://224.0.0.1/",
    // IPv6: loopback, unspecified, forms that embed IPv4, and the non-global blocks.
    "https://[::]/",
    "https://[::1]/",
    "https://[::7f00:1]/",
    "https://[::127.0.0.1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:8.8.8.8]/",
    "https://[64:ff9b::a00:1]/",
    "https://[64:ff9b::127.0.0.1]/",
    "https://[64:ff9b:1::1]/",
    "https://[2002:7f00:1::]/",
    "https://[fec0::1]/",
    "https://[fe80::1]/",
    "https://[fd00::1]/",
    "https://[ff02::1]/",
    "https://[100::1]/",
    "https://[2001:db8::1]/",
    "https://[2001::1]/",
    "https://[3fff::1]/",
    // Public wildcard-DNS names resolve to the address they spell.
    "https://127.0.0.1.nip.io/",
    "https://10-0-0-1.sslip.io/",
    "https://app.localtest.me/",
    "https://localtest.me./",
  ])("refuses %s", (url) => {
    expect(problem(url)).toMatch(/must be a public host/);
  });

  it.each([
    "https://hooks.example.com/x",
    "https://hooks.example.com./x",
    "https://8.8.8.8/",
    "https://192.0.1.1/",
    "https://[2606:4700::1111]/",
    "https://[64:ff9b::808:808]/",
    "https://[2002:808:808::]/",
  ])("accepts %s", (url) => {
    expect(problem(url)).toBeUndefined();
  });

  it("matches the allow-list whatever the case or trailing dot", () => {
    const env = {
      WEBHOOK_ALLOW_HTTP: "false",
      WEBHOOK_ALLOWED_HOSTS: "Hooks.Example.com.",
    } as unknown as Env;
    expect(webhookTargetProblem(new URL("https://hooks.example.com./x"), env)).toBeUndefined();
    expect(webhookTargetProblem(new URL("https://api.example.com/x"), env)).toMatch(/allow-list/);
  });
});
