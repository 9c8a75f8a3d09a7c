import * as cloudflare from "@pulumi/cloudflare";

/**
 * The migration tag the deployed script reports, read through the provider's `getWorkersScripts` data source
 * (it runs on `pulumi preview` and `pulumi up` alike). Undefined when the script does not exist yet or has never
 * been migrated.
 */
export async function readLiveMigrationTag(
  accountId: string,
  scriptName: string,
): Promise<string | undefined> {
  const { results } = await cloudflare.getWorkersScripts({ accountId });
  const script = results.find((s) => s.id === scriptName);
  return script?.migrationTag || undefined;
}
