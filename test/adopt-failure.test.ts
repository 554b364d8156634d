import type { QuickJSContext } from "quickjs-emscripten-core";
import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * A value the host is handed is adopted by the bridge, which asks the kernel what it is
 * (a class?). When that kernel call fails, the value's handle must go with the error: one
 * left behind made disposing the runtime abort the VM (QuickJS's final
 * list_empty(&rt->gc_obj_list) check), against rule V3.
 */
describe("adopting a value whose kernel call fails", () => {
  it("releases its handle: the call throws, and dispose() stays clean", async () => {
    // The kernel is made to fail: its realm's global undefined is replaced (this QuickJS build
    // lets Object.defineProperty do it on a frozen global). Scripts cannot run code in that
    // realm (test/hostile-scripts.test.ts), so the host does it.
    const folder = await scriptsFolder({ "a.ts": `export function f(): number { return 1; }\nexport const g = 2;\n` });
    const runtime = await runtimeFor(folder);
    const kernelContext = (runtime as unknown as { kernelContext: QuickJSContext }).kernelContext;
    kernelContext.unwrapResult(kernelContext.evalCode(`Object.defineProperty(globalThis, "undefined", { value: { not: "undefined" } })`)).dispose();
    let failures = 0;
    for (let i = 0; i < 3; i++) {
      try {
        for (const value of Object.values(runtime.exports("a.ts"))) value.dispose();
      } catch {
        failures++; // the kernel cannot answer any more: the host is told, nothing is kept
      }
    }
    expect(failures).toBe(3);
    expect(() => runtime.dispose()).not.toThrow();
  });
});
