import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import type { DeployedVersion } from "../../infra/live-script.ts";
import type { LocalPlatform } from "../../scripts/lib/local-platform.ts";
import { type RollbackDeps, rollback } from "../../scripts/lib/rollback.ts";
import { parseVersionMessage, type VersionInfo, type VersionOps } from "../../scripts/lib/versions.ts";
import { startBuiltPlatform, TEST_ADMIN_TOKEN } from "../support/platform.ts";

const CLASSES = "ChatRoom:sqlite,Counter:sqlite,Scheduler:sqlite";
const build = (n: number) => String(n).repeat(64);

/** A recording fake of a stack's versions whose `deploy` makes the real local server run that version's build. */
class Versions implements VersionOps {
  readonly calls: string[] = [];
  active: DeployedVersion[];
  readonly platform: LocalPlatform;
  readonly list: VersionInfo[];
  constructor(platform: LocalPlatform, list: VersionInfo[]) {
    this.platform = platform;
    this.list = list;
    this.active = [{ versionId: list[0]!.id, percentage: 100 }];
  }
  async versions() {
    return this.list;
  }
  async deployment() {
    return { versions: this.active, message: "" };
  }
  async rollback(stack: string, versionId: string, message: string) {
    await this.deploy(stack, [{ versionId, percentage: 100 }], message);
    return { secretsChanged: [] };
  }
  async deploy(stack: string, versions: readonly DeployedVersion[], message: string) {
    this.calls.push(
      `deploy ${stack} ${versions.map((v) => `${v.versionId}@${v.percentage}`).join(" ")}: ${message}`,
    );
    const main = this.list.find((v) => v.id === versions[0]?.versionId);
    await this.platform.reload({
      bundlePath: inject("bundlePath"),
      env: { environment: stack, buildId: main?.buildId ?? "unknown", adminToken: TEST_ADMIN_TOKEN },
    });
    this.active = [...versions];
  }
}

let prod: LocalPlatform;
let lines: string[];
beforeEach(async () => {
  prod = await startBuiltPlatform({ env: { environment: "prod", buildId: build(3) } });
  lines = [];
});
afterEach(() => prod?.dispose());

/** Newest first: v3 is live. */
const history = (v3Classes = CLASSES): VersionInfo[] => [
  { id: "v3", createdOn: "2026-11-03T00:00:00Z", buildId: build(3), classes: v3Classes },
  { id: "v2", createdOn: "2026-11-02T00:00:00Z", buildId: build(2), classes: CLASSES },
  { id: "v1", createdOn: "2026-11-01T00:00:00Z", buildId: build(1), classes: CLASSES },
];

function deps(versions: Versions): RollbackDeps {
  return {
    versions,
    outputs: async () => ({ url: prod.url.href }),
    health: async (url) => (await (await fetch(new URL("/health", url))).json()) as { buildId?: unknown },
    log: (line) => lines.push(line),
  };
}

const healthOf = async () =>
  (await (await fetch(new URL("/health", prod.url))).json()) as { buildId: string };

describe("a version's annotation", () => {
  it("gives back the build and classes the Pulumi program wrote into it (infra/durable-worker.ts)", () => {
    expect(parseVersionMessage(`build ${build(1)} classes ${CLASSES}`)).toEqual({
      buildId: build(1),
      classes: CLASSES,
    });
    expect(parseVersionMessage("uploaded by hand")).toEqual({});
  });
});

describe("npm run rollback", () => {
  it("rolls back to the version before the live one, at 100 %, and the server answers with its build", async () => {
    const versions = new Versions(prod, history());
    const outcome = await rollback({ stack: "prod" }, deps(versions));
    expect(outcome).toEqual({ ok: true, versionId: "v2", buildId: build(2) });
    expect(versions.calls).toEqual([`deploy prod v2@100: rollback to v2 (build ${build(2)})`]);
    expect((await healthOf()).buildId).toBe(build(2));
    expect(lines.at(-1)).toBe("rolled back prod to v2");
  });

  it("rolls back to a version named by its build id", async () => {
    const versions = new Versions(prod, history());
    const outcome = await rollback({ stack: "prod", to: build(1) }, deps(versions));
    expect(outcome).toMatchObject({ ok: true, versionId: "v1" });
    expect((await healthOf()).buildId).toBe(build(1));
  });

  it("refuses a version from before a Durable Object class change of the live one, and deploys nothing", async () => {
    const versions = new Versions(prod, history(`${CLASSES},Tally:sqlite`));
    const outcome = await rollback({ stack: "prod" }, deps(versions));
    expect(outcome.ok).toBe(false);
    expect(outcome.ok || outcome.reason).toMatch(
      /v2 \(build 2{64}\) predates a Durable Object class change: .*v3 has Tally:sqlite which v2 has not.*Fix forward instead.*npm run promote/,
    );
    expect(versions.calls).toEqual([]);
    expect((await healthOf()).buildId).toBe(build(3));
  });

  it("refuses when a class change was applied in between, even if the live version declares the target's classes again", async () => {
    // v2 created Tally; v3 deleted it again. v3 and v1 declare the same classes, but Cloudflare applied both changes.
    const list: VersionInfo[] = [
      { id: "v3", createdOn: "2026-11-03T00:00:00Z", buildId: build(3), classes: CLASSES },
      { id: "v2", createdOn: "2026-11-02T00:00:00Z", buildId: build(2), classes: `${CLASSES},Tally:sqlite` },
      { id: "v1", createdOn: "2026-11-01T00:00:00Z", buildId: build(1), classes: CLASSES },
    ];
    const versions = new Versions(prod, list);
    const outcome = await rollback({ stack: "prod", to: "v1" }, deps(versions));
    expect(outcome.ok || outcome.reason).toMatch(
      /v1 .* predates a Durable Object class change: v2, uploaded in between/,
    );
    expect(versions.calls).toEqual([]);
  });

  it("refuses a version or build it does not know, listing the versions", async () => {
    const versions = new Versions(prod, history());
    const outcome = await rollback({ stack: "prod", to: "nope" }, deps(versions));
    expect(outcome.ok || outcome.reason).toMatch(
      /prod has no version or build nope\. Versions, newest first: v3/,
    );
    expect(versions.calls).toEqual([]);
  });
});
