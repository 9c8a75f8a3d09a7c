import { describe, expect, it } from "vitest";
import type { MockRun } from "../../scripts/lib/pulumi-mocks.ts";
import { latestMigrationTag } from "../../worker/manifest.ts";
import { deploy, scriptOf } from "./deploy-fixtures.ts";

/** Every resource's inputs except the script's `migrations`, keyed by resource name. */
const withoutMigrations = (run: MockRun) =>
  Object.fromEntries(
    run.resources.map((r) => {
      const { migrations: _migrations, ...rest } = r.inputs;
      return [`${r.type}::${r.name}`, { inputs: rest, secretInputs: r.secretInputs, protect: r.protect }];
    }),
  );

// pulumi/pulumi-cloudflare#1215: the provider re-sends its `migrations` input on every update, so a program that
// always passes the full history fails its second deploy with "migration tag precondition failed".
describe.each(["staging", "prod"])("pulumi up twice in a row on stack %s", (stack) => {
  it("sends the migrations once; the second run, seeing them live, sends none and changes nothing else", async () => {
    const first = await deploy(stack);
    const sent = scriptOf(first).inputs.migrations as { newTag: string };
    expect(sent.newTag).toBe(latestMigrationTag());

    // After the first `pulumi up`, Cloudflare reports the tag it applied; the second run reads it.
    const second = await deploy(stack, { liveTag: sent.newTag });
    expect(scriptOf(second).inputs).not.toHaveProperty("migrations");
    expect(second.invokes).toEqual([
      {
        token: "cloudflare:index/getWorkersScripts:getWorkersScripts",
        args: { accountId: expect.any(String) },
      },
    ]);
    expect(withoutMigrations(second)).toEqual(withoutMigrations(first));
    expect(second.outputs).toEqual(first.outputs);
  });

  it("plans the same under `pulumi preview` as under `pulumi up`", async () => {
    const up = await deploy(stack, { liveTag: latestMigrationTag() });
    const preview = await deploy(stack, { liveTag: latestMigrationTag(), preview: true });
    expect(withoutMigrations(preview)).toEqual(withoutMigrations(up));
    expect(scriptOf(preview).inputs).not.toHaveProperty("migrations");
  });
});
