import type { DeployedVersion } from "../../infra/live-script.ts";

/**
 * The traffic side of a gradual promotion (scripts/lib/promotion.ts): which percentages to go through, the split
 * for each, and the count of which version answered between steps.
 */

export const DEFAULT_STEPS: readonly number[] = [10, 50, 100];

/** `10,50,100` as percentages: whole numbers from 1 to 100, rising, ending at 100; else why not. */
export function parseSteps(text: string): readonly number[] | string {
  const parts = text.split(",").map((p) => p.trim());
  const steps = parts.map(Number);
  const bad = parts.find((p, i) => !/^\d+$/.test(p) || steps[i]! < 1 || steps[i]! > 100);
  if (bad !== undefined) return `--steps takes percentages from 1 to 100, got ${JSON.stringify(bad)}`;
  if (steps.some((s, i) => i > 0 && s <= steps[i - 1]!)) return `--steps must rise, got ${text}`;
  if (steps.at(-1) !== 100) return `--steps must end at 100, got ${text}`;
  return steps;
}

/** The deployment for one step: the previous version keeps 100 - p %, the new one takes p %. */
export function splitFor(previous: string, next: string, percent: number): DeployedVersion[] {
  if (percent >= 100) return [{ versionId: next, percentage: 100 }];
  return [
    { versionId: previous, percentage: 100 - percent },
    { versionId: next, percentage: percent },
  ];
}

/**
 * Cloudflare's header that sends a request to one version of the current deployment, whatever the percentages
 * (https://developers.cloudflare.com/workers/versions-and-deployments/version-overrides/): a structured-header
 * dictionary, script name to version id.
 */
export const VERSION_OVERRIDE_HEADER = "Cloudflare-Workers-Version-Overrides";
export const versionOverride = (scriptName: string, versionId: string): Record<string, string> => ({
  [VERSION_OVERRIDE_HEADER]: `${scriptName}="${versionId}"`,
});

export const formatSplit = (split: readonly DeployedVersion[]) =>
  split.map((v) => `${v.versionId}@${v.percentage}%`).join(" ");

/** How many of a run of /health answers came from each version (by `versionId`), and what failed. */
export interface AnswerCount {
  readonly samples: number;
  readonly byVersion: Readonly<Record<string, number>>;
  /** Requests that did not answer a /health with a version id (a 5xx, a network error, ...). */
  readonly failures: readonly string[];
}

/** Asks /health `samples` times, one request after the other, and counts who answered. */
export async function countAnswers(
  health: (url: URL) => Promise<{ versionId?: unknown }>,
  url: URL,
  samples: number,
): Promise<AnswerCount> {
  const byVersion: Record<string, number> = {};
  const failures: string[] = [];
  for (let i = 0; i < samples; i++) {
    try {
      const { versionId } = await health(url);
      if (typeof versionId !== "string")
        throw new Error(`/health reports no versionId (${String(versionId)})`);
      byVersion[versionId] = (byVersion[versionId] ?? 0) + 1;
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  return { samples, byVersion, failures };
}

/**
 * Why a step's count is not what its split promises, or undefined when it is: every request answered, only the two
 * versions answered, nothing from the previous one at 100 %, and the new one answered when the split makes that
 * near certain (at least five answers expected: a 10 % step over 20 requests may legitimately see none).
 */
export function countProblem(
  count: AnswerCount,
  previous: string,
  next: string,
  percent: number,
): string | undefined {
  if (count.failures.length > 0) {
    return `${count.failures.length} of ${count.samples} /health requests failed: ${[...new Set(count.failures)].join("; ")}`;
  }
  const strangers = Object.keys(count.byVersion).filter((v) => v !== previous && v !== next);
  if (strangers.length > 0)
    return `version(s) ${strangers.join(", ")} answered, neither ${previous} nor ${next}`;
  const fromNext = count.byVersion[next] ?? 0;
  const fromPrevious = count.byVersion[previous] ?? 0;
  if (percent >= 100 && fromPrevious > 0) {
    return `${fromPrevious} of ${count.samples} answers still came from ${previous} at 100 % on ${next}`;
  }
  if (fromNext === 0 && (count.samples * percent) / 100 >= 5) {
    return `no answer came from ${next} in ${count.samples} requests at ${percent} %`;
  }
  return undefined;
}

export const formatCount = (count: AnswerCount, previous: string, next: string) =>
  `${count.byVersion[next] ?? 0} of ${count.samples} answers from the new version ${next}, ` +
  `${count.byVersion[previous] ?? 0} from ${previous}`;
