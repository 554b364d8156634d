import { describe, expect, it } from "vitest";
import { GraftError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** Issue 24, row 14: every misuse is a GraftError, never a raw quickjs-emscripten error or a wrong answer. */
describe("values of two runtimes", () => {
  it("isSame, instanceOf and every API taking a ScriptValue refuse another runtime's value with a GraftError", async () => {
    const source = "export class A { x = 1; f(o: unknown) { return o; } }\nexport const list: unknown[] = [];";
    const one = await runtimeFor(await scriptsFolder({ "a.ts": source }));
    const two = await runtimeFor(await scriptsFolder({ "a.ts": source }));
    const A1 = one.getClass("a.ts", "A");
    const A2 = two.getClass("a.ts", "A");
    const a1 = A1.new();
    const a2 = A2.new();
    const misuses: Record<string, () => unknown> = {
      isSame: () => a1.isSame(a2),
      instanceOf: () => a1.instanceOf(A2),
      callArgument: () => a1.call("f", a2),
      set: () => a1.set("y", a2),
      newArgument: () => A1.new(a2),
      findInstances: () => one.findInstances(A2),
      retainers: () => one.retainers(a2),
      findSubclasses: () => one.findSubclasses(A2),
      isSameNotAValue: () => a1.isSame({} as never),
      instanceOfNull: () => a1.instanceOf(null as never),
    };
    for (const [name, misuse] of Object.entries(misuses)) {
      expect(misuse, name).toThrow(GraftError);
    }
    expect(() => a1.isSame(a2)).toThrow(/belongs to another graft runtime/);
    // Within one runtime both still answer.
    expect(a1.instanceOf(A1)).toBe(true);
    expect(a1.isSame(a1)).toBe(true);
  });
});
