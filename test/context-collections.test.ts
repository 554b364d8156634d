import { describe, expect, it } from "vitest";
import type { QuickJSContext } from "quickjs-emscripten-core";
import { RUNTIME } from "../runtime/heap/layout.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

// Making a context runs no script code and makes nothing that is garbage: QuickJS's automatic
// collections are held off while graft makes one (runtime/vm/gc-threshold.ts). A collection
// resets rt->malloc_gc_threshold from the heap's size: read straight from VM memory (asking
// the VM anything would allocate, and so collect).
describe("making script contexts", () => {
  it("runs no collection however many are made; one that came due runs at the next allocation", async () => {
    const runtime = await runtimeFor(await scriptsFolder({ "a.ts": "export class A {}" }));
    const vm = runtime.vm;
    const threshold = (): number => new Int32Array(vm.emscriptenModule.HEAPU8.buffer)[(vm.runtimePointer + RUNTIME.mallocGcThreshold) >> 2]!;
    const before = threshold();
    const made: QuickJSContext[] = [];
    try {
      // Enough contexts to pass QuickJS's collection threshold many times over.
      for (let i = 0; i < 300; i++) made.push(vm.newContext());
      expect(threshold()).toBe(before);
      made[0]!.newObject().dispose();
      expect(threshold()).toBeGreaterThan(before);
    } finally {
      for (const context of made) context.dispose();
    }
  });

  it("a start-up's contexts, made in one go, bring no collection after them either: the threshold is set as a collection would set it", async () => {
    const runtime = await runtimeFor(await scriptsFolder({ "a.ts": "export class A {}" }));
    const vm = runtime.vm;
    const word = (offset: number): number => new Int32Array(vm.emscriptenModule.HEAPU8.buffer)[(vm.runtimePointer + offset) >> 2]! >>> 0;
    const made: QuickJSContext[] = [];
    try {
      vm.withoutCollections(() => {
        for (let i = 0; i < 300; i++) made.push(vm.newContext());
      }, "as-collected");
      const size = word(RUNTIME.mallocSize);
      const threshold = word(RUNTIME.mallocGcThreshold);
      // QuickJS sets 1.5x the heap after a collection; nothing collected here.
      expect(threshold).toBe(size + (size >>> 1));
      made[0]!.newObject().dispose();
      expect(word(RUNTIME.mallocGcThreshold), "the next allocation ran no collection").toBe(threshold);
    } finally {
      for (const context of made) context.dispose();
    }
  });
});

// A start-up of 3,000 scripts makes ~1.5 million VM allocations that live; a collection walks
// them all (~0.2 s). What its transactions make and drop is freed by reference counts, with no
// cycle left for the collector (a module's api object was one, ~70 allocations a file): so no
// collection comes due during a start-up.
describe("what a start-up drops", () => {
  it("is freed by reference counts: a full collection afterwards finds no garbage", async () => {
    const files: Record<string, string> = { "base.ts": `export class Base {}\nexport function helper(): number { return 1; }\n` };
    for (let i = 0; i < 40; i++) {
      files[`c${i}.ts`] = `import { Base, helper } from "./base";\nexport class C${i} extends Base {\n  static verbs = ["v${i}"];\n  run(): number { return helper() + ${i}; }\n}\nimport.meta.hot.data.seen = true;\n`;
    }
    const runtime = await runtimeFor(await scriptsFolder(files));
    const vm = runtime.vm;
    // This build counts 8 per live allocation in malloc_size (no malloc_usable_size).
    const size = (): number => new Int32Array(vm.emscriptenModule.HEAPU8.buffer)[(vm.runtimePointer + RUNTIME.mallocSize) >> 2]! >>> 0;
    const before = size();
    runtime.gc();
    expect(before - size()).toBe(0);
  });
});
