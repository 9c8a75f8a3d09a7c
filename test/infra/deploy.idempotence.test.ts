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

// Declarative exports carry no tag and no precondition: the same declaration is sent whatever Cloudflare has, so
// the second `pulumi up` (the script now reporting its classes) registers exactly what the first did.
describe.each(["staging", "prod"])("pulumi up twice in a row on stack %s", (stack) => {
  it("sends the same resources the second time, with nothing left to create", async () => {
    const first = await deploy(stack);
    const second = await deploy(stack, { live: { classes } });
    expect(byName(second)).toEqual(byName(first));
    expect(second.invokes.map((i) => i.token)).toEqual([
      "cloudflare:index/getWorkersScripts:getWorkersScripts",
      "cloudflare:index/getWorkersDeployments:getWorkersDeployments",
    ]);
    const { classLifecycle: firstPlan, ...firstRest } = first.outputs;
    const { classLifecycle: secondPlan, ...secondRest } = second.outputs;
    expect(secondRest).toEqual(firstRest);
    expect(firstPlan).toMatchObject({ starting: "new-script", created: [...classes].sort() });
    expect(secondPlan).toMatchObject({ starting: "exports", created: [], deleted: [], renamed: [] });
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
