import path from "node:path";
import { describe, expect, it } from "vitest";
import { assetsDirectoryOf, BUNDLE_FILE, buildWorker, DEFAULT_OUT_DIR } from "../../infra/build.ts";
import { liveClasses } from "../../infra/class-lifecycle.ts";
import { environmentForStack, localStackSettings } from "../../infra/stack-environment.ts";
import { miniflareAssetBindings, miniflareWorkerOptions } from "../../scripts/lib/miniflare-options.ts";
import { programDirectory } from "../../scripts/lib/pulumi-mocks.ts";
import { type SynthResult, synthesize } from "../../scripts/lib/synth.ts";
import * as manifest from "../../worker/manifest.ts";
import { staticAssets } from "../../worker/manifest.ts";
import { TYPES } from "./deploy-fixtures.ts";

type Binding = { type: string; name: string; text?: string; className?: string };
type Exports = Record<string, { type: string; storage?: string }>;

const scriptInputs = (synth: SynthResult) => {
  const script = synth.resources.find((r) => r.type === TYPES.version);
  if (!script) throw new Error("the synth has no WorkerVersion");
  return script.inputs as {
    bindings: Binding[];
    compatibilityDate: string;
    compatibilityFlags: string[];
    assets: { directory: string; config: Record<string, unknown> };
  };
};

// What `npm run synth -- <stack>` says the stack deploys must be what `npm run dev -- --env <stack>` runs:
// the same Durable Objects (and storage), the same variables, the same secret names, the same runtime settings.
describe.each(["staging", "prod"])("stack %s: synth and `npm run dev -- --env %s` agree", (stack) => {
  it("on bindings, rate limiters, variables, secrets, compatibility and declared storage", async () => {
    // The routine deploy (the classes already provisioned), which uploads a WorkerVersion.
    const synth = await synthesize({ stack, live: { classes: [...liveClasses(manifest).keys()] } });
    const settings = localStackSettings(stack);
    if (!settings.ok) throw new Error(settings.problems.join("\n"));
    const local = miniflareWorkerOptions(
      environmentForStack(settings.settings, synth.outputs.buildId as string, { ADMIN_TOKEN: "local-token" }),
    );
    const script = scriptInputs(synth);
    const exports = synth.classes.exports as Exports;
    const sqlite = new Set(Object.keys(exports).filter((c) => exports[c]?.storage === "sqlite"));

    const deployedObjects = Object.fromEntries(
      script.bindings
        .filter((b) => b.type === "durable_object_namespace")
        .map((b) => [b.name, { className: b.className, useSQLite: sqlite.has(b.className ?? "") }]),
    );
    expect(deployedObjects).toEqual(local.durableObjects);

    const deployedVars = Object.fromEntries(
      script.bindings.filter((b) => b.type === "plain_text").map((b) => [b.name, b.text]),
    );
    const deployedSecrets = script.bindings.filter((b) => b.type === "secret_text").map((b) => b.name);
    const { ADMIN_TOKEN: localSecret, ...localVars } = local.bindings;
    expect(deployedVars).toEqual(localVars);
    expect(deployedSecrets).toEqual(["ADMIN_TOKEN"]);
    expect(localSecret).toBe("local-token");

    // The same rate limiters (the local limit is more generous unless the stack's is given).
    const deployedLimiters = script.bindings.filter((b) => b.type === "ratelimit").map((b) => b.name);
    expect(deployedLimiters).toEqual(local.unsafeBindings.map((b) => b.name));

    // The same static assets: the build's directory behind the same binding. Deployed, the worker runs first for
    // every request with no HTML handling or fallback, so every request reaches the worker, as it does locally
    // (where the binding is a read-only disk service: scripts/lib/miniflare-options.ts says why).
    const localDirectory = assetsDirectoryOf(path.join(DEFAULT_OUT_DIR, BUNDLE_FILE));
    // The provider resolves the directory from its working directory, the program's (infra/).
    expect(path.resolve(programDirectory(), script.assets.directory)).toBe(localDirectory);
    expect(script.bindings.filter((b) => b.type === "assets").map((b) => b.name)).toEqual([
      staticAssets.binding,
    ]);
    expect(miniflareAssetBindings(localDirectory)).toEqual({
      [staticAssets.binding]: { disk: { path: localDirectory, writable: false } },
    });
    expect(script.assets.config).toEqual({
      runWorkerFirst: true,
      htmlHandling: "none",
      notFoundHandling: "none",
    });

    expect(script.compatibilityDate).toBe(local.compatibilityDate);
    expect(script.compatibilityFlags).toEqual(local.compatibilityFlags);
  });
});

// Local runs leave Miniflare's Cache API service out (it made every workerd start slower), which is only the same
// as Cloudflare while the worker never touches the Cache API. The bundle is what runs, dependencies included.
describe("the Cache API, left out of local runs", () => {
  it("is used nowhere in the built bundle", async () => {
    const build = await buildWorker();
    expect(miniflareWorkerOptions({ environment: "test", buildId: build.buildId }).cacheAPI).toBe(false);
    const uses = build.content.match(/\bcaches\b[^;]{0,40}/g) ?? [];
    expect(
      uses,
      "the worker now uses the Cache API: set cacheAPI back to true in scripts/lib/miniflare-options.ts",
    ).toEqual([]);
  });
});
