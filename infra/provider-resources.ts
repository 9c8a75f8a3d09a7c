/**
 * The four Cloudflare provider resources the program registers: Pulumi type token, Terraform resource type, and the
 * root struct of its internal/services/<resource>/model.go (scripts/provider-schema.ts reads the schema from there).
 */
export const PROVIDER_RESOURCES = {
  worker: { pulumi: "cloudflare:index/worker:Worker", terraform: "cloudflare_worker", model: "WorkerModel" },
  version: {
    pulumi: "cloudflare:index/workerVersion:WorkerVersion",
    terraform: "cloudflare_worker_version",
    model: "WorkerVersionModel",
  },
  deployment: {
    pulumi: "cloudflare:index/workersDeployment:WorkersDeployment",
    terraform: "cloudflare_workers_deployment",
    model: "WorkersDeploymentModel",
  },
  customDomain: {
    pulumi: "cloudflare:index/workersCustomDomain:WorkersCustomDomain",
    terraform: "cloudflare_workers_custom_domain",
    model: "WorkersCustomDomainModel",
  },
} as const;

export type ProviderResource = keyof typeof PROVIDER_RESOURCES;
export type TerraformResource = (typeof PROVIDER_RESOURCES)[ProviderResource]["terraform"];
