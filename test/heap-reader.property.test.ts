import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QuickJSContext } from "quickjs-emscripten-core";
import { HeapGraph } from "../runtime/heap/graph.js";
import { VmMemory } from "../runtime/heap/memory.js";
import { readHeap } from "../runtime/heap/reader.js";
import { classCounts, verifyLayout } from "../runtime/heap/verify.js";
import { collectGarbage } from "../runtime/collector.js";
import { loadQuickJS, Vm } from "../runtime/vm.js";

/**
 * Oracle tests for the heap reader against QuickJS itself, on random heaps: per-class
 * object counts equal dumpMemoryUsage, no object has more incoming references than its
 * reference count, and after a full GC everything the reader finds is reachable from roots.
 */

const VARIABLES = 8;
const variable = fc.integer({ min: 0, max: VARIABLES - 1 });

const operation = fc.oneof(
  fc.tuple(fc.constant("object"), variable).map(([, i]) => `v${i} = { id: ${i} };`),
  fc.tuple(fc.constant("array"), variable, variable).map(([, i, j]) => `v${i} = [v${j}, ${i}, "x"];`),
  fc.tuple(fc.constant("map"), variable, variable, variable).map(([, i, j, k]) => `v${i} = new Map([[v${j}, v${k}]]);`),
  fc.tuple(fc.constant("set"), variable, variable).map(([, i, j]) => `v${i} = new Set([v${j}]);`),
  fc.tuple(fc.constant("weak"), variable, variable).map(([, i, j]) => `v${i} = new WeakMap(); if (Object(v${j}) === v${j}) v${i}.set(v${j}, { w: 1 });`),
  fc.tuple(fc.constant("narrow"), variable, fc.string({ maxLength: 8 })).map(([, i, s]) => `v${i} = ${JSON.stringify("n" + s)} + ${i};`),
  fc.tuple(fc.constant("wide"), variable, fc.string({ unit: "grapheme", maxLength: 4 })).map(([, i, s]) => `v${i} = ${JSON.stringify("\u4e16" + s)} + ${i};`),
  fc.tuple(fc.constant("closure"), variable, variable).map(([, i, j]) => `v${i} = ((captured) => function closure${i}() { return captured; })(v${j});`),
  fc.tuple(fc.constant("class"), variable, variable).map(([, i, j]) => `v${i} = class K${i} { static s = v${j}; m() { return super.toString(); } };`),
  fc.tuple(fc.constant("instance"), variable, variable).map(([, i, j]) => `v${i} = new (class I${i} { constructor() { this.x = v${j}; } })();`),
  fc.tuple(fc.constant("bound"), variable, variable).map(([, i, j]) => `v${i} = function () {}.bind(v${j}, v${j});`),
  fc.tuple(fc.constant("link"), variable, variable).map(([, i, j]) => `if (Object(v${i}) === v${i}) v${i}.link = v${j};`),
  fc.tuple(fc.constant("cycle"), variable).map(([, i]) => `if (Object(v${i}) === v${i}) v${i}.self = v${i};`),
  fc.tuple(fc.constant("boxed"), variable).map(([, i]) => `v${i} = [new Number(${i}), new String("s"), new Date(0), Object(Symbol("q"))];`),
  fc.tuple(fc.constant("root"), variable, variable).map(([, i, j]) => `globalThis.keep${j} = v${i};`),
);

const program = fc.array(operation, { minLength: 1, maxLength: 25 }).map(
  (ops) => `(function () { let ${Array.from({ length: VARIABLES }, (_, i) => `v${i}`).join(", ")}; ${ops.join("\n")} })();`,
);

let vm: Vm;

beforeAll(async () => {
  vm = new Vm(await loadQuickJS(), { memoryLimit: 64 << 20, timeout: 5000 });
});

afterAll(() => vm.dispose());

function memory(): VmMemory {
  return new VmMemory(vm.emscriptenModule.HEAPU8, vm.runtimePointer);
}

function withContext<T>(body: (context: QuickJSContext) => T): T {
  const context = vm.newContext();
  try {
    return body(context);
  } finally {
    context.dispose();
  }
}

describe("heap reader oracles", () => {
  it("passes its own start-up self-check on this build", () => {
    withContext((context) => verifyLayout(vm, context));
  });

  it("matches QuickJS on a thousand random heaps", () => {
    fc.assert(
      fc.property(program, (code) => {
        withContext((context) => {
          context.unwrapResult(context.evalCode(code)).dispose();
          const raw = readHeap(memory());
          // 1. per-class counts equal dumpMemoryUsage
          const counted = new Map<number, number>();
          for (const node of raw.nodes) if (node.gcType === 0) counted.set(node.classId, (counted.get(node.classId) ?? 0) + 1);
          expect(counted).toEqual(classCounts(vm.runtime.dumpMemoryUsage()));
          // 2. no node has more incoming strong references than its reference count
          const incoming = new Int32Array(raw.nodes.length);
          for (const edge of raw.edges) if (edge.type !== "weak") incoming[edge.to]! += 1;
          for (const node of raw.nodes) expect(incoming[node.index]!, `${node.kind} ${node.name}`).toBeLessThanOrEqual(node.refCount);
          // 3. after a full GC, everything found is reachable from the roots
          collectGarbage(vm, () => context.newObject().dispose());
          const graph = new HeapGraph(readHeap(memory()), new Int32Array(0));
          const reached = graph.reachableFromRoots();
          const unreached = graph.nodes.filter((node) => !reached[node.index]);
          expect(unreached.map((node) => `${node.kind} ${node.name}`)).toEqual([]);
        });
      }),
      { numRuns: Number(process.env.GRAFT_PROPERTY_RUNS ?? 1000) },
    );
  });
});
