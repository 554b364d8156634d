import { afterEach, describe, expect, it, vi } from "vitest";
import { GraftError, type GraftRuntime } from "../host-api/index.js";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";

/**
 * Issue 8: everything graft reads from or builds in the VM for the host runs under the time
 * budget and runs no script code it does not have to: a looping toJSON, getter or setter a
 * script planted cannot hang the host, and a host function that disposes the runtime in the
 * middle of a call cannot make graft abort the VM when it is freed.
 */

afterEach(() => {
  vi.restoreAllMocks();
});

describe("no script code hangs a host read or write", () => {
  it("leaks() of a superseded class version whose class has a looping static toJSON getter", async () => {
    const foo = (version: number): string =>
      `import { keep } from "./keep.ts";\nexport class Foo { static get toJSON(): unknown { for (;;) {} } m(): string { return super.toString() + ${version}; } }\nkeep.push(Foo.prototype.m);`;
    const folder = await scriptsFolder({ "keep.ts": "export const keep: unknown[] = [];", "foo.ts": foo(1) });
    const runtime = await runtimeFor(folder, { timeout: 300 });
    await folder.write("foo.ts", foo(2));
    expect((await runtime.reload(["foo.ts"])).ok).toBe(true);
    // v1's method (held in keep) holds v1's prototype, and so v1: reading the superseded
    // version's record used to JSON.stringify it, which read Foo v1's toJSON getter forever.
    const leaks = runtime.leaks();
    expect(leaks.map((leak) => `${leak.name} v${leak.version} ${leak.retired ? "retired" : "superseded"}`)).toEqual(["Foo v1 superseded"]);
  });

  it("host values built in a realm whose Object.prototype and Array.prototype have looping setters", async () => {
    const folder = await scriptsFolder({
      "trap.ts": [
        "Object.defineProperty(Object.prototype, 'x', { set(_v: unknown) { for (;;) {} }, configurable: true });",
        "Object.defineProperty(Array.prototype, '0', { set(_v: unknown) { for (;;) {} }, configurable: true });",
        "export function f(_o: unknown): number { return 1; }",
        "export const holder = { n: 1 };",
        "export async function later(get: () => Promise<unknown>): Promise<unknown> { return await get(); }",
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder, { timeout: 200 });
    const { f, holder, later } = runtime.exports("trap.ts");
    const setterTimeout = /^cannot pass .* to a script: building it in the script's realm ran setters .* longer than the timeout of 200 ms$/;
    expect(() => f!.invoke({ x: 1 })).toThrow(setterTimeout);
    expect(() => f!.invoke([1, 2])).toThrow(setterTimeout);
    expect(() => f!.call("call", null, { x: 1 })).toThrow(setterTimeout);
    expect(() => holder!.set("y", { x: 1 })).toThrow(setterTimeout);
    expect(() => f!.invoke({ x: 1 })).toThrow(GraftError);
    // An async host function's result is built in the caller's realm too: the script's await rejects.
    await expect(later!.invoke(async () => ({ x: 1 })).promise()).rejects.toThrow(/building it in the script's realm ran setters/);
    // Values the setters do not touch still cross, and the runtime keeps serving.
    expect(f!.invoke({ y: 1 }).toHost()).toBe(1);
    expect(holder!.read("n")).toBe(1);
  });
});

describe("big host values are not cut short by the time budget", () => {
  it("an argument that takes longer than the timeout to build (no script code runs) arrives whole", async () => {
    const folder = await scriptsFolder({ "sum.ts": "export function sum(values: string[]): number { let total = 0; for (const v of values) total += v.length; return total; }\nexport const size = (text: string): number => text.length;" });
    // Building 900,000 strings takes far longer than 20 ms, and the VM's memory grows meanwhile.
    const runtime = await runtimeFor(folder, { timeout: 20 });
    const { sum, size } = runtime.exports("sum.ts");
    const values = Array.from({ length: 900_000 }, (_, i) => `v${i % 10}`);
    let result: unknown;
    try {
      result = sum!.invoke(values).toHost();
    } catch (error) {
      // Summing may itself run past 20 ms on a loaded machine: then it is the script's timeout, never a failed copy.
      expect((error as Error).message).toMatch(/^timed out: the script ran longer than 20 ms/);
      result = "timed out";
    }
    if (result !== "timed out") expect(result).toBe(1_800_000);
    expect(size!.invoke("x".repeat(50_000_000)).toHost()).toBe(50_000_000);
  });

  it("a string the host copies in, slower than the outside stop's deadline, is not stopped: making a string runs no script code", async () => {
    const folder = await scriptsFolder({ "s.ts": "export const size = (text: string): number => text.length;" });
    // At a 1 ms timeout, the outside stop would end any call into the VM after ~50 ms; copying 60 MB in takes longer.
    const runtime = await runtimeFor(folder, { timeout: 1 });
    expect(runtime.exports("s.ts").size!.invoke("x".repeat(60_000_000)).toHost()).toBe(60_000_000);
    expect(runtime.vm.crashed).toBeUndefined();
  });
});

describe("a host function that disposes the runtime in the middle of a call", () => {
  const SCRIPT = [
    'import { bye } from "host";',
    "export function throwsAfter(): void { bye(); throw new Error('after dispose'); }",
    "export function returnsAfter(): unknown { bye(); return { a: 1 }; }",
    "export function loopsAfter(): void { bye(); for (;;) {} }",
    "export function rejectsAfter(): Promise<void> { return (async () => { bye(); throw new Error('x'); })(); }",
    "export function throwsHostile(): void { bye(); throw { toJSON() { for (;;) {} }, get message(): string { for (;;) {} } }; }",
    "export function timerThrowsAfter(): void { setTimeout(() => { bye(); throw new Error('timer after'); }, 1); }",
    "export function timerQueuesAfter(): void { setTimeout(() => { bye(); Promise.resolve().then(() => { throw new Error('job'); }); }, 1); }",
  ].join("\n");

  for (const name of ["throwsAfter", "returnsAfter", "loopsAfter", "rejectsAfter", "throwsHostile", "timerThrowsAfter", "timerQueuesAfter"]) {
    it(`${name}: the host gets a GraftError (or nothing, for a timer), and freeing the VM is clean`, async () => {
      const stderr = vi.spyOn(console, "error");
      const folder = await scriptsFolder({ "a.ts": SCRIPT });
      let runtime: GraftRuntime | undefined;
      runtime = await runtimeFor(folder, { timeout: 200, host: { bye: () => runtime!.dispose() } });
      const errors: unknown[] = [];
      runtime.on("error", (error) => errors.push(error));
      const fn = runtime.exports("a.ts")[name]!;
      if (name.startsWith("timer")) {
        fn.invoke().dispose();
        await waitFor(() => !runtime!.alive, 5000, "the timer to dispose the runtime");
      } else if (name === "returnsAfter" || name === "rejectsAfter") {
        // The script code on the stack finishes and the call returns its value, released with the VM.
        const value = fn.invoke();
        if (name === "rejectsAfter") await expect(value.promise()).rejects.toThrow(/disposed/);
        else expect(() => value.toHost()).toThrow(/disposed/);
      } else {
        let caught: unknown;
        try {
          fn.invoke();
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(GraftError);
        expect((caught as Error).message).toMatch(
          name === "loopsAfter" || name === "throwsAfter" || name === "throwsHostile" ? /^this graft runtime was disposed during the call \(by a host function the script called\)/ : /disposed/,
        );
      }
      // The VM is freed once the call has unwound: a handle left behind would abort it then.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(stderr).not.toHaveBeenCalled();
      expect(errors).toEqual([]);
      expect(() => runtime!.files()).toThrow(/disposed/);
    });
  }
});
