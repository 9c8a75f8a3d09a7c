import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { buildOpenApiDocument, openapiPath } from "../../infra/openapi.ts";
import { call, useBuiltPlatform } from "../support/platform.ts";

// The contract of issue 17: the document covers exactly the app's routes, is valid OpenAPI 3.1, and is what the
// built worker serves.

const documented = async () => {
  const doc = await buildOpenApiDocument();
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
};

describe("the OpenAPI document", () => {
  it("documents every route of the app, and no route the app does not have", async () => {
    // Imported by a computed path so that this (Node) project does not type-check the worker's sources.
    const appModule = "../../worker/app.ts";
    const { createApp } = (await import(appModule)) as {
      createApp(): { routes: { method: string; path: string }[] };
    };
    const routes = createApp()
      .routes.filter((route) => route.method !== "ALL") // middleware
      .map((route) => `${route.method} ${openapiPath(route.path)}`);
    expect(await documented()).toEqual([...new Set(routes)].sort());
  });

  it("is valid OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(await buildOpenApiDocument());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  describe("as the built worker serves it", () => {
    let base: URL;
    useBuiltPlatform((platform) => {
      base = platform.url;
    });

    it("is served at GET /openapi.json, exactly as generated", async () => {
      const res = await call(base, "/openapi.json");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.body).toEqual(await buildOpenApiDocument());
    });
  });
});
