// `npm run urls`: every stack's URL and the build id it reports, read from the stacks' outputs (Pulumi
// Automation API) and from each URL's /health.
import { parseCli } from "./lib/cli.ts";

parseCli({
  name: "urls",
  usage:
    "usage: npm run urls\n  every stack's url, the build it deployed and the build its /health reports" +
    " (npm run status shows more)",
  options: {},
});

// Loaded after the arguments are read: the Pulumi Automation API takes most of a second to load.
const { listStacks, stackOutputs } = await import("./lib/pulumi-stacks.ts");
try {
  const stacks = await listStacks();
  if (stacks.length === 0)
    console.log("no stacks yet: `pulumi stack select staging --create`, then `pulumi up`.");
  for (const stack of stacks) {
    const outputs = await stackOutputs(stack);
    const url = typeof outputs.url === "string" ? outputs.url : undefined;
    let live = "not deployed";
    if (url) {
      live = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(10_000) })
        .then(
          async (r) =>
            `live build ${String(((await r.json()) as { buildId?: string }).buildId).slice(0, 12)}`,
        )
        .catch((e: Error) => `unreachable (${e.message})`);
    }
    const deployed = typeof outputs.buildId === "string" ? outputs.buildId.slice(0, 12) : "-";
    console.log(`${stack.padEnd(10)} ${(url ?? "-").padEnd(50)} deployed ${deployed}  ${live}`);
  }
} catch (error) {
  console.error(`urls: ${(error as Error).message}`);
  process.exitCode = 1;
}
