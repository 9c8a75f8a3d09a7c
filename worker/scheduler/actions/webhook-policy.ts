import type { Env } from "../../env.ts";

/** Hostnames that never name a public host. */
const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/** IPv4 and IPv6 literals in private, loopback, link-local, shared or unspecified ranges. */
function isPrivateAddress(hostname: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  if (hostname.startsWith("[")) {
    const v6 = hostname.slice(1, -1).toLowerCase();
    return (
      v6 === "::" || v6 === "::1" || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || v6.startsWith("::ffff:")
    );
  }
  return false;
}

/** Hosts the stack allows, from WEBHOOK_ALLOWED_HOSTS (comma-separated); empty = any public host. */
function allowedHosts(env: Env): string[] {
  return (env.WEBHOOK_ALLOWED_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * Why a webhook may not call `url` in this environment, or undefined when it may. The one place that decides
 * which targets are allowed: checked when a job is scheduled (400) and again before every attempt (the job
 * fails without calling).
 *
 * - http or https only, and never credentials in the URL (they would be stored and shown with the job);
 * - deployed environments: https only, and only public hosts (no loopback, private or link-local addresses,
 *   no localhost or .internal names), so a job cannot make the platform probe a private network;
 *   local runs set WEBHOOK_ALLOW_HTTP=true, which allows http and loopback receivers;
 * - when the stack lists hosts in WEBHOOK_ALLOWED_HOSTS, only those (exact host names).
 */
export function webhookTargetProblem(url: URL, env: Env): string | undefined {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `must be http or https, not ${url.protocol.replace(/:$/, "")}`;
  }
  if (url.username || url.password) {
    return "must not contain credentials; send them in headers (their values are never shown)";
  }
  const local = env.WEBHOOK_ALLOW_HTTP === "true";
  if (!local) {
    if (url.protocol !== "https:") return "must be https in this environment";
    if (LOCAL_NAMES.test(url.hostname) || isPrivateAddress(url.hostname)) {
      return `must be a public host; ${url.hostname} is not`;
    }
  }
  const allowed = allowedHosts(env);
  if (allowed.length > 0 && !allowed.includes(url.hostname.toLowerCase())) {
    return `host ${url.hostname} is not in this environment's webhook allow-list (${allowed.join(", ")})`;
  }
  return undefined;
}
