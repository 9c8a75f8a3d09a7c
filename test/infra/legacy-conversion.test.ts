import { describe, expect, it } from "vitest";
import { planClasses } from "../../infra/class-lifecycle.ts";
import { classesAtTag } from "../../infra/legacy-tags.ts";
import * as manifest from "../../worker/manifest.ts";
import { durableObjects, lastLegacyTag, legacyMigrations, tombstones } from "../../worker/manifest.ts";
import { deploy, lifecycleUploadOf, nonVersionedOf } from "./deploy-fixtures.ts";

const classes = Object.values(durableObjects)
  .map((d) => d.className)
  .sort();

// A script deployed with tagged migrations reports its tag; the move to `exports` happens in one upload from the
// last legacy tag, declaring every class the tags provisioned and sending no `migrations` (infra/legacy-tags.ts).
describe.each(["staging", "prod"])("stack %s moving from tagged migrations to exports", (stack) => {
  it("a new script: exports create every class", async () => {
    const run = await deploy(stack, { live: undefined });
    expect(lifecycleUploadOf(run)).not.toHaveProperty("migrations");
    expect(run.outputs.classLifecycle).toMatchObject({ starting: "new-script", created: classes });
  });

  it("a script at the last tag: converted in one upload, creating only classes added since", async () => {
    const provisioned = classesAtTag(legacyMigrations, lastLegacyTag());
    const run = await deploy(stack, { live: { migrationTag: lastLegacyTag() } });
    // Converting replaces the tagged history with exports: a lifecycle change, so one non-versioned deploy.
    const upload = nonVersionedOf(run).inputs.config as Record<string, unknown>;
    expect(upload).not.toHaveProperty("migrations");
    expect(Object.keys(upload.exports as object).sort()).toEqual(
      [...classes, ...Object.keys(tombstones)].sort(),
    );
    // Planned against what the tags provisioned: classes added since are created, tombstones of tagged classes
    // applied now (the plan itself is tested in class-lifecycle.test.ts).
    expect(run.outputs.classLifecycle).toEqual({
      starting: "convert-from-tags",
      ...planClasses(manifest, provisioned),
    });
  });

  it("a converted script keeps its tag and reports its classes: a plain exports deploy", async () => {
    const run = await deploy(stack, { live: { migrationTag: lastLegacyTag(), classes } });
    expect(run.outputs.classLifecycle).toMatchObject({ starting: "exports", created: [] });
  });

  it("a script at an unknown tag: refused before anything is sent", async () => {
    await expect(deploy(stack, { live: { migrationTag: "v99" } })).rejects.toThrow(
      /reports migration tag "v99", which the legacy history in worker\/manifest.ts does not contain/,
    );
  });

  it("a script at an earlier legacy tag: refused, saying to finish the legacy history first", async () => {
    const earlier = legacyMigrations[0].tag;
    await expect(deploy(stack, { live: { migrationTag: earlier } })).rejects.toThrow(
      new RegExp(`at legacy migration tag "${earlier}", before the last legacy tag "${lastLegacyTag()}"`),
    );
  });
});
