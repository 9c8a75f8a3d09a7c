// A worker thread of `npm run dev` (scripts/lib/dev-build.ts): generates the static assets exactly as
// `npm run build` does, in a module graph of its own, so the routers' contracts are imported as they are now on disk.
import { parentPort } from "node:worker_threads";
import { generateAssets } from "../../infra/build.ts";

const assets = await generateAssets();
parentPort!.postMessage([...assets]);
