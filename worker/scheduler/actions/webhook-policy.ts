import type { Env } from "../../env.ts";

/**
 * Why a webhook may not call `url` in this environment, or undefined when it may. The one place that decides
 * which targets are allowed: checked when a job is scheduled (400) and again before every attempt (the job
 * fails without calling). Stricter per-environment rules (https only when deployed, a per-stack host allow-list)
 * belong here; `env` is passed for them.
 */
export function webhookTargetProblem(url: URL, _env: Env): string | undefined {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `must be http or https, not ${url.protocol.replace(/:$/, "")}`;
  }
  return undefined;
}
