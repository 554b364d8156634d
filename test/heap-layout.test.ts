import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newQuickJSWASMModuleFromVariant, type QuickJSRuntime, type QuickJSSyncVariant, type QuickJSWASMModule } from "quickjs-emscripten-core";
import releaseSyncVariant from "@jitl/quickjs-wasmfile-release-sync";
import { collect, countGcObjects, forceFullGc, gcTargetOf } from "../runtime/heap/gc.js";
import { CLASS, GC_HEADER, HeapUnsupportedError, RUNTIME, heapTargetOf } from "../runtime/heap/layout.js";
import { buildOf, classCountsFromDump, countObjectsByClass, verifyLayout } from "../runtime/heap/self-check.js";
import { HeapReadError, VmMemory } from "../runtime/heap/memory.js";
import { readHeap } from "../runtime/heap/reader.js";

/** The heap layout, its start-up self-check and the collector, on a raw quickjs-emscripten runtime. */

let quickjs: QuickJSWASMModule;
let runtime: QuickJSRuntime;

beforeAll(async () => {
  quickjs = await newQuickJSWASMModuleFromVariant(releaseSyncVariant as unknown as QuickJSSyncVariant);
  runtime = quickjs.newRuntime();
  runtime.setMaxStackSize(256 * 1024);
});

afterAll(() => runtime.dispose());

describe("layout self-check", () => {
  it("passes on the pinned build and names it", () => {
    const context = runtime.newContext();
    try {
      expect(buildOf(runtime)).toMatch(/^2025-09-13 version, 32-bit$/);
      expect(() => verifyLayout(runtime, context)).not.toThrow();
      expect(countObjectsByClass(heapTargetOf(runtime))).toEqual(classCountsFromDump(runtime.dumpMemoryUsage()));
    } finally {
      context.dispose();
    }
  });

  it("refuses another build with an error naming it", () => {
    const context = runtime.newContext();
    const other = Object.create(runtime) as QuickJSRuntime;
    // The real dump under another build's name: only the version check can refuse it.
    other.dumpMemoryUsage = () => runtime.dumpMemoryUsage().replace("2025-09-13 version, 32-bit", "2024-01-13 version, 64-bit");
    try {
      expect(() => verifyLayout(other, context)).toThrow(HeapUnsupportedError);
      expect(() => verifyLayout(other, context)).toThrow(/2024-01-13 version, 64-bit.*needs quickjs-emscripten 0\.32\.0/);
    } finally {
      context.dispose();
    }
  });

  it("refuses a heap whose counts disagree with dumpMemoryUsage", () => {
    const context = runtime.newContext();
    const other = Object.create(runtime) as QuickJSRuntime;
    other.dumpMemoryUsage = () => runtime.dumpMemoryUsage().replace(/^(\s+)(\d+)(\s+1 Object)$/m, (_, a: string, n: string, b: string) => `${a}${Number(n) + 1}${b}`);
    try {
      expect(() => verifyLayout(other, context)).toThrow(/objects of class 1, dumpMemoryUsage says/);
    } finally {
      context.dispose();
    }
  });

  it("never crashes or loops on a corrupt heap: bad pointers and endless lists give HeapReadError", () => {
    const context = runtime.newContext();
    try {
      context.unwrapResult(context.evalCode(`globalThis.keep = [{ a: 1 }, new Map([[1, {}]]), (x => () => x)({})]`)).dispose();
      const target = heapTargetOf(runtime);
      const copy = () => new Uint8Array(target.module.HEAPU8);
      const head = target.rtPointer + RUNTIME.gcObjList;

      // gc_obj_list pointing outside memory
      const outside = copy();
      new DataView(outside.buffer).setUint32(head + 4, outside.byteLength + 64, true);
      expect(() => readHeap(new VmMemory(outside, target.rtPointer))).toThrow(HeapReadError);

      // a list node pointing at itself: the walk never returns to the head
      const loop = copy();
      const view = new DataView(loop.buffer);
      const first = view.getUint32(head + 4, true);
      view.setUint32(first + 4, first, true);
      expect(() => readHeap(new VmMemory(loop, target.rtPointer))).toThrow(/does not end/);

      // random garbage in every object header: never an exception other than HeapReadError
      const garbage = copy();
      const garbageView = new DataView(garbage.buffer);
      let link = garbageView.getUint32(head + 4, true);
      let seed = 12345;
      for (let i = 0; i < 200 && link !== head; i++) {
        const next = garbageView.getUint32(link + 4, true);
        const object = link - GC_HEADER.link;
        for (let offset = 16; offset < 48; offset += 4) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          garbageView.setUint32(object + offset, seed, true);
        }
        link = next;
      }
      try {
        readHeap(new VmMemory(garbage, target.rtPointer));
      } catch (error) {
        expect(error).toBeInstanceOf(HeapReadError);
      }
    } finally {
      context.dispose();
    }
  });
});

describe("full collection", () => {
  it("collects a thousand self-cycles and reports the counts before and after", () => {
    const context = runtime.newContext();
    try {
      const target = gcTargetOf(runtime, context);
      forceFullGc(target);
      const baseline = countGcObjects(target);
      // No automatic collection while the cycles are made.
      new DataView(target.module.HEAPU8.buffer).setUint32(target.rtPointer + RUNTIME.mallocGcThreshold, 0xffffffff, true);
      context.unwrapResult(context.evalCode(`for (let i = 0; i < 1000; i++) { const o = {}; o.self = o; }`)).dispose();
      expect(countGcObjects(target)).toBeGreaterThanOrEqual(baseline + 1000);
      const { before, after } = collect(target);
      expect(before).toBeGreaterThanOrEqual(baseline + 1000);
      expect(after).toBe(baseline);
      expect(countObjectsByClass(target).get(CLASS.object)).toBe(classCountsFromDump(runtime.dumpMemoryUsage()).get(CLASS.object));
      // The collector resets its threshold itself: the next collection is not immediate.
      expect(new VmMemory(target.module.HEAPU8, target.rtPointer).u32(target.rtPointer + RUNTIME.mallocGcThreshold)).toBeGreaterThan(0);
    } finally {
      context.dispose();
    }
  });

  it("keeps everything still referenced", () => {
    const context = runtime.newContext();
    try {
      const target = gcTargetOf(runtime, context);
      context.unwrapResult(context.evalCode(`globalThis.kept = Array.from({ length: 500 }, (_, i) => { const o = { i }; o.self = o; return o; })`)).dispose();
      collect(target);
      expect(context.getNumber(context.unwrapResult(context.evalCode(`kept.filter((o) => o.self === o).length`)))).toBe(500);
    } finally {
      context.dispose();
    }
  });
});
