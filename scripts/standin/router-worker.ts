/**
 * The worker in front of a script's versions (scripts/standin/serving.ts): picks the version for each request and
 * hands the request over a service binding (WebSocket upgrades included).
 *
 * - `Cloudflare-Workers-Version-Overrides` is a Dictionary Structured Header (RFC 8941) of `<worker name>="<version
 *   id>"`; an override naming this Worker and a version of the live deployment wins
 *   (https://developers.cloudflare.com/workers/versions-and-deployments/gradual-deployments/#version-overrides).
 * - Otherwise the version is drawn at random by the deployment's percentages.
 * The response says which version answered in `x-standin-version` (a stand-in header; Cloudflare sends none).
 */
export const ROUTER_SCRIPT = `
function overrideFor(header, script) {
  if (!header) return undefined;
  for (const member of header.split(",")) {
    const match = /^\\s*([a-z0-9_.*-]+)\\s*=\\s*"([^"]*)"\\s*$/i.exec(member);
    if (match && match[1] === script) return match[2];
  }
  return undefined;
}
export default {
  async fetch(request, env) {
    const { script, versions } = env.ROUTES;
    const pinned = overrideFor(request.headers.get("cloudflare-workers-version-overrides"), script);
    let chosen = versions.find((v) => v.id === pinned);
    if (!chosen) {
      let draw = Math.random() * 100;
      chosen = versions[versions.length - 1];
      for (const v of versions) {
        if (draw < v.percentage) { chosen = v; break; }
        draw -= v.percentage;
      }
    }
    const response = await env[chosen.binding].fetch(request);
    if (response.webSocket) return response;
    const tagged = new Response(response.body, response);
    tagged.headers.set("x-standin-version", chosen.id);
    return tagged;
  },
};
`;
