import { buildWorker, ROOT } from "../../infra/build.ts";
import { classSignature } from "../../infra/class-lifecycle.ts";
import { versionMessage } from "../../infra/release-record.ts";
import { localStackSettings } from "../../infra/stack-environment.ts";
import { formatConfigProblems, type StackSettings } from "../../infra/stack-settings.ts";
import { wranglerDeployConfig } from "../../infra/wrangler-config.ts";
import {
  type RootRelativeWranglerConfig,
  runWranglerDeploy,
  runWranglerVersionUpload,
} from "../../infra/wrangler-deploy.ts";
import type { Standin } from "../standin/index.ts";
import { cloudflareVersionOps, exportsKeyOf, liveExports } from "./cloudflare-versions.ts";
import type { StackOps } from "./promotion.ts";
import { classChange, mainVersion, type VersionOps } from "./versions.ts";

/**
 * The Pulumi side of a release, played against a stand-in of Cloudflare's API (scripts/standin) for `npm run
 * rehearse` and the release tests, with no Pulumi CLI: `up` takes the program's two paths with the same code the
 * program's resources run. A class-lifecycle change (every first deploy) is the program's non-versioned deploy,
 * `wrangler deploy` through infra/wrangler-deploy.ts, exactly what its dynamic provider runs. Anything else is a
 * version upload (`wrangler versions upload` of the same bundle and configuration; the provider's own request for a
 * WorkerVersion is checked against Cloudflare's SDK types in test/infra/api-requests.test.ts, not sent here) and a
 * deployment at 100 %, or of the held version. The choice between the two is the program's rule: no deployment, or
 * exports that differ from the live version's.
 *
 * What this does not play: the program's refusals and guards (infra/index.ts, tested under Pulumi's mocks), and
 * Pulumi's state.
 */
export interface StandinStacks extends StackOps {
  readonly versions: VersionOps;
  /** The admin token each stack's next `up` uploads (a rehearsal changes it to make a step fail). */
  readonly adminTokens: Record<string, string>;
  /** The settings a stack deploys with (its stack file, on the stand-in's account). */
  settingsOf(stack: string): StackSettings;
  /**
   * Replaces the configuration the next `up` sends (a rehearsal adds a class); undefined = the stack's own.
   * Applied to both paths.
   */
  overrideConfig?: ((config: RootRelativeWranglerConfig) => RootRelativeWranglerConfig) | undefined;
  /** A bundle other than dist/index.js for the next `up` (a rehearsal's variant), with its sha256 and build id. */
  overrideBundle?: { readonly main: string; readonly sha256: string; readonly buildId: string } | undefined;
}

export function standinStacks(standin: Standin, adminTokens: Record<string, string>): StandinStacks {
  const env = { ...process.env, ...standin.env };
  const versions = cloudflareVersionOps(env);
  const outputs = new Map<string, Record<string, unknown>>();
  // What Pulumi's state would hold: the last version uploaded per stack and what it was uploaded from. An `up` with
  // the same inputs uploads nothing (the WorkerVersion has no diff); only the deployment moves.
  const uploaded = new Map<string, { readonly inputs: string; readonly versionId: string }>();

  const settingsOf = (stack: string): StackSettings => {
    const result = localStackSettings(stack);
    if (!result.ok) throw new Error(formatConfigProblems(stack, result.problems));
    return { ...result.settings, accountId: standin.accountId };
  };

  const stacks: StandinStacks = {
    versions,
    adminTokens,
    settingsOf,
    async outputs(stack) {
      const found = outputs.get(stack);
      if (!found) throw new Error(`stack ${stack} has no outputs: it was never deployed in this rehearsal`);
      return found;
    },
    async preview(stack, { expectedBuildId, holdTrafficOn, onOutput }) {
      onOutput(
        `(rehearsal) a preview of ${stack} would plan build ${expectedBuildId.slice(0, 12)}` +
          (holdTrafficOn ? ` uploaded beside ${holdTrafficOn}, which keeps 100 %` : " at 100 %"),
      );
    },
    async up(stack, { expectedBuildId, holdTrafficOn, onOutput }) {
      const settings = settingsOf(stack);
      const variant = stacks.overrideBundle;
      const build = variant ?? (await buildWorker());
      const buildId = variant ? variant.buildId : (build as { buildId: string }).buildId;
      const sha256 = variant ? variant.sha256 : (build as { bundleSha256: string }).bundleSha256;
      if (!variant && buildId !== expectedBuildId) {
        throw new Error(`this tree builds ${buildId}, not ${expectedBuildId}`);
      }
      let config: RootRelativeWranglerConfig = wranglerDeployConfig(settings, buildId);
      if (variant) config = { ...config, main: variant.main };
      if (stacks.overrideConfig) config = stacks.overrideConfig(config);
      const live = await versions.deployment(stack);
      const liveMain = mainVersion(live?.versions);
      const exports = liveExports((config as { exports?: Record<string, unknown> }).exports);
      const classes = classSignature(exports);
      const exportsKey = exportsKeyOf(exports);
      const liveInfo = liveMain
        ? (await versions.versions(stack)).find((v) => v.id === liveMain.versionId)
        : undefined;
      const change = liveInfo
        ? classChange(liveInfo, { id: "the new version", createdOn: "", classes, exportsKey })
        : "no deployment yet";
      const request = {
        accountId: standin.accountId,
        config,
        bundleSha256: sha256,
        secrets: { ADMIN_TOKEN: stacks.adminTokens[stack] ?? "" },
        tag: buildId,
        message: versionMessage(buildId, classes),
      };
      let versionId: string;
      if (change) {
        if (holdTrafficOn)
          throw new Error(`a class change deploys at 100 % in one step; it cannot hold traffic`);
        onOutput(`(rehearsal) ${change}: wrangler deploy, non-versioned, at 100 %`);
        ({ versionId } = await runWranglerDeploy(request, { root: ROOT, env }));
      } else if (uploaded.get(stack)?.inputs === JSON.stringify(request)) {
        versionId = uploaded.get(stack)!.versionId;
        onOutput(`(rehearsal) version ${versionId} unchanged (no upload); the deployment takes it`);
      } else {
        onOutput(
          `(rehearsal) wrangler versions upload${holdTrafficOn ? `; ${holdTrafficOn} keeps 100 %` : ", then 100 %"}`,
        );
        ({ versionId } = await runWranglerVersionUpload(request, { root: ROOT, env }));
      }
      if (!change) {
        await versions.deploy(
          stack,
          [{ versionId: holdTrafficOn ?? versionId, percentage: 100 }],
          holdTrafficOn
            ? `build ${buildId} uploaded; ${holdTrafficOn} keeps 100 %`
            : `build ${buildId} at 100 %`,
          { codeUpdate: "immediate" },
        );
      }
      uploaded.set(stack, { inputs: JSON.stringify(request), versionId });
      outputs.set(stack, {
        url: standin.urlOf(settings.workerName).href,
        buildId,
        versionId,
        scriptName: settings.workerName,
        classes,
      });
    },
  };
  return stacks;
}
