/**
 * Moving a stack deployed by the platform's first resource model (a `WorkersScript` plus a
 * `WorkersScriptSubdomain` under the DurableWorker component) to the current one (a `Worker` with versions and
 * deployments), without deleting anything at Cloudflare.
 *
 * Why it needs a step of its own: to Pulumi the two models are different resources. A plain `pulumi up` would plan
 * "create Worker, delete WorkersScript", and deleting a script deletes its Durable Objects with all their data
 * (staging is not protected). `npm run adopt -- <stack>` (scripts/adopt.ts) instead
 *   1. removes the old resources from the stack's state only (what `pulumi state delete` does), so nothing at
 *      Cloudflare is deleted and they stop being managed;
 *   2. imports the existing script as the `Worker` resource the program declares (what `pulumi import` does), and
 *   3. records in the stack's outputs that it was adopted, which the program's guard below looks for.
 * The next `pulumi up` then converts the script from tagged migrations to `exports` (infra/legacy-tags.ts).
 */

/** The first model's resource types, and the current Worker's. */
export const LEGACY_TYPES = [
  "cloudflare:index/workersScript:WorkersScript",
  "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain",
] as const;
export const COMPONENT_TYPE = "platform:cloudflare:DurableWorker";
export const WORKER_TYPE = "cloudflare:index/worker:Worker";

/** The stack output the adoption writes, and the one only the current model exports. */
export const ADOPTED_OUTPUT = "adoptedFromWorkersScript";
export const CURRENT_MODEL_OUTPUT = "deployPath";

/**
 * Why this deploy must not run (the stack was deployed by the first model and not adopted yet), or undefined.
 * `outputs` are the stack's own outputs from its last deployment (empty for a stack never deployed).
 */
export function adoptionRefusal(
  stack: string,
  outputs: Readonly<Record<string, unknown>>,
  liveScriptExists: boolean,
): string | undefined {
  const deployedBefore = Object.keys(outputs).length > 0;
  if (!deployedBefore || !liveScriptExists) return undefined;
  if (CURRENT_MODEL_OUTPUT in outputs || outputs[ADOPTED_OUTPUT] === true) return undefined;
  return (
    `Stack ${stack} was deployed as a WorkersScript (the platform's first resource model). This pulumi up would ` +
    "create a Worker and delete that script, and with it every Durable Object and its data. Adopt it first, " +
    `which deletes nothing: npm run adopt -- ${stack}`
  );
}

/** The part of Pulumi's exported state (`pulumi stack export`, apitype.DeploymentV3) the adoption edits. */
export interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly parent?: string;
  readonly dependencies?: readonly string[];
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
  readonly outputs?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}
export interface StateDeployment {
  readonly version: number;
  readonly deployment: { readonly resources?: readonly StateResource[]; readonly [key: string]: unknown };
}

export interface AdoptionPlan {
  /** The state with the first model's resources removed and the adoption recorded in the stack's outputs. */
  readonly state: StateDeployment;
  /** What was removed from the state (still there at Cloudflare). */
  readonly removed: readonly string[];
  /** The DurableWorker component the Worker is imported under. */
  readonly componentUrn: string;
}

/**
 * Plans the adoption from the exported state: undefined when there is nothing to adopt. Pure, so a test can check it
 * on a state shaped like the one `pulumi stack export` writes.
 */
export function planAdoption(exported: StateDeployment): AdoptionPlan | undefined {
  const resources = exported.deployment.resources ?? [];
  const legacy = resources.filter((r) => (LEGACY_TYPES as readonly string[]).includes(r.type));
  if (legacy.length === 0) return undefined;
  const component = resources.find((r) => r.type === COMPONENT_TYPE);
  if (!component) {
    throw new Error(
      "the state holds a WorkersScript but no DurableWorker component: it was not made by this program.",
    );
  }
  const gone = new Set(legacy.map((r) => r.urn));
  const kept = resources
    .filter((r) => !gone.has(r.urn))
    .map((r) => {
      const next: Record<string, unknown> = { ...r };
      if (r.dependencies) next.dependencies = r.dependencies.filter((d) => !gone.has(d));
      if (r.propertyDependencies) {
        next.propertyDependencies = Object.fromEntries(
          Object.entries(r.propertyDependencies).map(([k, deps]) => [k, deps.filter((d) => !gone.has(d))]),
        );
      }
      if (r.type === "pulumi:pulumi:Stack") next.outputs = { ...(r.outputs ?? {}), [ADOPTED_OUTPUT]: true };
      return next as StateResource;
    });
  return {
    state: { ...exported, deployment: { ...exported.deployment, resources: kept } },
    removed: legacy.map((r) => r.urn),
    componentUrn: component.urn,
  };
}

/** The `pulumi import` of the existing script as the program's Worker (import id `<account_id>/<worker_name>`). */
export function workerImport(componentUrn: string, accountId: string, workerName: string) {
  return {
    resources: [
      { type: WORKER_TYPE, name: `${workerName}-worker`, id: `${accountId}/${workerName}`, parent: "worker" },
    ],
    nameTable: { worker: componentUrn },
  };
}
