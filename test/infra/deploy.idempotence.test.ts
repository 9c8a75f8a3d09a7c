import { describe, expect, it } from "vitest";
import { COMPUTED, type MockRun } from "../../scripts/lib/pulumi-mocks.ts";
import { durableObjects } from "../../worker/manifest.ts";
import { deploy } from "./deploy-fixtures.ts";

const classes = Object.values(durableObjects).map((d) => d.className);
const byName = (run: MockRun) =>
  Object.fromEntries(
    run.resources.map((r) => [
      `${r.type}::${r.name}`,
      { inputs: r.inputs, secretInputs: r.secretInputs, protect: r.protect },
    ]),
  );

// Declarative exports carry no tag and no precondition: the same declaration is sent whatever Cloudflare has. The
// first `pulumi up` creates the classes (a non-versioned deploy); once the script reports them, every later
// `pulumi up` registers exactly the same resources, with nothing left to create.
describe.each(["staging", "prod"])("pulumi up again and again on stack %s", (stack) => {
  it("creates the classes once, then sends the same resources every time, with nothing left to create", async () => {
    const first = await deploy(stack, { live: undefined });
    expect(first.outputs).toMatchObject({
      deployPath: "non-versioned",
      classLifecycle: { starting: "new-script", created: [...classes].sort() },
    });
    const afterFirst = {
      classes,
      deployments: [[{ versionId: String(first.outputs.versionId), percentage: 100 }]],
    };
    const second = await deploy(stack, { live: afterFirst });
    const third = await deploy(stack, { live: afterFirst });
    expect(byName(third)).toEqual(byName(second));
    expect(third.outputs).toEqual(second.outputs);
    expect(second.invokes.map((i) => i.token)).toEqual([
      "cloudflare:index/getWorkersScripts:getWorkersScripts",
      "cloudflare:index/getWorkersDeployments:getWorkersDeployments",
      "cloudflare:index/getWorkerVersion:getWorkerVersion",
    ]);
    expect(second.outputs).toMatchObject({
      deployPath: "versioned",
      classLifecycle: { starting: "exports", created: [], deleted: [], renamed: [] },
    });
  });

  it("plans the same under `pulumi preview` as under `pulumi up`", async () => {
    const up = await deploy(stack, { live: { classes } });
    const preview = await deploy(stack, { live: { classes }, preview: true });
    expect(byName(preview)).toEqual(byName(up));
    // What Cloudflare reports only after the upload is, in a preview, not known yet.
    expect(preview.outputs.exportsReconciliation).toBe(COMPUTED);
    expect(preview.outputs.classLifecycle).toEqual(up.outputs.classLifecycle);
  });
});
