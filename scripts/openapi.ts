// `npm run openapi -- --out FILE`: writes the API's OpenAPI 3.1 document (the one the build embeds) for client
// generators; without --out it prints it.
import { writeFile } from "node:fs/promises";
import { buildOpenApiDocument } from "../infra/openapi.ts";
import { parseCli } from "./lib/cli.ts";

const { values } = parseCli({
  name: "openapi",
  usage:
    "usage: npm run openapi -- [--out FILE]\n" +
    "  --out FILE   write the OpenAPI 3.1 document to FILE (default: stdout; in a pipe use npm run -s openapi)",
  options: { out: { type: "string" } },
});
const text = `${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`;
if (values.out) {
  await writeFile(values.out, text);
  console.log(`wrote ${values.out}`);
} else {
  process.stdout.write(text);
}
