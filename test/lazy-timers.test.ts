import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";

// A script context's setTimeout, setInterval, clearTimeout, clearInterval and queueMicrotask
// are made on the first read of any of them (installTimers in runtime/kernel/vm/async.js):
// most scripts use none, and making five host functions per context cost ~5 % of a big
// start-up. Once read, they are what they always were: host functions of the script's own
// realm, plain data properties of its global.
describe("timer globals, made on first use", () => {
  const evaluateIn = (runtime: Awaited<ReturnType<typeof runtimeFor>>, file: string, code: string): unknown => {
    const value = runtime.evaluate(file, code);
    try {
      return value.toHost();
    } finally {
      value.dispose();
    }
  };
  const describeGlobal = `Object.fromEntries(["setTimeout", "setInterval", "clearTimeout", "clearInterval", "queueMicrotask"].map((name) => {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    return [name, d === undefined ? "none" : ("value" in d ? typeof d.value : "accessor") + (d.enumerable ? " e" : "") + (d.configurable ? " c" : "") + (d.writable ? " w" : "")];
  }))`;

  it("are not made for a script that never reads them, and are plain functions of its realm once read", async () => {
    const folder = await scriptsFolder({
      "quiet.ts": `export class Quiet {}\n`,
      "busy.ts": `export const fired: string[] = [];\nsetTimeout(() => fired.push("timeout"), 1);\nqueueMicrotask(() => fired.push("microtask"));\n`,
    });
    const runtime = await runtimeFor(folder);
    expect(evaluateIn(runtime, "quiet.ts", describeGlobal)).toEqual({
      setTimeout: "accessor e c", setInterval: "accessor e c", clearTimeout: "accessor e c", clearInterval: "accessor e c", queueMicrotask: "accessor e c",
    });
    const made = { setTimeout: "function e c w", setInterval: "function e c w", clearTimeout: "function e c w", clearInterval: "function e c w", queueMicrotask: "function e c w" };
    expect(evaluateIn(runtime, "busy.ts", describeGlobal)).toEqual(made);
    await waitFor(() => (evaluateIn(runtime, "busy.ts", "fired.length") as number) === 2);
    expect(evaluateIn(runtime, "busy.ts", "fired")).toEqual(["microtask", "timeout"]);

    // The first read makes all five, in the script's own realm, and each is a host function bound to its file.
    expect(evaluateIn(runtime, "quiet.ts", "[typeof clearInterval, setTimeout instanceof Function, Object.getPrototypeOf(setInterval) === Function.prototype, setTimeout.name]")).toEqual(["function", true, true, "setTimeout"]);
    expect(evaluateIn(runtime, "quiet.ts", describeGlobal)).toEqual(made);
    expect(evaluateIn(runtime, "quiet.ts", "setTimeout === setTimeout && setTimeout !== undefined")).toBe(true);
    const id = evaluateIn(runtime, "quiet.ts", `globalThis.ran = 0; setInterval(() => { globalThis.ran++; }, 1)`) as number;
    await waitFor(() => (evaluateIn(runtime, "quiet.ts", "globalThis.ran") as number) >= 2);
    // Cleared: a later timeout of the script sees no more runs of it.
    evaluateIn(runtime, "quiet.ts", `clearInterval(${id}); globalThis.atClear = globalThis.ran; setTimeout(() => { globalThis.later = globalThis.ran; }, 5)`);
    await waitFor(() => evaluateIn(runtime, "quiet.ts", "globalThis.later") !== undefined);
    expect(evaluateIn(runtime, "quiet.ts", "globalThis.later")).toBe(evaluateIn(runtime, "quiet.ts", "globalThis.atClear"));
  });

  it("a timer global a script sets or deletes before reading the others stays as it set it", async () => {
    const folder = await scriptsFolder({
      "own.ts": `globalThis.setInterval = () => "mine";\ndelete (globalThis as any).clearTimeout;\nexport const seen = [setInterval(), typeof clearTimeout, typeof setTimeout, Object.keys(globalThis).filter((key) => /Timeout|Interval|Microtask/.test(key))];\n`,
    });
    const runtime = await runtimeFor(folder);
    expect(evaluateIn(runtime, "own.ts", "seen")).toEqual(["mine", "undefined", "function", ["setTimeout", "setInterval", "clearInterval", "queueMicrotask"]]);
  });
});
