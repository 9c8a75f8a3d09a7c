import type { Env } from "../../env.ts";
import { isNonGlobalAddress } from "./special-addresses.ts";

/** Hostnames that never name a public host. */
const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa|localtest\.me)$/i;

/**
 * Public wildcard-DNS services: `<ip>.nip.io` and the like resolve to whatever address the name spells, private
 * ones included, so they would walk around the address rules. Nobody runs a real webhook receiver on them.
 */
const WILDCARD_DNS = /(^|\.)(nip\.io|sslip\.io|xip\.io|traefik\.me|lvh\.me|vcap\.me|localho\.st)$/i;

/** The host as the checks see it: lower case, without the trailing dot of a fully qualified name. */
export function normalizedHost(url: URL): string {
  return url.hostname.toLowerCase().replace(/\.+$/, "");
}

/** Hosts the stack allows, from WEBHOOK_ALLOWED_HOSTS (comma-separated); empty = any public host. */
function allowedHosts(env: Env): string[] {
  return (env.WEBHOOK_ALLOWED_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase().replace(/\.+$/, ""))
    .filter(Boolean);
}

/**
 * Why a webhook may not call `url` in this environment, or undefined when it may. The one place that decides
 * which targets are allowed: checked when a job is scheduled (400) and again before every attempt (the job
 * fails without calling).
 *
 * - http or https only, and never credentials in the URL (they would be stored and shown with the job);
 * - deployed environments: https only, and only public hosts: no IP literal outside the globally reachable
 *   space (special-addresses.ts), no localhost/.internal-style names, no public wildcard-DNS names; the host is
 *   normalized first (case, trailing dot), so `localhost.` is `localhost`;
 *   local runs set WEBHOOK_ALLOW_HTTP=true, which allows http and loopback receivers;
 * - when the stack lists hosts in WEBHOOK_ALLOWED_HOSTS, only those (exact host names, trailing dot ignored).
 * Names that resolve to private addresses cannot be caught without DNS; the README says what covers them.
 */
export function webhookTargetProblem(url: URL, env: Env): string | undefined {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `must be http or https, not ${url.protocol.replace(/:$/, "")}`;
  }
  if (url.username || url.password) {
    return "must not contain credentials; send them in headers (their values are never shown)";
  }
  const local = env.WEBHOOK_ALLOW_HTTP === "true";
  const host = normalizedHost(url);
  if (!local) {
    if (url.protocol !== "https:") return "must be https in this environment";
    if (LOCAL_NAMES.test(host) || isNonGlobalAddress(host)) {
      return `must be a public host; ${url.hostname} is not`;
    }
    if (WILDCARD_DNS.test(host)) {
      return `must be a public host; ${url.hostname} is a wildcard-DNS name that can resolve to any address`;
    }
  }
  const allowed = allowedHosts(env);
  if (allowed.length > 0 && !allowed.includes(host)) {
    return `host ${url.hostname} is not in this environment's webhook allow-list (${allowed.join(", ")})`;
  }
  return undefined;
}
