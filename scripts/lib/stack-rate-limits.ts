import type { RateLimitSetting } from "../../infra/runtime-environment.ts";
import { rateLimits } from "../../worker/manifest.ts";

type RateLimitName = keyof typeof rateLimits;

/**
 * The rate limits a stack deploys, every limiter of the manifest, by the rule infra/bindings.ts
 * `rateLimitBindings` sends to Cloudflare (PUBLIC_WRITES the stack's setting, the others the manifest's):
 * `npm run dev -- --env <stack>` runs with them, so a 31st admin attempt in a minute gets the deployed 429 locally
 * too, where plain local runs keep generous limits for load tests.
 */
export function stackRateLimits(settings: {
  readonly publicWrites?: RateLimitSetting | undefined;
}): Record<RateLimitName, RateLimitSetting> {
  return Object.fromEntries(
    (Object.keys(rateLimits) as RateLimitName[]).map((name) => {
      const { limit, period } =
        name === "PUBLIC_WRITES" && settings.publicWrites ? settings.publicWrites : rateLimits[name];
      return [name, { limit, period }];
    }),
  ) as Record<RateLimitName, RateLimitSetting>;
}
