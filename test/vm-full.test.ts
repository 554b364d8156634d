import { describe, expect, it } from "vitest";
import { GraftError, ScriptError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";
import type { ReloadError, ReloadReport } from "../host-api/index.js";

/**
 * Issue 8: with the scripts holding the VM full to its memoryLimit, graft's own queries
 * (heap tools, findSubclasses) need a little VM memory. They must fail with a GraftError
 * that says so (not `VmCallError: null` or a QuickJSUnwrapError), and work again once the
 * scripts let go.
 */

const MIB = 1024 * 1024;


describe("heap tools with the VM full", () => {
  it("fail with 'VM out of memory' GraftErrors, and answer right once the scripts free memory", async () => {
    const files: Record<string, string> = {
      "a.ts": "export class Keeper { n = 1; }\nexport const holder: unknown[] = [];\nexport class Base {}\nexport function release(): void { (globalThis as any).full = null; }\n" +
        // Keeps every object it makes, until even an empty array does not fit (run twice, with a GC between).
        "export function grab(): number { return new Array(100000).fill(1).length; }\n" +
        // In chunks of 1,000, not one growing array: an array's store doubles, and the doubling that fails can leave much of the VM free.
        "export function fill(): void { const full = ((globalThis as any).full ??= []); let chunk: unknown[] = []; full.push(chunk); const add = (item: unknown) => { if (chunk.length === 1000) { chunk = []; full.push(chunk); } chunk.push(item); }; try { for (;;) add(new Keeper()); } catch {} for (const size of [1000, 100, 10, 1, 0]) { try { for (;;) add(new Array(size).fill(0)); } catch {} } }",
      "ghost.ts": "export class Ghost { g = 1; }",
    };
    // Many classes: the kernel's answers about them need more VM memory than a full VM has.
    for (let i = 0; i < 200; i++) files[`c${i}.ts`] = `import { Base } from "./a.ts";\nexport class C${i} extends Base { m(): number { return ${i}; } }`;
    const folder = await scriptsFolder(files);
    const runtime = await runtimeFor(folder, { memoryLimit: 8 * MIB, timeout: 20_000 });
    const ghost = runtime.getClass("ghost.ts", "Ghost").new();
    const holder = runtime.exports("a.ts").holder!;
    holder.call("push", ghost).dispose();
    ghost.dispose();
    await folder.remove("ghost.ts");
    expect((await runtime.reload()).retired.map((retired) => retired.name)).toEqual(["Ghost"]);
    const Keeper = runtime.getClass("a.ts", "Keeper");
    const Base = runtime.getClass("a.ts", "Base");
    const release = runtime.exports("a.ts").release!;
    // A function made before the VM is full: calling it compiles nothing (a full VM's compiler can trap).
    const fillFunction = runtime.exports("a.ts").fill!;
    const grab = runtime.exports("a.ts").grab!;
    const fill = (): void => {
      try {
        fillFunction.invoke().dispose();
      } catch (error) {
        expect(error).toBeInstanceOf(ScriptError);
      }
    };

    fill();
    try {
      runtime.gc();
    } catch (error) {
      // Full already: the collection's own bookkeeping in the VM may not fit.
      expect(error).toBeInstanceOf(GraftError);
    }
    fill();

    const queries: Record<string, () => unknown> = {
      gc: () => runtime.gc(),
      leaks: () => runtime.leaks(),
      findInstances: () => runtime.findInstances(Keeper),
      snapshot: () => runtime.heap.snapshot(),
      topClasses: () => runtime.heap.topClasses(),
      retainers: () => runtime.retainers(Keeper),
      findSubclasses: () => runtime.findSubclasses(Base),
      dynamic: () => runtime.findSubclasses(Base, { dynamic: true }),
    };
    let refused = 0;
    for (const [name, query] of Object.entries(queries)) {
      try {
        query();
      } catch (error) {
        refused++;
        expect(error, name).toBeInstanceOf(GraftError);
        expect((error as Error).message, name).toMatch(/^VM out of memory: .* memoryLimit of 8 MiB; free memory in the scripts .* larger memoryLimit$/);
      }
    }
    // At least the queries that build arrays of every class or every instance in the VM cannot run.
    expect(refused).toBeGreaterThanOrEqual(5);
    // A script call that needs memory is the script's own out-of-memory, as before.
    expect(() => grab.invoke()).toThrow(/^out of memory: the script went over the VM memory limit of 8 MiB/);

    // Calling a function already made needs no VM memory (evaluating code would).
    release.invoke().dispose();
    const leaks = runtime.leaks();
    expect(leaks.map((leak) => leak.name)).toEqual(["Ghost"]);
    expect(runtime.findSubclasses(Base)).toHaveLength(200);
    const keepers = runtime.findInstances(Keeper);
    expect(keepers).toHaveLength(0);
    Keeper.dispose();
    Base.dispose();
    holder.dispose();
    release.dispose();
    fillFunction.dispose();
    grab.dispose();
  });

  it("says the limit as set (1.5 MiB, not a rounded 2 MiB)", async () => {
    const folder = await scriptsFolder({ "bomb.ts": "export function bomb(): void { const hoard: string[][] = []; for (;;) hoard.push(new Array(1000).fill('x')); }" });
    const runtime = await runtimeFor(folder, { memoryLimit: 1.5 * MIB, timeout: 20_000 });
    const bomb = runtime.exports("bomb.ts").bomb!;
    expect(() => bomb.invoke()).toThrow(/^out of memory: the script went over the VM memory limit of 1.5 MiB/);
    bomb.dispose();
  });

  it("an interval whose callback runs out of memory is reported once and cleared", async () => {
    const folder = await scriptsFolder({
      "bomb.ts": [
        "export let runs = 0;",
        "export let periods = 0;",
        "export function start(): void { setInterval(() => { runs++; const hoard: string[][] = []; for (;;) hoard.push(new Array(10000).fill('x')); }, 1); setInterval(() => { periods++; }, 1); }",
        "export const count = (): number => runs;",
        "export const elapsed = (): number => periods;",
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder, { memoryLimit: 16 * MIB, timeout: 20_000 });
    const errors: ReloadError[] = [];
    runtime.on("error", (error) => errors.push(error));
    const { start, count, elapsed } = runtime.exports("bomb.ts");
    start!.invoke().dispose();
    const error = await waitFor(() => errors[0], 20_000, "the interval's out-of-memory report");
    expect(error.origin).toBe("setInterval");
    expect(error.message).toMatch(/out of memory/);
    expect(error.message).toMatch(/the interval was cleared: it ran out of memory, and would again at every period/);
    // Many periods later (a second interval of the same period has run 20 more times): it ran once, and nothing more was reported.
    const seen = elapsed!.invoke().toHost() as number;
    await waitFor(() => (elapsed!.invoke().toHost() as number) >= seen + 20, 20_000, "20 more periods of the VM's timers");
    expect(count!.invoke().toHost()).toBe(1);
    expect(errors).toHaveLength(1);
    start!.dispose();
    count!.dispose();
    elapsed!.dispose();
  });
});

describe("out of memory never crashes the VM (issue 24, row 6)", () => {
  // QuickJS builds an error's backtrace on the error it is throwing; an allocation that fails
  // there threw "out of memory" over it and freed it mid-build (the VM trapped). A function
  // whose name is a big non-ASCII string makes that allocation fail every time: the
  // backtrace needs the name as UTF-8, twice its size in the VM.
  it("an allocation that fails while QuickJS builds a backtrace gives the script a catchable out-of-memory, and the VM serves on", async () => {
    const folder = await scriptsFolder({
      "a.ts": [
        "export function run(): string {",
        "  const f = function () { return (null as any).x; };",
        "  Object.defineProperty(f, 'name', { value: '\\u00e9'.repeat(4 * 1024 * 1024) });",
        "  try { f(); } catch (error) { return String(error); }",
        "  return 'no error';",
        "}",
        "export const after = (): number => [1, 2, 3].map((n) => n * 2).reduce((a, b) => a + b);",
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder, { memoryLimit: 8 * MIB, timeout: 20_000 });
    const { run, after } = runtime.exports("a.ts");
    expect(run!.invoke().toHost()).toBe("InternalError: out of memory");
    expect(after!.invoke().toHost()).toBe(12);
    expect(runtime.gc().after).toBeGreaterThan(0);
    run!.dispose();
    after!.dispose();
  });

  // The pattern of heap tools' test above, at the limits where it crashed the VM.
  it.each([2, 6])("a script that fills the VM and catches its out-of-memory errors, at memoryLimit %i MiB, leaves a VM that serves", async (limit) => {
    const folder = await scriptsFolder({
      "a.ts": [
        "export class Keeper { n = 1; }",
        "export function release(): void { (globalThis as any).full = null; }",
        "export function fill(): void { const full = ((globalThis as any).full ??= []); let chunk: unknown[] = []; full.push(chunk); const add = (item: unknown) => { if (chunk.length === 1000) { chunk = []; full.push(chunk); } chunk.push(item); }; try { for (;;) add(new Keeper()); } catch {} for (const size of [1000, 100, 10, 1, 0]) { try { for (;;) add(new Array(size).fill(0)); } catch {} } }",
        "export function top(): void { try { for (;;) { const o: any = {}; for (let i = 0; i < 50; i++) o['k' + i] = i; ((globalThis as any).full ??= []).push(o); } } catch {} }",
        "export function strs(): void { try { for (let i = 0;; i++) ((globalThis as any).full ??= []).push('s' + i + 'x'.repeat(i % 50)); } catch {} }",
        "export const sum = (): number => [1, 2, 3].reduce((a, b) => a + b);",
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder, { memoryLimit: limit * MIB, timeout: 20_000 });
    const exports = runtime.exports("a.ts");
    for (const name of ["fill", "strs"]) {
      for (let round = 0; round < 2; round++) {
        try {
          exports[name]!.invoke().dispose();
        } catch (error) {
          // Out of memory past the script's own catch (building its error, say): the script's error, not a crash.
          expect(error, name).toBeInstanceOf(ScriptError);
          expect((error as Error).message, name).toMatch(/^out of memory/);
        }
        try {
          runtime.gc();
        } catch (error) {
          expect((error as Error).message, name).toMatch(/^VM out of memory/);
        }
      }
      exports.release!.invoke().dispose();
      expect(exports.sum!.invoke().toHost()).toBe(6);
    }
    for (const value of Object.values(exports)) value.dispose();
  });
});

describe("the compiler out of memory (issue 24, found by the hostile families property)", () => {
  // QuickJS's bytecode buffer went on taking the small writes that still fit after a grow
  // failed, and its passes copied a cut-short last instruction whole: freeing the failed
  // parse then walked a garbage atom and the VM trapped. At 2 MiB, eval of a million-element
  // array literal runs out of memory in the bytecode buffer.
  it("eval of code too big for a 2 MiB VM gives the script a catchable out-of-memory, again and again, and the VM serves on", async () => {
    const folder = await scriptsFolder({
      "a.ts": [
        'export function compile(n: number): number { return (0, eval)("[" + "7,".repeat(n) + "].length"); }',
        'export function caught(n: number): string { try { return String(compile(n)); } catch (error) { return String(error); } }',
        "export const sum = (): number => [1, 2, 3].reduce((a, b) => a + b);",
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder, { memoryLimit: 2 * MIB, timeout: 20_000 });
    const { compile, caught, sum } = runtime.exports("a.ts");
    for (let round = 0; round < 3; round++) {
      expect(() => compile!.invoke(1_000_000)).toThrow(ScriptError);
      try {
        compile!.invoke(1_000_000);
      } catch (error) {
        expect((error as ScriptError).message).toMatch(/^InternalError: out of memory/);
      }
      expect(caught!.invoke(1_000_000).toHost()).toBe("InternalError: out of memory");
      expect(runtime.vm.crashed).toBeUndefined();
      expect(compile!.invoke(100).toHost()).toBe(100);
      expect(sum!.invoke().toHost()).toBe(6);
    }
    for (const value of [compile, caught, sum]) value!.dispose();
  });
});

describe("adding files to a full VM (issue 24, row 6)", () => {
  it("one file at a time until the VM is full: each reload loads, fails with an out-of-memory report, or rejects with a 'VM out of memory' GraftError; the VM never crashes", async () => {
    const folder = await scriptsFolder({ "c0.ts": "export class C0 { m(): number { return 0; } }" });
    const runtime = await runtimeFor(folder, { memoryLimit: 4 * MIB, timeout: 20_000 });
    let refused = 0;
    for (let i = 1; i < 2000 && refused < 3; i++) {
      await folder.write(`c${i}.ts`, `export class C${i} { m(): number { return ${i}; } }`);
      try {
        const report = await runtime.reload([`c${i}.ts`]);
        if (!report.ok) {
          refused++;
          expect(report.errors[0]!.message).toMatch(/out of memory/);
        }
      } catch (error) {
        refused++;
        expect(error).toBeInstanceOf(GraftError);
        expect((error as Error).message).toMatch(/^VM out of memory/);
      }
    }
    expect(refused).toBe(3);
    expect(runtime.files()).toContain("c0.ts");
    // Full to the byte, even graft's class lookup may not fit: a GraftError that says so, never a crash.
    try {
      expect(runtime.getClass("c0.ts", "C0").new().call("m").toHost()).toBe(0);
    } catch (error) {
      expect(error).toBeInstanceOf(GraftError);
      expect((error as Error).message).toMatch(/^VM out of memory/);
    }
  }, 300_000);
});

describe("a big file reloaded into a full VM (issue 24)", () => {
  it("fails as out of memory, the VM serves on, and the file loads once the scripts free memory", async () => {
    // quickjs-emscripten copied the source into the VM through a malloc it did not check: in a
    // full VM it wrote the source at address 0, over malloc's own state, and the VM trapped.
    const folder = await scriptsFolder({
      "keep.ts": "export const full: unknown[] = [];\nexport function fillUp(): void { for (const size of [10000, 1000, 100, 10, 1]) { try { for (;;) full.push(new Array(size).fill('x')); } catch {} } }\nexport function free(): void { full.length = 0; }\nexport const ok = (): number => 42;",
      "big.ts": "export const small = 1;",
    });
    const runtime = await runtimeFor(folder, { memoryLimit: 8 * MIB, timeout: 20_000 });
    const keep = runtime.exports("keep.ts");
    keep.fillUp!.invoke().dispose();
    const lines = Array.from({ length: 5000 }, (_, i) => `export const f${i} = (a: number): number => a + ${i} * 2 + "${"z".repeat(20)}".length;`);
    await folder.write("big.ts", lines.join("\n"));
    // The file fails as out of memory, or (fuller still) the transaction cannot even start: a "VM out of memory" GraftError.
    const outcome: ReloadReport | Error = await runtime.reload(["big.ts"]).catch((error: Error) => error);
    if (outcome instanceof Error) {
      expect(outcome).toBeInstanceOf(GraftError);
      expect(outcome.message).toMatch(/^VM out of memory: /);
    } else {
      expect(outcome.ok).toBe(false);
      expect(outcome.errors[0]!.file).toBe("big.ts");
      expect(outcome.errors[0]!.message).toMatch(/out of memory/);
    }
    expect(runtime.vm.crashed).toBeUndefined();
    expect(keep.ok!.invoke().toHost()).toBe(42);
    // A host copy that does not fit is a GraftError too, not a write over the VM's memory.
    expect(() => runtime.evaluate("keep.ts", `"${"y".repeat(400_000)}".length`)).toThrow(/^VM out of memory: copying .* from the host into the VM/);
    keep.free!.invoke().dispose();
    runtime.heap.gc();
    expect((await runtime.reload(["big.ts"])).ok).toBe(true);
    expect(runtime.exports("big.ts").f4999!.invoke(1).toHost()).toBe(1 + 4999 * 2 + 20);
  });
});

describe("kernel answers read in a full VM (issue 24, found by the hostile families property)", () => {
  it("a list of names that came back as something else (its JSON could not be made) is a GraftError, not a file with no exports", async () => {
    const folder = await scriptsFolder({ "a.ts": "export const a = 1;" });
    const runtime = await runtimeFor(folder);
    // What quickjs-emscripten's dump gives when the VM has no memory for the JSON: not a list.
    const kernel = runtime.kernel as unknown as { names(handle: unknown, step: string): string[] };
    expect(() => kernel.names(runtime.kernelContext.newString("{}"), "namespaceKeys")).toThrow(GraftError);
    expect(() => kernel.names(runtime.kernelContext.newString("{}"), "namespaceKeys")).toThrow(/could not read the answer of its kernel step 'namespaceKeys'/);
    expect(Object.keys(runtime.exports("a.ts"))).toEqual(["a"]);
  });
});
