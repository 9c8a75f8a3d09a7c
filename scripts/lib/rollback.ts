import { classChangeBetween, mainVersion, type VersionInfo, type VersionOps } from "./versions.ts";

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
 * Refuses a version when a Durable Object class change was applied after it, by the live version or by any version
 * uploaded in between (Cloudflare applied it when that version was deployed and never undoes it), even when the live
 * version declares the target's classes again. A rollback across a secret change is allowed (wrangler forces it
 * past Cloudflare's error 10220) and says which secrets come back with their old values.
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
  const active = await deps.versions.deployment(stack);
  const live = mainVersion(active?.versions);
  if (!live) return refuse(`${stack} has no deployment yet: deploy it first (pulumi up -s ${stack}).`);
  if ((active?.versions.length ?? 0) > 1) {
    deps.log(
      `${stack} is split (${active!.versions.map((v) => `${v.versionId}@${v.percentage}%`).join(" ")}): the rollback ends the split.`,
    );
  }
  // Every version, not the newest 10 `wrangler versions list` shows: the live one and all between it and the target.
  const versions = await deps.versions.versions(stack);
  const current = versions.find((v) => v.id === live.versionId);
  if (!current) {
    return refuse(
      `Cloudflare lists no version ${live.versionId}, which ${stack} serves: try again in a minute.`,
    );
  }
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
  const change = classChangeBetween(target, current, versions);
  if (change) {
    return refuse(
      `${target.id} (build ${target.buildId ?? "?"}) predates a Durable Object class change: ${change}. ` +
        "Cloudflare applied that change when its version was deployed; a rollback cannot undo it. Fix forward " +
        "instead: revert the faulty code (keeping the live class declaration and its tombstones in " +
        "worker/manifest.ts), deploy it to staging and promote it (npm run promote).",
    );
  }

  deps.log(
    `rolling ${stack} back from ${current.id} to ${target.id} (build ${target.buildId ?? "?"}) at 100 %`,
  );
  const { secretsChanged } = await deps.versions.rollback(
    stack,
    target.id,
    `rollback to ${target.id} (build ${target.buildId ?? "unknown"})`,
  );
  if (secretsChanged.length > 0) {
    deps.log(
      `the secrets ${secretsChanged.join(", ")} changed since ${target.id}: the rollback brings back their values ` +
        `from then (Cloudflare's error 10220, forced). If an old value was retired on purpose, rotate it again: ` +
        `npm run rotate-token -- ${stack}.`,
    );
  }
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
