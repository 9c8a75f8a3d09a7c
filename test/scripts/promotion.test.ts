import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { afterAll, afterEach, beforeEach, describe, expect, inject, it, onTestFinished } from "vitest";
import { classSignature, exportsFromManifest } from "../../infra/class-lifecycle.ts";
import type { DeployedVersion } from "../../infra/live-script.ts";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import {
  type PromotionDeps,
  type PromotionOptions,
  promote,
  type StackOps,
} from "../../scripts/lib/promotion.ts";
import { parseSteps, VERSION_OVERRIDE_HEADER } from "../../scripts/lib/promotion-steps.ts";
import { runSmoke } from "../../scripts/lib/smoke.ts";
import type { VersionInfo, VersionOps } from "../../scripts/lib/versions.ts";
import * as manifest from "../../worker/manifest.ts";
import { startBuiltPlatform, TEST_ADMIN_TOKEN } from "../support/platform.ts";

const OLD_BUILD = "0".repeat(64);
/** The live classes of worker/manifest.ts, as the program records them in each version's message. */
const CLASSES = classSignature(exportsFromManifest(manifest));
const SCRIPT = "do-platform-prod";

const healthOf = async (url: URL) => {
  const res = await fetch(new URL("/health", url));
  if (!res.ok) throw new Error(`/health answered ${res.status}`);
  return (await res.json()) as { buildId?: unknown; versionId?: unknown };
};

/**
 * The file's local servers, one per setting, shared by its tests: every test used to start two or three workerd
 * processes of its own (~27 in all), for settings that repeat. Each test still gets its own FakeCloudflare (its own
 * proxy, version list, deployment and routing); what the servers keep between tests is only state under names no
 * other test uses (the smoke checks name everything by run). A server a test crashes or reloads is stopped and
 * started again by the next test that needs it.
 */
const servers = new Map<string, Promise<LocalPlatform>>();
type ServerEnv = NonNullable<Parameters<typeof startBuiltPlatform>[0]>["env"];
function serverFor(env: ServerEnv): Promise<LocalPlatform> {
  const key = JSON.stringify(env);
  let server = servers.get(key);
  if (!server) {
    server = startBuiltPlatform({ env });
    servers.set(key, server);
    server.catch(() => servers.delete(key));
  }
  return server;
}
/** Stops a shared server for good (a crash, a reload): the next test that needs its setting gets a new one. */
async function discard(server: LocalPlatform): Promise<void> {
  for (const [key, started] of servers) {
    if ((await started.catch(() => undefined)) === server) servers.delete(key);
  }
  await server.dispose();
}
afterAll(async () => {
  await Promise.all([...servers.values()].map(async (s) => (await s).dispose()));
});

/**
 * A recording fake of staging's and prod's stack interfaces (Pulumi's StackOps and wrangler's VersionOps) over real
 * local servers. Each prod version is its own local server running its build (its /health versionId is the version
 * id); prod's URL is a proxy that sends each request to a version by the active deployment's percentages (weighted
 * round robin, so counts are exact), honours Cloudflare's version override header, and answers 502 for a version
 * whose server is down. `up` does what the program does: the same build is the same version (no diff), a new one
 * is uploaded, and the deployment takes it at 100 % unless traffic is held on another version.
 */
class FakeCloudflare implements StackOps, VersionOps {
  readonly calls: string[] = [];
  readonly servers = new Map<string, LocalPlatform>();
  readonly list: VersionInfo[] = [];
  /** What Cloudflare serves. */
  active: DeployedVersion[] = [];
  /** What the Pulumi state of prod says: its version resource and its deployment. */
  state: { versionId?: string; buildId?: string; deployment?: DeployedVersion[] } = {};
  stagingBuild: string | undefined;
  /** Faults: stop the new version's server when a deployment gives it this percentage; a new version's secret. */
  crashAt: number | undefined;
  newAdminToken = TEST_ADMIN_TOKEN;
  url!: URL;
  private proxy!: http.Server;
  private routed = 0;
  private readonly labels = new Map<string, string>();

  readonly staging: LocalPlatform;
  constructor(staging: LocalPlatform) {
    this.staging = staging;
  }

  /** Prod's first version: `server`, with these classes in its message. */
  async start(server: LocalPlatform, classes = CLASSES): Promise<void> {
    const id = String((await healthOf(server.url)).versionId);
    this.labels.set(id, "old");
    this.servers.set(id, server);
    this.list.unshift({ id, createdOn: "2026-11-01T00:00:00Z", buildId: OLD_BUILD, classes });
    this.active = [{ versionId: id, percentage: 100 }];
    this.state = { versionId: id, buildId: OLD_BUILD, deployment: [...this.active] };
    this.proxy = http.createServer((req, res) => {
      const target = this.route(req.headers);
      if (!target) {
        res.writeHead(502, { "content-type": "application/json" });
        res.end('{"error":{"code":"bad_gateway","message":"the version did not answer"}}');
        return;
      }
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
      req.pipe(upstream);
    });
    this.proxy.on("upgrade", (req, socket, head) => {
      const target = this.route(req.headers);
      if (!target) return socket.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
      const upstream = net.connect(Number(target.port), target.hostname, () => {
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
        if (head.length) upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    });
    await new Promise<void>((done) => this.proxy.listen(0, "127.0.0.1", done));
    this.url = new URL(`http://127.0.0.1:${(this.proxy.address() as AddressInfo).port}/`);
  }

  /** The server a request goes to: its version override when that version is deployed, else by percentage. */
  private route(headers: http.IncomingHttpHeaders): URL | undefined {
    const override = /="([^"]+)"/.exec(String(headers[VERSION_OVERRIDE_HEADER.toLowerCase()] ?? ""))?.[1];
    let versionId = this.active.find((v) => v.versionId === override)?.versionId;
    if (!versionId) {
      const [first, second] = this.active;
      const n = this.routed++;
      const share = second?.percentage ?? 0;
      versionId =
        second && Math.floor(((n + 1) * share) / 100) > Math.floor((n * share) / 100)
          ? second.versionId
          : first!.versionId;
    }
    return this.servers.get(versionId)?.url;
  }

  label = (id: string | undefined) => (id ? (this.labels.get(id) ?? id) : "none");

  async outputs(stack: string) {
    this.calls.push(`outputs ${stack}`);
    if (stack === "staging") return { url: this.staging.url.href, buildId: this.stagingBuild };
    return {
      url: this.url.href,
      scriptName: SCRIPT,
      buildId: this.state.buildId,
      versionId: this.state.versionId,
    };
  }

  async up(
    stack: string,
    { expectedBuildId, holdTrafficOn }: { expectedBuildId: string; holdTrafficOn?: string },
  ) {
    this.calls.push(
      `up ${stack} ${expectedBuildId.slice(0, 8)}${holdTrafficOn ? ` hold ${this.label(holdTrafficOn)}` : ""}`,
    );
    let version = this.list.find((v) => v.buildId === expectedBuildId);
    if (!version) {
      const server = await serverFor({
        environment: stack,
        buildId: expectedBuildId,
        adminToken: this.newAdminToken,
      });
      const id = String((await healthOf(server.url)).versionId);
      this.labels.set(id, "new");
      this.servers.set(id, server);
      version = { id, createdOn: new Date().toISOString(), buildId: expectedBuildId, classes: CLASSES };
      this.list.unshift(version);
    }
    this.active = [{ versionId: holdTrafficOn ?? version.id, percentage: 100 }];
    this.state = { versionId: version.id, buildId: expectedBuildId, deployment: [...this.active] };
  }

  async preview(
    stack: string,
    { expectedBuildId, holdTrafficOn }: { expectedBuildId: string; holdTrafficOn?: string },
  ) {
    this.calls.push(
      `preview ${stack} ${expectedBuildId.slice(0, 8)}${holdTrafficOn ? ` hold ${this.label(holdTrafficOn)}` : ""}`,
    );
  }

  async versions() {
    return this.list;
  }

  /** Thrown by `deployment()` when set: Cloudflare failing to answer. */
  readFailure: Error | undefined;
  /** How many `deploy` calls fail before one succeeds (a revert that fails). */
  failDeploys = 0;
  readonly messages: string[] = [];

  async deployment() {
    if (this.readFailure) throw this.readFailure;
    return this.active.length ? { versions: this.active, message: this.messages.at(-1) ?? "" } : null;
  }

  async rollback(stack: string, versionId: string, message: string) {
    await this.deploy(stack, [{ versionId, percentage: 100 }], message);
    return { secretsChanged: [] };
  }

  async deploy(stack: string, versions: readonly DeployedVersion[], message: string) {
    if (this.failDeploys > 0) {
      this.failDeploys--;
      throw new Error("wrangler versions deploy failed: the API answered 503");
    }
    this.messages.push(message);
    this.calls.push(
      `deploy ${stack} ${versions.map((v) => `${this.label(v.versionId)}@${v.percentage}`).join(" ")}`,
    );
    this.active = [...versions];
    const next = versions.find((v) => this.labels.get(v.versionId) === "new");
    if (next && next.percentage === this.crashAt) {
      const crashed = this.servers.get(next.versionId);
      this.servers.delete(next.versionId);
      if (crashed) await discard(crashed);
    }
  }

  /** Stops the proxy; the servers are the file's (see `serverFor`). */
  async dispose() {
    this.proxy?.closeAllConnections();
    await new Promise((done) => (this.proxy ? this.proxy.close(done) : done(undefined)));
  }
}

let staging: LocalPlatform;
let cloudflare: FakeCloudflare;
let lines: string[];
beforeEach(async () => {
  staging = await serverFor({ environment: "staging" });
  cloudflare = new FakeCloudflare(staging);
  lines = [];
});
afterEach(async () => {
  await cloudflare?.dispose();
});

async function startProd(classes = CLASSES) {
  await cloudflare.start(await serverFor({ environment: "prod", buildId: OLD_BUILD }), classes);
  cloudflare.stagingBuild = inject("buildId");
}

function deps(overrides: Partial<PromotionDeps> = {}): PromotionDeps {
  return {
    stacks: cloudflare,
    versions: cloudflare,
    build: async () => ({ buildId: inject("buildId") }),
    runGate: async () => {
      cloudflare.calls.push("gate");
    },
    // The real smoke checks; their job is set 100 ms ahead, not 1 s: a walk-through runs up to three of them, and
    // the job's own timing is smoke.test.ts's subject (19 s against 9 s for this file).
    smoke: (_stack, url, expectBuildId, options = {}) =>
      runSmoke({
        url,
        expectBuildId,
        adminToken: TEST_ADMIN_TOKEN,
        headers: options.headers,
        // Each local server here stands for one version, with no version-metadata binding of its objects: the
        // object check is the stand-in's subject (test/standin), so it is left out of this walk-through.
        timeoutMs: 10_000,
        jobDelayMs: 100,
      }),
    health: healthOf,
    sleep: async () => {},
    log: (line) => lines.push(line),
    ...overrides,
  };
}

const options = (more: Partial<PromotionOptions> = {}): PromotionOptions => ({
  from: "staging",
  to: "prod",
  dryRun: false,
  steps: [10, 50, 100],
  waitSeconds: 0,
  samples: 20,
  ...more,
});

const prodBuild = async () => (await healthOf(cloudflare.url)).buildId;
const b8 = () => inject("buildId").slice(0, 8);

describe("npm run promote, step by step", () => {
  it("uploads the build with traffic held, moves it 10 → 50 → 100 % counting who answers, then brings Pulumi in line", async () => {
    await startProd();
    const outcome = await promote(options(), deps());
    expect(outcome).toMatchObject({ ok: true, deployed: true, mode: "steps", buildId: inject("buildId") });
    expect(cloudflare.calls).toEqual([
      "outputs staging",
      "gate",
      "outputs prod",
      `up prod ${b8()} hold old`,
      "outputs prod",
      "deploy prod old@90 new@10",
      "deploy prod old@50 new@50",
      "deploy prod new@100",
      `up prod ${b8()}`,
      "outputs prod",
    ]);
    const text = lines.join("\n");
    // Counted from real /health answers through the split.
    expect(text).toMatch(
      / 10 %: deployed .*@90% .*@10%\n\s+2 of 20 answers from the new version .*, 18 from /,
    );
    expect(text).toMatch(/ 50 %: deployed .*\n\s+10 of 20 answers from the new version .*, 10 from /);
    expect(text).toMatch(/100 %: deployed .*@100%\n\s+20 of 20 answers from the new version .*, 0 from /);
    expect(text.match(/smoke checks passed on /g)).toHaveLength(3);
    expect(lines.filter((l) => /^\[\d\/5\]/.test(l))).toHaveLength(5);
    // The Pulumi state names what Cloudflare serves: the promoted version, at 100 %, not re-uploaded.
    const next = cloudflare.list[0]!.id;
    expect(outcome.ok && outcome.versionId).toBe(next);
    expect(cloudflare.active).toEqual([{ versionId: next, percentage: 100 }]);
    expect(cloudflare.state).toEqual({
      versionId: next,
      buildId: inject("buildId"),
      deployment: cloudflare.active,
    });
    expect(await prodBuild()).toBe(inject("buildId"));
  });

  it("returns prod to 100 % on the previous version when a middle step fails, and says why", async () => {
    await startProd();
    cloudflare.crashAt = 50;
    const outcome = await promote(options(), deps());
    expect(outcome).toMatchObject({ ok: false, step: "traffic-50", targetChanged: true, reverted: true });
    expect(outcome.ok || outcome.reason).toMatch(
      /^10 of 20 \/health requests failed: \/health answered 502$/,
    );
    expect(cloudflare.calls.slice(3)).toEqual([
      `up prod ${b8()} hold old`,
      "outputs prod",
      "deploy prod old@90 new@10",
      "deploy prod old@50 new@50",
      "deploy prod old@100",
    ]);
    const text = lines.join("\n");
    expect(text).toMatch(/50 % step failed: returning prod to 100 % on \S+/);
    expect(text).toMatch(/prod is back at 100 % on \S+ \(build 000000000000\): 20 from \S+/);
    expect(lines.at(-1)).toMatch(/^promotion stopped at 50 %: 10 of 20 \/health requests failed/);
    expect(await prodBuild()).toBe(OLD_BUILD);
    // Pulumi's state holds the uploaded version (it exists, unused) and a deployment of the old one at 100 %:
    // what Cloudflare serves after the revert.
    expect(cloudflare.state.deployment).toEqual(cloudflare.active);
    expect(cloudflare.label(cloudflare.active[0]!.versionId)).toBe("old");
  });

  it("reverts at the first step when the new version fails its smoke checks (pinned to it by the override header)", async () => {
    await startProd();
    // The new version runs with another secret than the one the smoke checks hold: its admin route refuses them.
    cloudflare.newAdminToken = "another-admin-token-0123456789";
    const outcome = await promote(options(), deps());
    expect(outcome).toMatchObject({ ok: false, step: "traffic-10", reverted: true });
    expect(outcome.ok || outcome.reason).toMatch(/smoke checks failed against .*\n\s+scheduled job: .*401/);
    expect(cloudflare.calls.slice(-2)).toEqual(["deploy prod old@90 new@10", "deploy prod old@100"]);
    expect(await prodBuild()).toBe(OLD_BUILD);
  });

  it("goes to 100 % in one step, after the same gate, when the new version changes Durable Object classes", async () => {
    // The live version declares a class the manifest no longer has: the new version deletes it.
    await startProd(`${CLASSES},Tally:sqlite`);
    const outcome = await promote(options(), deps());
    expect(outcome).toMatchObject({ ok: true, mode: "one-step", deployed: true });
    expect(cloudflare.calls).toEqual([
      "outputs staging",
      "gate",
      "outputs prod",
      `up prod ${b8()}`,
      "outputs prod",
    ]);
    expect(lines.join("\n")).toMatch(
      /\[3\/5\] deploying build \S+ to prod at 100 % in one step\n\s+the Durable Object classes differ: .* has Tally:sqlite which the new version has not: .*cannot split traffic/,
    );
    expect(cloudflare.calls.some((c) => c.startsWith("deploy"))).toBe(false);
    expect(await prodBuild()).toBe(inject("buildId"));
    expect(cloudflare.state.deployment).toEqual(cloudflare.active);
  });

  it("refuses to start over a split an earlier promotion left, and changes nothing", async () => {
    await startProd();
    await cloudflare.up("prod", {
      expectedBuildId: inject("buildId"),
      holdTrafficOn: cloudflare.list[0]!.id,
    });
    await cloudflare.deploy(
      "prod",
      [
        { versionId: cloudflare.list[1]!.id, percentage: 50 },
        { versionId: cloudflare.list[0]!.id, percentage: 50 },
      ],
      "left over",
    );
    cloudflare.calls.length = 0;
    const outcome = await promote(options(), deps());
    expect(outcome).toMatchObject({ ok: false, step: "split", targetChanged: false });
    expect(outcome.ok || outcome.reason).toMatch(/prod is already split .*npm run rollback -- prod --to /);
    expect(cloudflare.calls.filter((c) => /^(up|deploy)/.test(c))).toEqual([]);
  });
});

describe("npm run promote, before prod changes", () => {
  it("stops before prod when staging's stack deployed another build", async () => {
    await startProd();
    cloudflare.stagingBuild = "a".repeat(64);
    const outcome = await promote(options(), deps());
    expect(outcome).toMatchObject({ ok: false, step: "verify", targetChanged: false });
    expect(outcome.ok || outcome.reason).toMatch(/this tree builds .* but stack staging deployed aaaa/);
    expect(cloudflare.calls).toEqual(["outputs staging"]);
    expect(await prodBuild()).toBe(OLD_BUILD);
    expect(lines.at(-1)).toMatch(/prod was not changed/);
  });

  it("stops before prod when staging's URL runs something other than its stack says", async () => {
    onTestFinished(() => discard(staging));
    await staging.reload({
      bundlePath: inject("bundlePath"),
      env: { environment: "staging", buildId: "b".repeat(64) },
    });
    await startProd();
    const outcome = await promote(options(), deps());
    expect(outcome).toMatchObject({ ok: false, step: "verify" });
    expect(outcome.ok || outcome.reason).toMatch(/reports build bbbb.*not running what its stack says/);
    expect(cloudflare.calls.some((c) => c.startsWith("up"))).toBe(false);
  });

  it("stops before prod when the test gate fails", async () => {
    await startProd();
    const outcome = await promote(
      options(),
      deps({
        runGate: async () => {
          throw new Error("vitest exited with 1");
        },
      }),
    );
    expect(outcome).toMatchObject({
      ok: false,
      step: "gate",
      reason: "the test gate failed: vitest exited with 1",
    });
    expect(cloudflare.calls.some((c) => c.startsWith("up"))).toBe(false);
    expect(await prodBuild()).toBe(OLD_BUILD);
  });

  it("--dry-run runs the checks and a preview, and deploys nothing", async () => {
    await startProd();
    const outcome = await promote(options({ dryRun: true }), deps());
    expect(outcome).toMatchObject({ ok: true, deployed: false });
    // The preview is the one step 3 would run: the upload with traffic held on the live version.
    expect(cloudflare.calls).toEqual([
      "outputs staging",
      "gate",
      "outputs prod",
      `preview prod ${b8()} hold old`,
    ]);
    expect(lines.join("\n")).toMatch(
      /\[3\/5\] preview of prod: upload build \S+ while \S+ keeps 100 %, then steps of 10, 50, 100 %/,
    );
    expect(await prodBuild()).toBe(OLD_BUILD);
  });

  it("never takes a failure to read prod's deployment for a first deploy: it stops, and nothing changes", async () => {
    await startProd();
    cloudflare.readFailure = new Error("the API answered 503");
    const outcome = await promote(options(), deps());
    expect(outcome).toMatchObject({ ok: false, step: "read", targetChanged: false });
    expect(outcome.ok || outcome.reason).toMatch(
      /could not read prod's deployment from Cloudflare \(the API answered 503\); nothing was changed/,
    );
    expect(cloudflare.calls.filter((c) => /^(up|deploy)/.test(c))).toEqual([]);
    expect(await prodBuild()).toBe(OLD_BUILD);
  });
});

describe("npm run promote, when the revert itself fails", () => {
  it("tries the revert again, and records the rejected build in the revert's deployment message", async () => {
    await startProd();
    cloudflare.crashAt = 10;
    let failures = 1;
    const flaky = {
      ...cloudflare,
      deployment: cloudflare.deployment.bind(cloudflare),
      versions: cloudflare.versions.bind(cloudflare),
      rollback: cloudflare.rollback.bind(cloudflare),
      deploy: async (...args: Parameters<FakeCloudflare["deploy"]>) => {
        if (args[1].length === 1 && failures-- > 0) throw new Error("wrangler versions deploy failed: 503");
        return cloudflare.deploy(...args);
      },
    };
    const outcome = await promote(options(), deps({ versions: flaky }));
    expect(outcome).toMatchObject({ ok: false, step: "traffic-10", reverted: true });
    expect(lines.join("\n")).toMatch(
      /the revert failed \(wrangler versions deploy failed: 503\); trying again \(2 of 3\)/,
    );
    expect(cloudflare.messages.at(-1)).toMatch(
      new RegExp(`^promotion reverted: rejected build ${inject("buildId")}: 10 % step failed`),
    );
    expect(await prodBuild()).toBe(OLD_BUILD);
  });

  it("after three failed reverts, prints the live split and the exact command that ends it", async () => {
    await startProd();
    cloudflare.crashAt = 10;
    const failing = {
      deployment: cloudflare.deployment.bind(cloudflare),
      versions: cloudflare.versions.bind(cloudflare),
      rollback: cloudflare.rollback.bind(cloudflare),
      deploy: async (...args: Parameters<FakeCloudflare["deploy"]>) => {
        if (args[1].length === 1) throw new Error("wrangler versions deploy failed: 503");
        return cloudflare.deploy(...args);
      },
    };
    const outcome = await promote(options(), deps({ versions: failing }));
    expect(outcome).toMatchObject({ ok: false, step: "revert", targetChanged: true });
    expect(outcome.ok || outcome.reason).toMatch(
      /the revert of prod failed 3 times .* prod now serves \S+@90% \S+@10%\. End the split now: npm run rollback -- prod --to \S+/,
    );
  });
});

describe("--steps", () => {
  it("takes rising percentages ending at 100, and says what is wrong otherwise", () => {
    expect(parseSteps("10,50,100")).toEqual([10, 50, 100]);
    expect(parseSteps("100")).toEqual([100]);
    expect(parseSteps("10,abc,100")).toBe('--steps takes percentages from 1 to 100, got "abc"');
    expect(parseSteps("0,100")).toBe('--steps takes percentages from 1 to 100, got "0"');
    expect(parseSteps("50,10,100")).toBe("--steps must rise, got 50,10,100");
    expect(parseSteps("10,50")).toBe("--steps must end at 100, got 10,50");
  });
});
