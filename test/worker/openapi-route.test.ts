import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { staticAssets } from "../../worker/manifest.ts";

// The document is a static asset of a build (dist/assets/openapi.json); the worker's sources run here without a
// build, hence without an assets binding.
describe("GET /openapi.json without a build", () => {
  it("has no assets binding here", () => {
    expect(staticAssets.binding in env).toBe(false);
  });

  it("answers 404 not_found in the error envelope, with the app's headers", async () => {
    const res = await SELF.fetch("https://platform.test/openapi.json");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.json()).toEqual({
      error: { code: "not_found", message: expect.stringContaining("npm run build") },
    });
  });
});
