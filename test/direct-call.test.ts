import { describe, expect, it } from "vitest";
import { ScriptError, type GraftRuntime, type ScriptValue } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

// A host call passes its arguments to QuickJS in one buffer the VM keeps (runtime/vm/direct-call.ts):
// what a call sees must not depend on calls made meanwhile, on memory growing, or on how many arguments there are.
describe("a host call's arguments and result", () => {
  async function setup(): Promise<{ runtime: GraftRuntime; calc: ScriptValue }> {
    let runtime: GraftRuntime | undefined;
    const folder = await scriptsFolder({
      "calc.ts": `import { again } from "host";
export class Calc {
  sum(...values: number[]) { return values.reduce((total, value) => total + value, 0); }
  // Calls back into the host, which calls sum with other arguments, then reads its own.
  nested(a: number, b: number, c: number) { const inner = again(a); return [a, b, c, inner]; }
  grow(a: number, b: number) { const big: number[][] = []; for (let i = 0; i < 200; i++) big.push(new Array(20000).fill(i)); return a * 1000 + b + big.length; }
  fail(message: string) { throw new RangeError(message); }
  growAndFail() { const big: number[][] = []; for (let i = 0; i < 200; i++) big.push(new Array(20000).fill(i)); throw new TypeError("grew " + big.length); }
}
`,
    });
    runtime = await runtimeFor(folder, {
      host: {
        again: (value: unknown) => calcOf(runtime!).call("sum", 100, 200, 300, 400, 500, 600, Number(value)).toHost(),
      },
    });
    return { runtime, calc: calcOf(runtime) };
  }
  let shared: ScriptValue | undefined;
  function calcOf(runtime: GraftRuntime): ScriptValue {
    shared ??= runtime.getClass("calc.ts", "Calc").new();
    return shared;
  }

  it("a call made from inside a call (a host function calling back) leaves the outer call's arguments as they were", async () => {
    shared = undefined;
    const { calc } = await setup();
    expect(calc.call("nested", 1, 2, 3).toHost()).toEqual([1, 2, 3, 2101]);
  });

  it("more arguments than the buffer holds, and none, give the same sums", async () => {
    shared = undefined;
    const { calc } = await setup();
    const many = Array.from({ length: 40 }, (_, index) => index + 1);
    expect(calc.call("sum", ...many).toHost()).toBe(820);
    expect(calc.call("sum", ...many.slice(0, 16)).toHost()).toBe(136);
    expect(calc.call("sum").toHost()).toBe(0);
    expect(calc.get("sum").invoke(5, 6, 7).toHost()).toBe(18);
  });

  it("a call during which the VM's memory grows reads its result, or its exception, from the grown memory", async () => {
    shared = undefined;
    const first = await setup();
    const memory = (runtime: GraftRuntime): ArrayBufferLike => runtime.vm.emscriptenModule.HEAPU8.buffer;
    let before = memory(first.runtime);
    expect(first.calc.call("grow", 7, 8).toHost()).toBe(7208);
    // (booleans: a failed comparison of two buffers would print both, hundreds of MB)
    expect(memory(first.runtime) !== before).toBe(true);
    shared = undefined;
    const second = await setup();
    before = memory(second.runtime);
    expect(() => second.calc.call("growAndFail")).toThrow(/TypeError: grew 200/);
    expect(memory(second.runtime) !== before).toBe(true);
  });

  it("an exception is the script's own, and the next call works", async () => {
    shared = undefined;
    const { calc } = await setup();
    let thrown: unknown;
    try {
      calc.call("fail", "too far");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ScriptError);
    expect((thrown as ScriptError).message).toContain("RangeError: too far");
    expect(calc.call("sum", 1, 2).toHost()).toBe(3);
  });
});
