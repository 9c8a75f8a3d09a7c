import { classChange, mainVersion, type VersionInfo, type VersionOps } from "./versions.ts";

export interface RollbackDeps {
  readonly versions: VersionOps;
  /** A stack's outputs (its `url`), through the Pulumi side (scripts/lib/promotion.ts StackOps). */
  outputs(stack: string): Promise<Record<string, unknown>>;
  health(url: URL): Promise<{ buildId?: unknown }>;
  log(line: string): void;
}

export type RollbackOutcome =
  | { readonly ok: true; readonly versionId: string; readonly buildId?: string | undefined }
  | { readonly ok: false; readonly reason: string };

/**
 * Makes a deployment at 100 % of an earlier version of `stack`: no build, no upload. `to` is a version id or a build
 * id (the newest version of that build); by default, the version uploaded before the live one.
 * Refuses a version whose Durable Object classes differ from the live one's: Cloudflare applied that class change
 * when the live version was deployed, and an older version would run against classes it does not declare.
 */
export async function rollback(
  options: { readonly stack: string; readonly to?: string | undefined },
  deps: RollbackDeps,
): Promise<RollbackOutcome> {
  const { stack } = options;
  const refuse = (reason: string): RollbackOutcome => {
    deps.log(`rollback refused: ${reason}`);
    return { ok: false, reason };
  };
  const live = mainVersion(await deps.versions.deployment(stack));
  if (!live) return refuse(`${stack} has no deployment yet: deploy it first (pulumi up -s ${stack}).`);
  const versions = await deps.versions.versions(stack);
  const current: VersionInfo = versions.find((v) => v.id === live.versionId) ?? {
    id: live.versionId,
    createdOn: "",
  };
  let target: VersionInfo | undefined;
  if (options.to) {
    target = versions.find((v) => v.id === options.to) ?? versions.find((v) => v.buildId === options.to);
    if (!target) {
      return refuse(
        `${stack} has no version or build ${options.to}. Versions, newest first: ` +
          versions.map((v) => `${v.id} (build ${v.buildId?.slice(0, 12) ?? "?"})`).join(", "),
      );
    }
  } else {
    target = versions.find((v) => v.createdOn < current.createdOn && v.id !== current.id);
    if (!target) return refuse(`${stack} has no version older than the live one (${current.id}).`);
  }
  if (target.id === current.id)
    return refuse(`${stack} already serves ${target.id} at ${live.percentage} %.`);
  const change = classChange(target, current);
  if (change) {
    return refuse(
      `${target.id} (build ${target.buildId ?? "?"}) predates a Durable Object class change of the live version ` +
        `${current.id}: ${change}. Cloudflare applied that change when ${current.id} was deployed; a rollback ` +
        "cannot undo it. Fix forward instead: revert the faulty code (keeping the live class declaration and its " +
        `tombstones in worker/manifest.ts), deploy it to staging and promote it (npm run promote).`,
    );
  }

  deps.log(
    `rolling ${stack} back from ${current.id} to ${target.id} (build ${target.buildId ?? "?"}) at 100 %`,
  );
  await deps.versions.deploy(
    stack,
    [{ versionId: target.id, percentage: 100 }],
    `rollback to ${target.id} (build ${target.buildId ?? "unknown"})`,
  );
  const url = (await deps.outputs(stack)).url;
  if (typeof url === "string" && target.buildId) {
    const health = await deps.health(new URL(url));
    if (health.buildId !== target.buildId) {
      const reason = `${url} reports build ${String(health.buildId)} after the rollback, not ${target.buildId}.`;
      deps.log(`rollback failed: ${reason}`);
      return { ok: false, reason };
    }
    deps.log(`${stack} at ${url} reports build ${target.buildId}`);
  }
  deps.log(`rolled back ${stack} to ${target.id}`);
  return { ok: true, versionId: target.id, buildId: target.buildId };
}
