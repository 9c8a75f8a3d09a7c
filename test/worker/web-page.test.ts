import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

// The page, its script and its stylesheet are static assets of a build (worker/web/ minified into dist/assets/).
// The worker's sources run here without a build, so without assets; the files themselves are tested on the built
// bundle (test/artifact/web-page.http.test.ts) and in a browser (test/e2e/).
describe("the web page without a build", () => {
  it("answers 404 not_found in the error envelope, with the app's headers, naming the missing file", async () => {
    for (const [path, file] of [
      ["/", "index.html"],
      ["/app.js", "app.js"],
      ["/app.css", "app.css"],
    ] as const) {
      const res = await SELF.fetch(`https://platform.test${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await res.json()).toEqual({
        error: {
          code: "not_found",
          message: expect.stringContaining(`no static asset ${file}: it was not built by \`npm run build\``),
        },
      });
    }
  });
});
