import { describe, expect, it } from "vitest";
import {
  ASSETS_UPLOAD_JWT,
  deploymentApiCall,
  terraformName,
  toTerraform,
  versionApiCall,
} from "../../infra/api-requests.ts";
import { outputOnly, parseRequestFields, parseResourceSchema } from "../../scripts/lib/provider-schema.ts";

// Shaped like the provider's generated internal/services/worker_version/schema.go, with the traps a naive reader
// falls into: braces and quotes inside descriptions, a Computed+Optional parent with a Computed-only child, a
// nested object inside a list, a map, and flags of a nested attribute that are not the parent's.
const SCHEMA_GO = `
package worker_version

func ResourceSchema(ctx context.Context) schema.Schema {
	return schema.Schema{
		Version: 500,
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Description:   "Version identifier.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseNonNullStateForUnknown()},
			},
			"account_id": schema.StringAttribute{
				Description: "Identifier with a } brace and a \\" quote.",
				Required:    true,
			},
			"modules": schema.SetNestedAttribute{
				Description: \`Code with a { brace in a raw string.\`,
				Optional:    true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"content_base64": schema.StringAttribute{
							Optional: true,
							Validators: []validator.String{
								stringvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("content_file")),
							},
						},
						"content_sha256": schema.StringAttribute{
							Description: "The SHA-256 hash of the module content.",
							Computed:    true,
						},
					},
				},
			},
			"annotations": schema.SingleNestedAttribute{
				Computed:   true,
				Optional:   true,
				CustomType: customfield.NewNestedObjectType[WorkerVersionAnnotationsModel](ctx),
				Attributes: map[string]schema.Attribute{
					"workers_message": schema.StringAttribute{
						Optional: true,
					},
					"workers_triggered_by": schema.StringAttribute{
						Computed: true,
					},
				},
			},
			"labels": schema.MapAttribute{
				Optional:    true,
				ElementType: types.StringType,
			},
		},
	}
}
`;

const MODEL_GO = `
type WorkerVersionModel struct {
	ID          types.String                                            \`tfsdk:"id" json:"id,computed"\`
	AccountID   types.String                                            \`tfsdk:"account_id" path:"account_id,required"\`
	Modules     *[]*WorkerVersionModulesModel                           \`tfsdk:"modules" json:"modules,optional"\`
	Annotations customfield.NestedObject[WorkerVersionAnnotationsModel] \`tfsdk:"annotations" json:"annotations,computed_optional"\`
}

type WorkerVersionModulesModel struct {
	ContentBase64 types.String \`tfsdk:"content_base64" json:"content_base64,optional"\`
	ContentSHA256 types.String \`tfsdk:"content_sha256" json:"-,computed"\`
}

type WorkerVersionAnnotationsModel struct {
	WorkersMessage types.String \`tfsdk:"workers_message" json:"workers/message,optional"\`
}
`;

describe("reading the provider's generated schema.go and model.go", () => {
  it("finds every attribute, nested ones included, with its mode", () => {
    expect(parseResourceSchema(SCHEMA_GO).map((a) => [a.path, a.mode])).toEqual([
      ["id", "computed"],
      ["account_id", "required"],
      ["modules", "optional"],
      ["modules.content_base64", "optional"],
      ["modules.content_sha256", "computed"],
      ["annotations", "computed_optional"],
      ["annotations.workers_message", "optional"],
      ["annotations.workers_triggered_by", "computed"],
      ["labels", "optional"],
    ]);
  });

  it("calls output-only exactly the attributes that are Computed without Optional or Required", () => {
    expect(outputOnly(parseResourceSchema(SCHEMA_GO))).toEqual([
      "id",
      "modules.content_sha256",
      "annotations.workers_triggered_by",
    ]);
  });

  it("records map attributes by their kind", () => {
    expect(parseResourceSchema(SCHEMA_GO).find((a) => a.path === "labels")?.kind).toBe("Map");
  });

  it("reads where the provider sends each attribute from model.go's tags", () => {
    expect(parseRequestFields(MODEL_GO, "WorkerVersionModel")).toEqual([
      { path: "id", sentAs: { body: "id" } },
      { path: "account_id", sentAs: { pathParameter: "account_id" } },
      { path: "modules", sentAs: { body: "modules" } },
      { path: "modules.content_base64", sentAs: { body: "content_base64" } },
      { path: "modules.content_sha256", sentAs: "not sent" },
      { path: "annotations", sentAs: { body: "annotations" } },
      { path: "annotations.workers_message", sentAs: { body: "workers/message" } },
    ]);
  });
});

describe("pulumi-terraform-bridge's name rule (PulumiToTerraformName without a schema match)", () => {
  it.each([
    ["accountId", "account_id"],
    ["contentSha256", "content_sha256"],
    ["contentBase64", "content_base64"],
    ["previewsEnabled", "previews_enabled"],
    ["workersMessage", "workers_message"],
    ["name", "name"],
  ])("%s -> %s", (pulumi, terraform) => {
    expect(terraformName(pulumi)).toBe(terraform);
  });
});

describe("a resource's inputs as Terraform attributes and as the request the provider sends", () => {
  it("keeps map keys (class names), names every set attribute with its path, and maps a pluralised list name back", () => {
    const { attributes, set } = toTerraform("cloudflare_worker_version", {
      workerId: "w",
      exports: { ChatRoom: { type: "durable-object", renamedTo: "Room" } },
      modules: [{ name: "index.js", contentSha256: "00" }],
      placement: { targets: [{ region: "aws:us-east-1" }] },
      mainModule: undefined,
    });
    expect(attributes).toEqual({
      worker_id: "w",
      exports: { ChatRoom: { type: "durable-object", renamed_to: "Room" } },
      modules: [{ name: "index.js", content_sha256: "00" }],
      placement: { target: [{ region: "aws:us-east-1" }] },
    });
    expect(set).toContainEqual({
      schemaPath: "modules.content_sha256",
      inputPath: "modules[0].contentSha256",
    });
    expect(set).toContainEqual({
      schemaPath: "exports.renamed_to",
      inputPath: 'exports["ChatRoom"].renamedTo',
    });
    expect(set).toContainEqual({
      schemaPath: "placement.target.region",
      inputPath: "placement.targets[0].region",
    });
  });

  it("sends annotations under their API names and the script name as the call's path argument", () => {
    const call = deploymentApiCall({
      accountId: "a",
      scriptName: "s",
      strategy: "percentage",
      versions: [{ versionId: "v", percentage: 100 }],
      annotations: { workersMessage: "m" },
    });
    expect(call).toEqual({
      method: "workers.scripts.deployments.create",
      args: [
        "s",
        {
          account_id: "a",
          strategy: "percentage",
          versions: [{ version_id: "v", percentage: 100 }],
          annotations: { "workers/message": "m" },
        },
      ],
    });
  });

  it("uploads assets.directory from the provider's working directory and sends the upload's jwt instead", () => {
    const { call, assetsDirectory } = versionApiCall(
      {
        accountId: "a",
        workerId: "w",
        assets: { directory: "dist/assets", config: { runWorkerFirst: true } },
      },
      "/project/infra",
    );
    expect(assetsDirectory).toBe("/project/infra/dist/assets");
    expect(call.args).toEqual([
      "w",
      { account_id: "a", assets: { jwt: ASSETS_UPLOAD_JWT, config: { run_worker_first: true } } },
    ]);
  });

  it("refuses an input the provider replaces with something this mapping does not model", () => {
    expect(() =>
      versionApiCall({ accountId: "a", workerId: "w", modules: [{ name: "m", contentFile: "m.js" }] }, "/"),
    ).toThrow("cloudflare_worker_version modules.content_file: the provider sends something else for it");
  });
});
