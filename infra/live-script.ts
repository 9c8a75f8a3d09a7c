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
