import { createApp } from "./app.ts";

// The bundle must export every class the manifest binds; the build checks this against the manifest.
export * from "./objects/index.ts";

export default createApp();
