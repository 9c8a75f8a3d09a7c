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

/** One deployment as Cloudflare lists it. */
export interface LiveDeployment {
  readonly createdOn: string;
  /** Its `workers/message` annotation ("" when none). */
  readonly message: string;
  /** One version at 100 %, or two splitting traffic. */
  readonly versions: readonly DeployedVersion[];
}

/** The script's deployments, newest first. */
export async function readDeployments(
  accountId: string,
  scriptName: string,
): Promise<readonly LiveDeployment[]> {
  const { results } = await cloudflare.getWorkersDeployments({ accountId, scriptName });
  return results
    .flatMap((r) => r.deployments)
    .sort((a, b) => b.createdOn.localeCompare(a.createdOn))
    .map((d) => ({
      createdOn: d.createdOn,
      message: d.annotations?.workersMessage ?? "",
      versions: d.versions.map((v) => ({ versionId: v.versionId, percentage: v.percentage })),
    }));
}

/** What a version says about itself: its build (the `workers/tag` annotation) and its live Durable Object classes. */
export interface LiveVersion {
  readonly id: string;
  readonly buildId: string | undefined;
  /** Live Durable Object classes of its `exports` (Cloudflare returns live entries only). */
  readonly durableObjectClasses: ReadonlySet<string>;
}

export async function readVersion(
  accountId: string,
  scriptName: string,
  versionId: string,
): Promise<LiveVersion> {
  const version = await cloudflare.getWorkerVersion({ accountId, workerId: scriptName, versionId });
  const classes = Object.entries(version.exports ?? {})
    .filter(([, entry]) => (entry as { type?: string }).type === "durable-object")
    .map(([className]) => className);
  return {
    id: versionId,
    buildId: version.annotations?.workersTag || undefined,
    durableObjectClasses: new Set(classes),
  };
}

/** The version with the largest share of a deployment (the one a rollback or a hold starts from). */
export function mainVersionOf(deployment: LiveDeployment | undefined): DeployedVersion | undefined {
  return [...(deployment?.versions ?? [])].sort((a, b) => b.percentage - a.percentage)[0];
}

/**
 * The version that served before `currentVersionId`: the largest share of the newest deployment that does not
 * consist of the current version alone. Undefined for a first deploy.
 */
export function previousVersionId(
  deployments: readonly LiveDeployment[],
  currentVersionId: string,
): string | undefined {
  for (const deployment of deployments) {
    const main = mainVersionOf(deployment);
    if (main && main.versionId !== currentVersionId) return main.versionId;
  }
  return undefined;
}
