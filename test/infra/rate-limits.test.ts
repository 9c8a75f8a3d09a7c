import { describe, expect, it } from "vitest";
import { deployedRateLimits, rateLimitNamespaceId } from "../../infra/rate-limit-namespaces.ts";
import { localStackSettings } from "../../infra/stack-environment.ts";
import { wranglerConfig } from "../../infra/wrangler-config.ts";
import { rateLimits } from "../../worker/manifest.ts";
import { deploy, versionOf } from "./deploy-fixtures.ts";

const settingsOf = (stack: string) => {
  const result = localStackSettings(stack);
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.settings;
};

describe.each(["staging", "prod"])(
  "stack %s: every rate limiter, the same everywhere it is declared",
  (stack) => {
    it("the wrangler configuration sends the limits and ids the Pulumi program sends", async () => {
      const program = (versionOf(await deploy(stack)).inputs.bindings as { type: string }[])
        .filter((b) => b.type === "ratelimit")
        .map((b) => {
          const { name, namespaceId, simple } = b as unknown as {
            name: string;
            namespaceId: string;
            simple: object;
          };
          return { name, namespace_id: namespaceId, simple };
        });
      const file = wranglerConfig(settingsOf(stack), { configDir: ".", buildId: "x" }).ratelimits;
      expect(file).toEqual(program);
      // Each limiter keeps its own limit: only PUBLIC_WRITES takes the stack's setting.
      for (const limiter of file) {
        const declared = rateLimits[limiter.name as keyof typeof rateLimits];
        if (limiter.name !== "PUBLIC_WRITES")
          expect(limiter.simple).toEqual({ limit: declared.limit, period: declared.period });
      }
    });
  },
);

describe("rate-limit namespaces (Cloudflare keeps them unique per account)", () => {
  it("staging, prod and previews never share a limiter's counters", () => {
    const ids = ["do-platform-staging", "do-platform-prod", "do-platform-pr-1", "do-platform-pr-2"].flatMap(
      (worker) => deployedRateLimits(worker).map((l) => l.namespaceId),
    );
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(Number(id)).toBeLessThan(2 ** 31);
  });

  it("the same Worker always gets the same ids", () => {
    expect(rateLimitNamespaceId("do-platform-prod", "1001")).toBe(
      rateLimitNamespaceId("do-platform-prod", "1001"),
    );
  });
});
