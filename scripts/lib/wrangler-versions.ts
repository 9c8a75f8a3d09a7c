import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "../../infra/build.ts";
import { localStackSettings } from "../../infra/stack-environment.ts";
import { formatConfigProblems } from "../../infra/stack-settings.ts";
import { wranglerConfig } from "../../infra/wrangler-config.ts";
import { parseVersionMessage, type VersionOps } from "./versions.ts";

/**
 * The real VersionOps: wrangler's `versions list`, `deployments status` and `versions deploy` against a
 * configuration generated for the stack (infra/wrangler-config.ts). Credentials as wrangler takes them
 * (CLOUDFLARE_API_TOKEN, and CLOUDFLARE_ACCOUNT_ID when the stack file has no accountId).
 */
async function wrangler(stack: string, args: readonly string[]): Promise<string> {
  const settings = localStackSettings(stack);
  if (!settings.ok) throw new Error(formatConfigProblems(stack, settings.problems));
  const dir = await mkdtemp(path.join(tmpdir(), `wrangler-${stack}-`));
  try {
    const file = path.join(dir, "wrangler.json");
    const config = wranglerConfig(settings.settings, { configDir: dir, buildId: "versions" });
    await writeFile(file, JSON.stringify(config));
    // wrangler's package `exports` hide its bin path from require.resolve: take it from the install.
    const bin = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
    return await new Promise((done, fail) =>
      execFile(
        process.execPath,
        [bin, ...args, "--config", file],
        { maxBuffer: 16 << 20 },
        (error, stdout, stderr) =>
          error
            ? fail(new Error(`wrangler ${args[0]} ${args[1]} failed: ${stderr || error.message}`))
            : done(stdout),
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface WranglerVersion {
  id: string;
  metadata: { created_on: string };
  annotations?: Record<string, string>;
}

export const wranglerVersionOps: VersionOps = {
  async versions(stack) {
    const list = JSON.parse(await wrangler(stack, ["versions", "list", "--json"])) as WranglerVersion[];
    return list
      .map((v) => ({
        id: v.id,
        createdOn: v.metadata.created_on,
        ...parseVersionMessage(v.annotations?.["workers/message"]),
      }))
      .sort((a, b) => b.createdOn.localeCompare(a.createdOn));
  },
  async deployment(stack) {
    const status = JSON.parse(await wrangler(stack, ["deployments", "status", "--json"])) as {
      versions: { version_id: string; percentage: number }[];
    };
    return status.versions.map((v) => ({ versionId: v.version_id, percentage: v.percentage }));
  },
  async deploy(stack, versions, message) {
    const specs = versions.map((v) => `${v.versionId}@${v.percentage}%`);
    await wrangler(stack, ["versions", "deploy", ...specs, "--yes", "--message", message]);
  },
};
