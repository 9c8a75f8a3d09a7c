import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import { CloudflareApiError, success } from "./envelope.ts";
import { assetsUploadSession, jsonBody, parseBody } from "./shapes.ts";
import type { StandinState } from "./state.ts";
import type { CompletedAssetUploads } from "./uploads.ts";

/**
 * Static assets, as wrangler 4.164 uploads them (cli.js `syncAssets`): POST …/scripts/{name}/assets-upload-session
 * with the manifest answers `{ jwt, buckets }` (the hashes it lacks); each bucket is POSTed to
 * …/workers/assets/upload?base64=true (multipart, one base64 part per hash) with the session's JWT; the answer to
 * the last one carries the completion JWT that the script upload's `metadata.assets.jwt` names. Files are stored by
 * hash, so an unchanged file is never asked for twice.
 */

/** A JWT-shaped token: wrangler decodes its payload (`exp`, `wrangler_single_asset_uploads`). Never verified. */
function token(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 })}.standin`;
}

interface Session {
  readonly manifest: Record<string, { hash: string; size: number }>;
  readonly missing: Set<string>;
}

export function assetRoutes(app: Hono, state: StandinState, completed: CompletedAssetUploads) {
  const sessions = new Map<string, Session>();
  const complete = (session: Session) => {
    const jwt = token({ completion: randomUUID() });
    completed.set(jwt, session.manifest);
    return jwt;
  };
  app.post("/workers/assets/upload", async (c) => {
    const bearer = (c.req.header("authorization") ?? "").replace(/^Bearer\s+/i, "");
    const session = sessions.get(bearer);
    if (!session) throw new CloudflareApiError(403, 10000, "The assets upload token is unknown.");
    if (c.req.query("base64") !== "true")
      throw new CloudflareApiError(
        400,
        10021,
        "The stand-in models the base64 bulk upload only (?base64=true).",
      );
    const form = await c.req.raw.formData();
    for (const [hash, part] of form.entries()) {
      const text = typeof part === "string" ? part : await part.text();
      state.assetBlobs.set(hash, Buffer.from(text, "base64"));
      session.missing.delete(hash);
    }
    if (session.missing.size > 0) return c.json(success({}), 202);
    sessions.delete(bearer);
    return c.json(success({ jwt: complete(session) }), 201);
  });
  return async (request: Request): Promise<Response> => {
    const body = parseBody(
      assetsUploadSession,
      await jsonBody(request, "assets manifest"),
      "assets manifest",
    );
    const missing = new Set(
      Object.values(body.manifest)
        .map((entry) => entry.hash)
        .filter((hash) => !state.assetBlobs.has(hash)),
    );
    const session: Session = { manifest: body.manifest, missing };
    if (missing.size === 0) return Response.json(success({ jwt: complete(session), buckets: [] }));
    const jwt = token({ session: randomUUID() });
    sessions.set(jwt, session);
    return Response.json(success({ jwt, buckets: [[...missing]] }));
  };
}
