import { createHash } from "node:crypto";
import { rateLimits } from "../worker/manifest.ts";
import type { RateLimitSetting } from "./runtime-environment.ts";

/**
 * Cloudflare keeps a rate limiter's counters per `namespace_id`, and that id is unique per *account*
 * (https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/#configuration). Staging, prod and
 * every preview live in one account, so one id for all of them would make them share counters: a load test on
 * staging would spend prod's budget. Each Worker therefore gets its own block of ids, derived from its name (which
 * is itself unique per account), and the manifest's `namespaceId` numbers the limiter inside that block.
 */
export function rateLimitNamespaceId(workerName: string, limiterNamespaceId: string): string {
  const digest = createHash("sha256").update(workerName).digest();
  // 1..99,999: a block of 10,000 ids per Worker, all below 2^31.
  const block = (digest.readUInt32BE(0) % 99_999) + 1;
  return String(block * 10_000 + Number(limiterNamespaceId));
}

/** One limiter as a stack deploys it: its account-unique namespace id and the limit and period it enforces. */
export interface DeployedRateLimit {
  readonly name: string;
  readonly namespaceId: string;
  readonly simple: RateLimitSetting;
}

/**
 * Every limiter of the manifest as one Worker deploys it. PUBLIC_WRITES takes the stack's limit and period; the
 * others keep the manifest's. The Pulumi bindings and the wrangler configuration both read this, so they cannot
 * disagree on a limit.
 */
export function deployedRateLimits(
  workerName: string,
  publicWrites: RateLimitSetting = rateLimits.PUBLIC_WRITES,
): DeployedRateLimit[] {
  return Object.entries(rateLimits).map(([name, declaration]) => {
    const { limit, period } = name === "PUBLIC_WRITES" ? publicWrites : declaration;
    return {
      name,
      namespaceId: rateLimitNamespaceId(workerName, declaration.namespaceId),
      simple: { limit, period },
    };
  });
}
