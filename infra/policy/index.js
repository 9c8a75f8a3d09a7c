// The entry the Pulumi CLI loads for `--policy-pack infra/policy`. Its policy-pack runner
// (@pulumi/pulumi/cmd/run-policy-pack) require()s this directory's `main` after registering ts-node with the
// TypeScript it can resolve (its vendored 3.8, which cannot compile this code base's `.ts` import paths), and it
// does not apply PulumiPolicy.yaml's `nodeargs`. So the entry is plain JavaScript: Node 24 loads it as ES module
// through require(), and strips the types of the `.ts` modules it imports, as it does for every script here.
import { PolicyPack } from "@pulumi/policy";
import { platformPolicies } from "./policies.ts";

new PolicyPack("do-platform", { policies: platformPolicies });
