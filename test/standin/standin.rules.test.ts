import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { Standin } from "../../scripts/standin/index.ts";
import {
  latestVersionId,
  useScratch,
  useStandin,
  wrangler,
  writeSecrets,
  writeWranglerConfig,
} from "./support.ts";

// Real wrangler against the stand-in, no workerd: what the API accepts and refuses, and what wrangler makes of it.
// Each wrangler run costs about 2 CPU seconds (loading its 10 MB bundle), so only the steps whose subject is
// wrangler's own behaviour run it; the other steps call the API directly. Generous timeouts: on a loaded machine
// one run has taken 15 s of wall time.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
let standin: Standin;
let dir: string;
useStandin((s) => {
  standin = s;
});
useScratch((d) => {
  dir = d;
});

const NAME = "rules-worker";
let firstVersion: string;

/**
 * A secret change as `wrangler secret bulk` sends it: a new version of the Worker, deployed at 100 %. It builds on
 * the latest version, which must be the whole live deployment (else 10215), so that one is deployed first.
 */
async function changeSecret(name: string, text: string) {
  const live = standin.state.scripts.get(NAME)?.deployments[0]?.versions;
  const latest = latestVersionId(standin, NAME);
  if (live?.length !== 1 || live[0]?.version_id !== latest) await deploy(latest);
  const res = await fetch(
    `${standin.apiBaseUrl}/accounts/${standin.accountId}/workers/scripts/${NAME}/secrets-bulk`,
    {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ secrets: { [name]: { name, text, type: "secret_text" } } }),
    },
  );
  expect(res.status, await res.clone().text()).toBe(200);
}

async function deploy(versionId: string): Promise<void> {
  const res = await fetch(
    `${standin.apiBaseUrl}/accounts/${standin.accountId}/workers/scripts/${NAME}/deployments`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        strategy: "percentage",
        versions: [{ version_id: versionId, percentage: 100 }],
      }),
    },
  );
  expect(res.status, await res.clone().text()).toBe(200);
}

type Exports = Record<string, Record<string, string>>;
const withExports = (change: (exports: Exports) => Exports) => (config: Record<string, unknown>) => ({
  ...config,
  exports: change(config.exports as Exports),
});

beforeAll(async () => {
  const secrets = await writeSecrets(dir, { ADMIN_TOKEN: "first-admin-token-0123456789" });
  const run = await wrangler(
    standin,
    ["deploy", "-c", await writeWranglerConfig(dir, NAME), "--secrets-file", secrets],
    dir,
  );
  expect(run.code, run.output).toBe(0);
  firstVersion = latestVersionId(standin, NAME);
});

describe("wrangler deploy of the built bundle", () => {
  it("creates the Worker and provisions every class its exports declare", () => {
    expect(standin.state.scripts.get(NAME)?.classes.size).toBeGreaterThan(0);
    const exported = Object.keys(standin.state.scripts.get(NAME)?.versions[0]?.exports ?? {}).sort();
    expect([...(standin.state.scripts.get(NAME)?.classes.keys() ?? [])].sort()).toEqual(exported);
  });
});

describe("version uploads", () => {
  it("refuses a class-lifecycle change with 10211, and wrangler prints the code", async () => {
    const [someClass] = [...(standin.state.scripts.get(NAME)?.classes.keys() ?? [])];
    // Deleting a provisioned class (its binding gone, a `deleted` tombstone in its place) in a version upload.
    const config = await writeWranglerConfig(dir, NAME, (c) => {
      const durable = c.durable_objects as { bindings: { class_name: string }[] };
      return withExports((e) => ({
        ...e,
        [String(someClass)]: { type: "durable-object", state: "deleted" },
      }))({
        ...c,
        durable_objects: { bindings: durable.bindings.filter((b) => b.class_name !== someClass) },
      });
    });
    const versions = standin.state.scripts.get(NAME)?.versions.length;
    const run = await wrangler(standin, ["versions", "upload", "-c", config], dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("[code: 10211]");
    expect(standin.state.scripts.get(NAME)?.versions.length).toBe(versions);
  });
});

describe("deployments", () => {
  it("refuses a split between versions whose Durable Object exports differ with 100405", async () => {
    // A stale tombstone (a class never provisioned) changes no class, so the upload is accepted, but the
    // version's exports differ from the first version's.
    // Uploaded through the API (JSON, the new Workers API) to spare a wrangler run: only its exports matter here.
    const first = standin.state.scripts.get(NAME)?.versions[0];
    const upload = await fetch(
      `${standin.apiBaseUrl}/accounts/${standin.accountId}/workers/workers/${NAME}/versions`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          main_module: "index.js",
          compatibility_date: first?.compatibilityDate,
          modules: [
            {
              name: "index.js",
              content_type: "application/javascript+module",
              content_base64: (await readFile(inject("bundlePath"))).toString("base64"),
            },
          ],
          exports: { ...first?.exports, NeverProvisioned: { type: "durable-object", state: "deleted" } },
        }),
      },
    );
    expect(upload.status, await upload.clone().text()).toBe(200);
    const second = latestVersionId(standin, NAME);
    const deployments = standin.state.scripts.get(NAME)?.deployments.length;
    const run = await wrangler(
      standin,
      ["versions", "deploy", `${firstVersion}@50%`, `${second}@50%`, "--name", NAME, "--yes"],
      dir,
    );
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("All versions in a percentage-split deployment must declare identical");
    expect(standin.state.scripts.get(NAME)?.deployments.length).toBe(deployments);
  });

  it("refuses a rollback across a secret change with 10220; wrangler rollback --yes retries with force", async () => {
    await changeSecret("ADMIN_TOKEN", "second-admin-token-0123456789");
    const run = await wrangler(standin, ["rollback", firstVersion, "--name", NAME, "--yes"], dir);
    expect(run.code, run.output).toBe(0);
    // Observed with wrangler 4.164: the API's 10220 names the changed secrets, wrangler asks to confirm, and in a
    // non-interactive run the confirmation falls back to "yes", so it deploys again with ?force=true.
    expect(run.output).toContain("The following secrets have changed");
    expect(run.output).toContain("ADMIN_TOKEN");
    expect(run.output).toContain("Using fallback value in non-interactive context: yes");
    expect(standin.state.scripts.get(NAME)?.deployments[0]?.versions).toEqual([
      { version_id: firstVersion, percentage: 100 },
    ]);
  });

  it("without force, the API itself refuses that rollback with 10220", async () => {
    await changeSecret("ADMIN_TOKEN", "third-admin-token-0123456789");
    const res = await fetch(
      `${standin.apiBaseUrl}/accounts/${standin.accountId}/workers/scripts/${NAME}/deployments`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          strategy: "percentage",
          versions: [{ version_id: firstVersion, percentage: 100 }],
        }),
      },
    );
    const body = (await res.json()) as { success: boolean; errors: { code: number; message: string }[] };
    expect(res.status).toBe(400);
    expect(body.errors[0]?.code).toBe(10220);
    expect(body.errors[0]?.message).toMatch(/The following secrets have changed: ADMIN_TOKEN$/);
  });
});

describe("versions list", () => {
  it("shows 10 versions while the API holds more; the API pages the rest", async () => {
    // Secret changes are the quickest new versions: each one is a version deployed at 100 %.
    const api = `${standin.apiBaseUrl}/accounts/${standin.accountId}/workers/scripts/${NAME}`;
    for (let i = 0; i < 11; i++) await changeSecret("PAGED", `value-${i}`);
    const total = standin.state.scripts.get(NAME)?.versions.length ?? 0;
    expect(total).toBeGreaterThan(10);
    const run = await wrangler(standin, ["versions", "list", "--name", NAME, "--json"], dir);
    expect(run.code, run.output).toBe(0);
    expect((JSON.parse(run.stdout) as unknown[]).length).toBe(10);
    const ids: string[] = [];
    for (let page = 1; ids.length < total; page++) {
      const res = await fetch(`${api}/versions?deployable=true&page=${page}&per_page=5`);
      const body = (await res.json()) as { result: { items: { id: string }[] } };
      expect(body.result.items.length).toBeGreaterThan(0);
      ids.push(...body.result.items.map((v) => v.id));
    }
    expect(ids).toContain(firstVersion);
    expect(new Set(ids).size).toBe(total);
  });
});

describe("request shapes are the SDK's", () => {
  const versionBody = (module: Record<string, string>) => ({
    main_module: "index.js",
    compatibility_date: "2026-08-22",
    modules: [module],
  });
  const module = {
    name: "index.js",
    content_type: "application/javascript+module",
    content_base64: Buffer.from("export default { fetch() { return new Response('ok') } }").toString(
      "base64",
    ),
  };

  it("refuses a module with content_sha256 on the new Workers API (400, 10021), accepts it without", async () => {
    const api = `${standin.apiBaseUrl}/accounts/${standin.accountId}/workers/workers`;
    const created = await fetch(api, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "shape-worker" }),
    });
    expect(created.status).toBe(200);
    const worker = ((await created.json()) as { result: { id: string } }).result;
    const refused = await fetch(`${api}/${worker.id}/versions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(versionBody({ ...module, content_sha256: "0".repeat(64) })),
    });
    const body = (await refused.json()) as { errors: { code: number; message: string }[] };
    expect(refused.status).toBe(400);
    expect(body.errors[0]?.code).toBe(10021);
    expect(body.errors[0]?.message).toContain("modules.0.content_sha256");
    const accepted = await fetch(`${api}/${worker.id}/versions?deploy=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(versionBody(module)),
    });
    expect(accepted.status).toBe(200);
    expect(standin.state.scripts.get("shape-worker")?.deployments).toHaveLength(1);
  });

  it("answers a Worker it does not know with 10007", async () => {
    const res = await fetch(`${standin.apiBaseUrl}/accounts/${standin.accountId}/workers/workers/nobody`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { errors: { code: number }[] }).errors[0]?.code).toBe(10007);
  });
});
