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
    // The kernel is made to fail the way a hostile script can (it replaces the kernel realm's
    // global undefined, which this QuickJS build lets Object.defineProperty do on a frozen global).
    const folder = await scriptsFolder({
      "a.ts": `import { hostFn } from "host";
export function poison(): void { Object.defineProperty((hostFn as any).constructor("return this")(), "undefined", { value: { not: "undefined" } }); }
export function f(): number { return 1; }
`,
    });
    const runtime = await runtimeFor(folder, { host: { hostFn: () => 1 } });
    const exported = runtime.exports("a.ts");
    exported.poison!.invoke().dispose();
    for (const value of Object.values(exported)) value.dispose();
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
