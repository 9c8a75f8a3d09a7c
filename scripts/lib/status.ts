/**
 * `npm run status`: per environment, what its stack says it deployed and what the environment says it runs.
 * Pure over two dependencies (the stack outputs, an HTTP GET), so tests run it against a local platform.
 */
export interface StatusDeps {
  outputs(stack: string): Promise<Record<string, unknown>>;
  /** GET a JSON URL: status and parsed body, or a thrown error when it does not answer. */
  getJson(url: URL): Promise<{ status: number; body: unknown }>;
}

export interface EnvironmentStatus {
  readonly stack: string;
  readonly url: string | null;
  /** The build id the stack's last deploy uploaded (its `buildId` output). */
  readonly deployedBuild: string | null;
  /** The build id the environment's /health reports. */
  readonly liveBuild: string | null;
  /** The last migration tag in the deployed manifest (output) and the one /health reports. */
  readonly deployedMigrationTag: string | null;
  readonly liveMigrationTag: string | null;
  /** `in sync`, `deploy in progress or drift: …`, `not deployed`, or why the environment did not answer. */
  readonly state: string;
  /** With --scheduler: the named scheduler's jobs by status (scheduled = pending). */
  readonly scheduler: { readonly name: string; readonly jobs: Record<string, number> } | null;
}

// biome-ignore lint/suspicious/noExplicitAny: an environment's JSON, each field checked before use
type Json = any;
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

export async function environmentStatus(
  stack: string,
  deps: StatusDeps,
  options: { scheduler?: string | undefined } = {},
): Promise<EnvironmentStatus> {
  const outputs = await deps.outputs(stack);
  const base = {
    stack,
    url: str(outputs.url),
    deployedBuild: str(outputs.buildId),
    deployedMigrationTag: str(outputs.migrationTag),
    liveBuild: null,
    liveMigrationTag: null,
    scheduler: null,
  };
  if (!base.url) return { ...base, state: `not deployed (pulumi up -s ${stack})` };
  let health: { status: number; body: Json };
  try {
    health = await deps.getJson(new URL("/health", base.url));
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { ...base, state: `unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
  if (health.status !== 200) return { ...base, state: `/health answered ${health.status}` };
  const live = {
    liveBuild: str(health.body?.buildId),
    liveMigrationTag: str(health.body?.migrationTag),
  };
  const drift: string[] = [];
  if (base.deployedBuild && live.liveBuild !== base.deployedBuild) drift.push("build");
  if (base.deployedMigrationTag && live.liveMigrationTag !== base.deployedMigrationTag)
    drift.push("migrations");
  const state =
    drift.length === 0
      ? "in sync"
      : `${drift.join(" and ")} differ from the last deploy (a deploy in progress, or a deploy outside Pulumi)`;
  let scheduler: EnvironmentStatus["scheduler"] = null;
  if (options.scheduler) {
    const res = await deps.getJson(
      new URL(`/api/schedulers/${encodeURIComponent(options.scheduler)}`, base.url),
    );
    const body = res.body as Json;
    if (res.status !== 200) {
      return {
        ...base,
        ...live,
        state: `${state}; scheduler ${options.scheduler}: ${body?.error?.message ?? res.status}`,
      };
    }
    scheduler = { name: options.scheduler, jobs: body.jobs };
  }
  return { ...base, ...live, state, scheduler };
}

const short = (id: string | null) => (id ? id.slice(0, 12) : "-");

/** The table `npm run status` prints: one row per environment. */
export function formatStatusTable(rows: readonly EnvironmentStatus[]): string {
  const withScheduler = rows.some((r) => r.scheduler);
  const header = [
    "stack",
    "url",
    "deployed",
    "live",
    "migrations",
    ...(withScheduler ? ["pending jobs"] : []),
    "state",
  ];
  const cells = rows.map((r) => [
    r.stack,
    r.url ?? "-",
    short(r.deployedBuild),
    short(r.liveBuild),
    r.liveMigrationTag === null || r.liveMigrationTag === r.deployedMigrationTag
      ? (r.deployedMigrationTag ?? "-")
      : `${r.deployedMigrationTag ?? "-"} (live ${r.liveMigrationTag})`,
    ...(withScheduler
      ? [r.scheduler ? `${r.scheduler.jobs.scheduled ?? 0} in ${r.scheduler.name}` : "-"]
      : []),
    r.state,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
