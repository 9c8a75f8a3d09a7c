import { describe, expect, it } from "vitest";
import type { Standin } from "../../scripts/standin/index.ts";
import { useStandin } from "./support.ts";

// The class lifecycle through the API directly (no wrangler, no workerd): what a non-versioned upload applies and
// what a version upload refuses. The module is a stub; the rules look at metadata only.
let standin: Standin;
useStandin((s) => {
  standin = s;
});

const MODULE =
  "export class Counter {} export class Tally {} export default { fetch() { return new Response('ok') } }";
type Exports = Record<string, Record<string, string>>;
type Answer = {
  status: number;
  body: { success: boolean; errors: { code: number; message: string }[]; result: any };
};

const api = (path: string) => `${standin.apiBaseUrl}/accounts/${standin.accountId}${path}`;
async function answer(res: Response): Promise<Answer> {
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}
const binding = (className: string) => ({
  type: "durable_object_namespace",
  name: className.toUpperCase(),
  class_name: className,
});

/** wrangler's non-versioned upload (multipart: metadata and the module), which applies the class lifecycle. */
async function scriptUpload(name: string, exports: Exports, bindings: unknown[] = []) {
  const form = new FormData();
  form.set(
    "metadata",
    JSON.stringify({ main_module: "index.js", compatibility_date: "2026-08-22", exports, bindings }),
  );
  form.set("index.js", new File([MODULE], "index.js", { type: "application/javascript+module" }));
  return answer(await fetch(api(`/workers/scripts/${name}`), { method: "PUT", body: form }));
}

/** A version on the new Workers API (JSON), as the Pulumi provider sends it. */
async function versionUpload(name: string, exports: Exports, bindings: unknown[] = [], deploy = false) {
  return answer(
    await fetch(api(`/workers/workers/${name}/versions${deploy ? "?deploy=true" : ""}`), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        main_module: "index.js",
        compatibility_date: "2026-08-22",
        modules: [
          {
            name: "index.js",
            content_type: "application/javascript+module",
            content_base64: Buffer.from(MODULE).toString("base64"),
          },
        ],
        exports,
        bindings,
      }),
    }),
  );
}

const live = { type: "durable-object", storage: "sqlite" };

describe("the class lifecycle", () => {
  it("a non-versioned upload provisions the classes its exports declare and reports them", async () => {
    const { status, body } = await scriptUpload("lifecycle-a", { Counter: live }, [binding("Counter")]);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.result.exports_reconciliation.created).toEqual(["Counter"]);
    expect([...(standin.state.scripts.get("lifecycle-a")?.classes.keys() ?? [])]).toEqual(["Counter"]);
  });

  it("a version upload binding a class that exports declare but nobody provisioned is refused with 100406", async () => {
    await scriptUpload("lifecycle-b", { Counter: live }, [binding("Counter")]);
    const { status, body } = await versionUpload("lifecycle-b", { Counter: live, Tally: live }, [
      binding("Counter"),
      binding("Tally"),
    ]);
    expect(status).toBe(400);
    expect(body.errors[0]?.code).toBe(100406);
  });

  it("a version upload renaming a class is refused with 10211, with ?deploy=true too", async () => {
    await scriptUpload("lifecycle-c", { Counter: live }, [binding("Counter")]);
    const renamed = {
      Counter: { type: "durable-object", state: "renamed", renamed_to: "Tally" },
      Tally: live,
    };
    for (const deploy of [false, true]) {
      const { status, body } = await versionUpload("lifecycle-c", renamed, [], deploy);
      expect(status).toBe(400);
      expect(body.errors[0]?.code).toBe(10211);
    }
    expect([...(standin.state.scripts.get("lifecycle-c")?.classes.keys() ?? [])]).toEqual(["Counter"]);
  });

  it("a non-versioned upload applies the rename, and a rollback across it is refused", async () => {
    const first = await scriptUpload("lifecycle-d", { Counter: live }, [binding("Counter")]);
    const renamed = {
      Counter: { type: "durable-object", state: "renamed", renamed_to: "Tally" },
      Tally: live,
    };
    const second = await scriptUpload("lifecycle-d", renamed, [binding("Tally")]);
    expect(second.body.result.exports_reconciliation.renamed).toEqual([{ from: "Counter", to: "Tally" }]);
    const classes = standin.state.scripts.get("lifecycle-d")?.classes;
    expect([...(classes?.keys() ?? [])]).toEqual(["Tally"]);
    // The namespace keeps its storage across the rename.
    expect(classes?.get("Tally")?.storageKey).toBe("lifecycle-d-Counter");
    const rollback = await answer(
      await fetch(api("/workers/scripts/lifecycle-d/deployments?force=true"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          strategy: "percentage",
          versions: [{ version_id: first.body.result.deployment_id, percentage: 100 }],
        }),
      }),
    );
    expect(rollback.status).toBe(400);
    expect(rollback.body.errors[0]?.message).toContain("a Durable Object migration has occurred");
  });

  it("a deployment with more than two versions, or percentages not summing to 100, is refused", async () => {
    await scriptUpload("lifecycle-e", { Counter: live }, [binding("Counter")]);
    const ids = await Promise.all(
      [1, 2, 3].map(
        async () =>
          (await versionUpload("lifecycle-e", { Counter: live }, [binding("Counter")])).body.result
            .id as string,
      ),
    );
    const deploy = (versions: { version_id: string; percentage: number }[]) =>
      fetch(api("/workers/scripts/lifecycle-e/deployments"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ strategy: "percentage", versions }),
      }).then(answer);
    const three = await deploy(ids.map((version_id, i) => ({ version_id, percentage: i === 0 ? 34 : 33 })));
    expect(three.status).toBe(400);
    const short = await deploy([
      { version_id: String(ids[0]), percentage: 50 },
      { version_id: String(ids[1]), percentage: 40 },
    ]);
    expect(short.status).toBe(400);
    const split = await deploy([
      { version_id: String(ids[0]), percentage: 50 },
      { version_id: String(ids[1]), percentage: 50 },
    ]);
    expect(split.status, JSON.stringify(split.body)).toBe(200);
  });
});
