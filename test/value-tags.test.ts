import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ValuePeeker } from "../runtime/vm/value-tags.js";
import { loadQuickJS, Vm } from "../runtime/vm/vm.js";

describe("reading JSValues from VM memory", () => {
  it("decodes numbers, booleans, null and undefined exactly as QuickJS does", async () => {
    const vm = new Vm(await loadQuickJS(16 << 20), { memoryLimit: 16 << 20, timeout: 1000 });
    const context = vm.newContext();
    const peeker = new ValuePeeker(() => vm.emscriptenModule.HEAPU8);
    try {
      fc.assert(
        fc.property(fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constant(-0)), (value) => {
          const source = value === undefined ? "undefined" : Object.is(value, -0) ? "-0" : Number.isNaN(value) ? "NaN" : String(value);
          const handle = context.unwrapResult(context.evalCode(`(${source})`));
          const peeked = peeker.peek(handle);
          const expected = context.dump(handle) as unknown;
          handle.dispose();
          if (value === null) expect(peeked.kind).toBe("null");
          else if (value === undefined) expect(peeked.kind).toBe("undefined");
          else expect("value" in peeked && peeked.value).toBe(typeof value === "number" && Number.isNaN(value) ? NaN : expected);
        }),
        { numRuns: 500 },
      );
      const text = context.unwrapResult(context.evalCode(`"text"`));
      expect(peeker.peek(text).kind).toBe("string");
      text.dispose();
      const object = context.unwrapResult(context.evalCode(`({})`));
      expect(peeker.peek(object).kind).toBe("object");
      object.dispose();
    } finally {
      context.dispose();
      vm.dispose();
    }
  });
});
