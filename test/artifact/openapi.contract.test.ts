import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, describe, expect, it } from "vitest";
import { buildWorker, DEFAULT_OUT_DIR } from "../../infra/build.ts";
import { buildOpenApiDocument, openapiPath } from "../../infra/openapi.ts";
import { ChatClient } from "../../scripts/lib/chat-client.ts";
import { startLocalPlatform } from "../../scripts/lib/local-platform.ts";
import type { ServerFrame } from "../../worker/chat/protocol.ts";
import { call, uniqueName, useBuiltPlatform } from "../support/platform.ts";

// The API's contract: the document covers exactly the app's routes, is valid OpenAPI 3.1, and is what the
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
      // A static asset served through the app (the worker runs first): the app's headers, as on every answer.
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    });

    it("is reachable only at its route, not at the assets directory's path", async () => {
      const res = await fetch(new URL("/assets/openapi.json", base));
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    });

    it("describes the WebSocket frames the room really sends, and its member pages as they are", async () => {
      const doc = await buildOpenApiDocument();
      const upgrade = doc.paths["/api/rooms/{name}/ws"]?.get as { description?: string } | undefined;
      const text = String(upgrade?.description);
      // The server's frames only: the client's `{"type":"message","text"}` is spelled before them.
      const server = text.slice(text.indexOf("Server:"));
      /** The description's spelling of a server frame: `{"type":"<type>",...}`, up to its closing backtick. */
      const described = (type: string) => new RegExp(`\`\\{"type":"${type}"[^\`]*\``).exec(server)?.[0] ?? "";
      const room = uniqueName("doc-room");
      const clients: ChatClient[] = [];
      const join = async (user: string, ip: string) => {
        const client = await ChatClient.connect(base, room, user, { headers: { "cf-connecting-ip": ip } });
        clients.push(client);
        return client;
      };
      try {
        const alice = await join("alice", "10.9.0.1");
        const frames: ServerFrame[] = [await alice.nextOf("welcome")];
        await join("bob", "10.9.0.2");
        frames.push(await alice.nextOf("presence"));
        alice.sendMessage("hello");
        frames.push(await alice.nextOf("message"));
        alice.send({ type: "nonsense" });
        frames.push(await alice.nextOf("error"));
        for (const frame of frames) {
          const spelled = described(frame.type);
          expect(spelled, `the description has no ${frame.type} frame`).not.toBe("");
          for (const key of Object.keys(frame)) {
            expect(spelled, `the ${frame.type} frame's "${key}"`).toContain(`"${key}"`);
          }
        }
        // Checked against the document by call(), as every answer here is.
        const members = await call(base, `/api/rooms/${room}/members`);
        expect(members.body).toEqual({ room, count: 2, members: ["alice", "bob"], next: null });
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });
  });
});

describe("a build whose static assets have no document", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("answers GET /openapi.json with 404 not_found in the error envelope", async () => {
    // Inside the repository, as dist/ is: workerd names the bundle's module by its path from here, without "..".
    await mkdir(DEFAULT_OUT_DIR, { recursive: true });
    const dir = await mkdtemp(path.join(DEFAULT_OUT_DIR, ".no-document-"));
    dirs.push(dir);
    const build = await buildWorker({ outDir: dir, assets: new Map() });
    const platform = await startLocalPlatform({
      bundlePath: build.bundlePath,
      env: { environment: "test", buildId: build.buildId },
    });
    try {
      const res = await fetch(new URL("/openapi.json", platform.url));
      expect(res.status).toBe(404);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await res.json()).toEqual({
        error: { code: "not_found", message: expect.stringContaining("no static asset openapi.json") },
      });
    } finally {
      await platform.dispose();
    }
  });
});
