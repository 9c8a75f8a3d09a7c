import type { DurableObjectBindings, Env } from "../env.ts";
import type { DurableObjectBindingName } from "../manifest.ts";
import { isJurisdiction, isLocationHint } from "../platform.ts";
import { ApiError, ConfigurationError } from "./errors.ts";

type ObjectOf<B extends DurableObjectBindingName> =
  DurableObjectBindings[B] extends DurableObjectNamespace<infer T> ? T : never;

/**
 * The namespace for a binding, scoped to the environment's jurisdiction when one is set. Every stub the worker
 * creates goes through here, so the jurisdiction and location hint can never be forgotten on one route.
 */
function namespace<B extends DurableObjectBindingName>(
  env: Env,
  binding: B,
): DurableObjectNamespace<ObjectOf<B>> {
  const ns = env[binding] as unknown as DurableObjectNamespace<ObjectOf<B>>;
  const jurisdiction = env.DO_JURISDICTION;
  if (!jurisdiction) return ns;
  if (!isJurisdiction(jurisdiction))
    throw new ConfigurationError(`DO_JURISDICTION ${JSON.stringify(jurisdiction)} is not valid`);
  return ns.jurisdiction(jurisdiction);
}

/** Stub options from the environment: the location hint applies to every stub (a hint only matters on creation). */
export function stubOptions(env: Env): DurableObjectNamespaceGetDurableObjectOptions | undefined {
  const hint = env.DO_LOCATION_HINT;
  if (!hint) return undefined;
  // A bad hint is a deploy mistake, not a client's: fail loudly (500) instead of silently ignoring it.
  if (!isLocationHint(hint))
    throw new ConfigurationError(`DO_LOCATION_HINT ${JSON.stringify(hint)} is not a valid location hint`);
  return { locationHint: hint };
}

export function stubByName<B extends DurableObjectBindingName>(env: Env, binding: B, name: string) {
  const ns = namespace(env, binding);
  return ns.get(ns.idFromName(name), stubOptions(env));
}

const OBJECT_ID_PATTERN = /^[0-9a-f]{64}$/;

/** A stub for an id the client stored earlier; a malformed or foreign id is 400 `invalid_id`. */
export function stubById<B extends DurableObjectBindingName>(env: Env, binding: B, id: string) {
  const ns = namespace(env, binding);
  let objectId: DurableObjectId;
  try {
    if (!OBJECT_ID_PATTERN.test(id)) throw new TypeError("not 64 lowercase hex digits");
    objectId = ns.idFromString(id);
  } catch {
    throw new ApiError(
      400,
      "invalid_id",
      `Invalid id ${JSON.stringify(id.slice(0, 80))}: use an id this API returned.`,
    );
  }
  return { id: objectId.toString(), stub: ns.get(objectId, stubOptions(env)) };
}

export function newUniqueStub<B extends DurableObjectBindingName>(env: Env, binding: B) {
  const ns = namespace(env, binding);
  const id = ns.newUniqueId();
  return { id: id.toString(), stub: ns.get(id, stubOptions(env)) };
}
