import * as cloudflare from "@pulumi/cloudflare";

/** What Cloudflare reports for a deployed script, as far as class lifecycle goes. */
export interface LiveScript {
  readonly name: string;
  /** The legacy migration tag, when the script was ever migrated with tags; undefined otherwise. */
  readonly migrationTag: string | undefined;
  /** The live Durable Object classes of its latest version's `exports` (tombstones are never reported). */
  readonly durableObjectClasses: ReadonlySet<string>;
}

/**
 * Reads the script through the provider's `getWorkersScripts` data source (it runs on `pulumi preview` and
 * `pulumi up` alike). Undefined when the script does not exist yet.
 */
export async function readLiveScript(accountId: string, scriptName: string): Promise<LiveScript | undefined> {
  const { results } = await cloudflare.getWorkersScripts({ accountId });
  const script = results.find((s) => s.id === scriptName);
  if (!script) return undefined;
  const classes = Object.entries(script.exports ?? {})
    .filter(([, entry]) => entry.type === "durable-object")
    .map(([className]) => className);
  return {
    name: scriptName,
    migrationTag: script.migrationTag || undefined,
    durableObjectClasses: new Set(classes),
  };
}

/** One version of a deployment and its share of traffic. */
export interface DeployedVersion {
  readonly versionId: string;
  readonly percentage: number;
}

/** The script's deployments, newest first, each as its versions (one at 100 %, or two splitting traffic). */
export async function readDeployments(
  accountId: string,
  scriptName: string,
): Promise<readonly (readonly DeployedVersion[])[]> {
  const { results } = await cloudflare.getWorkersDeployments({ accountId, scriptName });
  return results
    .flatMap((r) => r.deployments)
    .sort((a, b) => b.createdOn.localeCompare(a.createdOn))
    .map((d) => d.versions.map((v) => ({ versionId: v.versionId, percentage: v.percentage })));
}

/** The build id a version was uploaded with (its `workers/tag` annotation, set by infra/durable-worker.ts). */
export async function readVersionBuildId(
  accountId: string,
  scriptName: string,
  versionId: string,
): Promise<string | undefined> {
  const version = await cloudflare.getWorkerVersion({ accountId, workerId: scriptName, versionId });
  return version.annotations?.workersTag || undefined;
}

/**
 * The version that served before `currentVersionId`: the largest share of the newest deployment that does not
 * consist of the current version alone. Undefined for a first deploy.
 */
export function previousVersionId(
  deployments: readonly (readonly DeployedVersion[])[],
  currentVersionId: string,
): string | undefined {
  for (const versions of deployments) {
    const main = [...versions].sort((a, b) => b.percentage - a.percentage)[0];
    if (main && main.versionId !== currentVersionId) return main.versionId;
  }
  return undefined;
}
