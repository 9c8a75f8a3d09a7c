import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("the web page", () => {
  it("serves the page, its script and its stylesheet from the bundle with a strict policy", async () => {
    for (const [path, type] of [
      ["/", "text/html; charset=utf-8"],
      ["/app.js", "text/javascript; charset=utf-8"],
      ["/app.css", "text/css; charset=utf-8"],
    ] as const) {
      const res = await SELF.fetch(`https://platform.test${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'; script-src 'self'/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("etag")).toBe(`"${env.BUILD_ID}"`);
      expect((await res.text()).length).toBeGreaterThan(500);
    }
  });

  it("links its own script and stylesheet and has no inline code the policy would block", async () => {
    const html = await (await SELF.fetch("https://platform.test/")).text();
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/app.css">');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    // Every form control has a label.
    const ids = [...html.matchAll(/<input id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) expect(html, id).toContain(`<label for="${id}">`);
  });

  it("answers a revalidation with 304 while the build is the same", async () => {
    const res = await SELF.fetch("https://platform.test/app.js", {
      headers: { "If-None-Match": `"${env.BUILD_ID}"` },
    });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe("");
  });
});
