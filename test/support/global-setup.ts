import type { TestProject } from "vitest/node";
import { buildWorker } from "../../infra/build.ts";
import { GATE_BUILD_ID_ENV } from "../../scripts/lib/gate.ts";

/** Builds dist/ once, exactly as `npm run build` does; the artifact tests run that bundle. */
export default async function setup(project: TestProject) {
  const build = await buildWorker();
  // Under `npm run promote` the gate must test exactly the bundle being promoted.
  const expected = process.env[GATE_BUILD_ID_ENV];
  if (expected && expected !== build.buildId) {
    throw new Error(`The gate expects build ${expected} but this tree builds ${build.buildId}.`);
  }
  project.provide("bundlePath", build.bundlePath);
  project.provide("buildId", build.buildId);
}

declare module "vitest" {
  export interface ProvidedContext {
    bundlePath: string;
    buildId: string;
  }
}
