import fc from "fast-check";
import type { OpenApiDocument } from "../../infra/openapi.ts";

/**
 * fast-check arbitraries generated from the OpenAPI document (the API's contract): values a schema accepts, and mutations of
 * them a client could send by mistake or on purpose.
 */

type Schema = Record<string, any>;

/** Values that match `schema` (the subset of JSON Schema 2020-12 the document uses). */
export function valid(doc: OpenApiDocument, schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const target = String(schema.$ref)
      .replace(/^#\//, "")
      .split("/")
      .reduce((node: any, key) => node?.[key], doc);
    // Recursive schemas (a webhook's JSON body): stop descending after a few levels.
    return depth > 3 ? fc.constant(null) : valid(doc, target, depth + 1);
  }
  if ("const" in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s: Schema) => valid(doc, s, depth + 1)));
  const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length > 1) return fc.oneof(...types.map((type) => valid(doc, { ...schema, type }, depth)));
  switch (types[0]) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return fc.integer({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9 });
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "string":
      if (schema.format === "date-time") return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.format === "uri") return fc.constant("http://127.0.0.1:9/hook");
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc.string({ maxLength: Math.min(schema.maxLength ?? 40, 40), minLength: 1 });
    case "array":
      return fc.array(valid(doc, schema.items ?? {}, depth + 1), { maxLength: 3 });
    case "object": {
      const properties: Record<string, Schema> = schema.properties ?? {};
      const required = new Set<string>(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, sub] of Object.entries(properties)) record[key] = valid(doc, sub, depth + 1);
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A value nested `depth` levels deep in arrays or objects (JSON parsers and validators that recurse choke). */
const deep = (depth: number, inObject: boolean) => {
  const open = inObject ? '{"a":'.repeat(depth) : "[".repeat(depth);
  const close = inObject ? "}".repeat(depth) : "]".repeat(depth);
  return `${open}1${close}`;
};

/** Mutations of a JSON body: raw text, as it goes on the wire. */
export function mutatedBody(doc: OpenApiDocument, schema: Schema): fc.Arbitrary<string> {
  const good = valid(doc, schema);
  const json = (v: unknown) => JSON.stringify(v) ?? "null";
  return fc.oneof(
    good.map(json),
    // wrong type for the whole body, or for one field
    fc.jsonValue().map(json),
    fc.tuple(good, fc.jsonValue(), fc.nat()).map(([v, other, i]) => {
      if (!v || typeof v !== "object") return json(other);
      const keys = Object.keys(v);
      return keys.length ? json({ ...v, [keys[i % keys.length]!]: other }) : json(other);
    }),
    // missing and extra fields
    fc.tuple(good, fc.nat()).map(([v, i]) => {
      if (!v || typeof v !== "object") return json(v);
      const keys = Object.keys(v);
      const copy: Record<string, unknown> = { ...v };
      if (keys.length) delete copy[keys[i % keys.length]!];
      return json(copy);
    }),
    fc
      .tuple(good, fc.string(), fc.jsonValue())
      .map(([v, k, x]) => json({ ...(v as object), [k || "extra"]: x })),
    // huge and deeply nested values
    fc.integer({ min: 1, max: 200_000 }).map((n) => json({ text: "x".repeat(n) })),
    fc.integer({ min: 10, max: 100_000 }).chain((n) => fc.boolean().map((o) => deep(n, o))),
    fc.constantFrom("", " ", "{", "nul", '{"a":1}{', "\u0000", "[1,]", '{"__proto__":{"x":1}}', "1e999"),
    // odd encodings: a byte-order mark, lone surrogates, text that is not JSON at all
    good.map((v) => `\uFEFF${json(v)}`),
    fc.string({ unit: "binary" }).map((s) => json({ text: s })),
    fc.string({ unit: "binary", maxLength: 200 }),
  );
}

/** Path segments: valid names and ids, and the odd ones (encoded slashes, dots, unicode, very long). */
export function segment(doc: OpenApiDocument, schema: Schema | undefined): fc.Arbitrary<string> {
  const good = schema ? valid(doc, schema).map(String) : fc.constant("x");
  return fc.oneof(
    { weight: 4, arbitrary: good.map(encodeURIComponent) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.string({ unit: "binary", maxLength: 80 }).map(encodeURIComponent),
        fc.constantFrom("%2F", "..", "%2e%2e", "%00", "%", "%E0%A4%A", "a".repeat(5000), " ", "%20", "x%2Fy"),
        fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 }),
      ),
    },
  );
}
