// `npm run openapi -- --out FILE`: writes the API's OpenAPI 3.1 document (the one the build embeds) for client
// generators; without --out it prints it.
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { buildOpenApiDocument } from "../infra/openapi.ts";

const { values } = parseArgs({ options: { out: { type: "string" } } });
const text = `${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`;
if (values.out) {
  await writeFile(values.out, text);
  console.log(`wrote ${values.out}`);
} else {
  process.stdout.write(text);
}
