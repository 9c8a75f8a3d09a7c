import { describe, expect, it } from "vitest";
import {
  ADOPTED_OUTPUT,
  adoptionRefusal,
  planAdoption,
  type StateDeployment,
  workerImport,
} from "../../infra/adoption.ts";

// A state shaped like `pulumi stack export` (apitype.DeploymentV3) of a stack the first model deployed: the stack,
// the DurableWorker component, its WorkersScript and WorkersScriptSubdomain, and a custom domain that depends on
// the script.
const prefix = "urn:pulumi:staging::do-platform::";
const urns = {
  stack: `${prefix}pulumi:pulumi:Stack::do-platform-staging`,
  component: `${prefix}platform:cloudflare:DurableWorker::do-platform-staging`,
  script: `${prefix}platform:cloudflare:DurableWorker$cloudflare:index/workersScript:WorkersScript::do-platform-staging-script`,
  subdomain: `${prefix}platform:cloudflare:DurableWorker$cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain::do-platform-staging-workers-dev`,
  domain: `${prefix}platform:cloudflare:DurableWorker$cloudflare:index/workersCustomDomain:WorkersCustomDomain::do-platform-staging-domain`,
};
const legacyState: StateDeployment = {
  version: 3,
  deployment: {
    manifest: { time: "2026-10-01T00:00:00Z", magic: "x", version: "v3.276.0" },
    resources: [
      {
        urn: urns.stack,
        type: "pulumi:pulumi:Stack",
        outputs: { url: "https://x", buildId: "a".repeat(64) },
      },
      { urn: urns.component, type: "platform:cloudflare:DurableWorker", parent: urns.stack },
      {
        urn: urns.script,
        type: "cloudflare:index/workersScript:WorkersScript",
        parent: urns.component,
        id: "do-platform-staging",
      },
      {
        urn: urns.subdomain,
        type: "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain",
        parent: urns.component,
        dependencies: [urns.script],
        propertyDependencies: { scriptName: [urns.script] },
      },
      {
        urn: urns.domain,
        type: "cloudflare:index/workersCustomDomain:WorkersCustomDomain",
        parent: urns.component,
        dependencies: [urns.script],
        propertyDependencies: { service: [urns.script], zoneId: [] },
      },
    ],
  },
};

describe("npm run adopt: the state edit", () => {
  it("removes the WorkersScript and its subdomain from the state only, and every reference to them", () => {
    const plan = planAdoption(legacyState)!;
    expect(plan.removed).toEqual([urns.script, urns.subdomain]);
    expect(plan.componentUrn).toBe(urns.component);
    const resources = plan.state.deployment.resources!;
    expect(resources.map((r) => r.urn)).toEqual([urns.stack, urns.component, urns.domain]);
    expect(JSON.stringify(plan.state)).not.toContain("workersScript");
    expect(resources.find((r) => r.urn === urns.domain)).toMatchObject({
      dependencies: [],
      propertyDependencies: { service: [], zoneId: [] },
    });
    // The stack's outputs record the adoption, which the program's guard looks for.
    expect(resources[0]!.outputs).toMatchObject({ url: "https://x", [ADOPTED_OUTPUT]: true });
    // Everything else of the state is kept as it was.
    expect(plan.state.deployment.manifest).toEqual(legacyState.deployment.manifest);
  });

  it("imports the script under the component with the provider's import id <account_id>/<worker_name>", () => {
    expect(workerImport(urns.component, "0123", "do-platform-staging")).toEqual({
      resources: [
        {
          type: "cloudflare:index/worker:Worker",
          name: "do-platform-staging-worker",
          id: "0123/do-platform-staging",
          parent: "worker",
        },
      ],
      nameTable: { worker: urns.component },
    });
  });

  it("has nothing to do on a stack of the current model", () => {
    const current: StateDeployment = {
      version: 3,
      deployment: {
        resources: legacyState.deployment.resources!.filter((r) => !r.type.includes("workersScript")),
      },
    };
    expect(planAdoption(current)).toBeUndefined();
  });
});

describe("the program's guard", () => {
  it("refuses a deployed stack without the current model's outputs, unless adopted", () => {
    expect(adoptionRefusal("staging", { url: "x" }, true)).toMatch(/npm run adopt -- staging/);
    expect(adoptionRefusal("staging", { url: "x", [ADOPTED_OUTPUT]: true }, true)).toBeUndefined();
    expect(adoptionRefusal("staging", { url: "x", deployPath: "versioned" }, true)).toBeUndefined();
    expect(adoptionRefusal("staging", {}, true)).toBeUndefined();
    expect(adoptionRefusal("staging", { url: "x" }, false)).toBeUndefined();
  });
});
