import type { TestProject } from "vitest/node";
import { buildWorker } from "../../scripts/lib/build.ts";

/** Builds dist/ once, exactly as `npm run build` does; the artifact tests run that bundle. */
export default async function setup(project: TestProject) {
  const build = await buildWorker();
  project.provide("bundlePath", build.bundlePath);
  project.provide("buildId", build.buildId);
}

declare module "vitest" {
  export interface ProvidedContext {
    bundlePath: string;
    buildId: string;
  }
}
