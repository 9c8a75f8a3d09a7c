// The policy pack the prod workflow runs: pulumi preview/up --policy-pack infra/policy --policy-pack-config <file>.
import { PolicyPack } from "@pulumi/policy";
import { platformPolicies } from "./policies.ts";

new PolicyPack("do-platform", { policies: platformPolicies });
