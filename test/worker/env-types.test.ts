import { describe, expect, it } from "vitest";
import type { ExportCheck } from "../../worker/env.ts";
import type * as Objects from "../../worker/objects/index.ts";

// The typecheck (npm run typecheck) is this test: a manifest class the worker does not export is a compile error
// that names the class, in worker/env.ts, before any build.
type Exported = typeof Objects;
type Live = keyof Exported;
type WithExtra = {
  readonly A: { readonly className: Live };
  readonly B: { readonly className: "NotAClass" };
};

describe("a bound class without an export", () => {
  it("is a type error naming the class", () => {
    const allExported: ExportCheck<{ readonly A: { readonly className: Live } }, Exported> = true;
    const named: ExportCheck<WithExtra, Exported> =
      "export NotAClass from worker/objects/index.ts: worker/manifest.ts binds it";
    // @ts-expect-error with a class missing, the check is that sentence, never `true`.
    const passes: ExportCheck<WithExtra, Exported> = true;
    expect([allExported, named, passes]).toHaveLength(3);
  });
});
