import type { Context } from "hono";
import { staticAssets } from "../manifest.ts";
import type { AppEnv } from "./app-env.ts";
import { ApiError } from "./errors.ts";

/** A file the build writes beside the bundle (worker/manifest.ts `staticAssets.files`). */
export type StaticAssetFile = (typeof staticAssets.files)[keyof typeof staticAssets.files];

/**
 * One file of this version's static assets, read through the assets binding: a plain GET of its path, without the
 * client's headers, so there is no conditional or range answer to pass on; the route sets its own headers.
 * A worker run without the build (the in-runtime test pool) has no binding and no files: 404 `not_found`, like any
 * unknown path, naming what is missing.
 */
export async function fetchStaticAsset(c: Context<AppEnv>, file: StaticAssetFile): Promise<Response> {
  const assets = c.env[staticAssets.binding];
  const asset = assets ? await assets.fetch(new URL(`/${file}`, c.req.url)) : undefined;
  if (!asset?.ok) {
    await asset?.body?.cancel();
    throw new ApiError(
      404,
      "not_found",
      `This version has no static asset ${file}: it was not built by \`npm run build\`, or uploaded without its assets.`,
    );
  }
  return asset;
}
