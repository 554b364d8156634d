import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newQuickJSWASMModuleFromVariant, type QuickJSContext, type QuickJSRuntime, type QuickJSSyncVariant } from "quickjs-emscripten-core";
import releaseSyncVariant from "@jitl/quickjs-wasmfile-release-sync";
import { forceFullGc, gcTargetOf } from "../runtime/heap/gc.js";
import type { HeapGraph } from "../runtime/heap/graph.js";
import { CLASS_NAMES, GcType, contextPointerOf, heapTargetOf } from "../runtime/heap/layout.js";
import { classCountsFromDump } from "../runtime/heap/self-check.js";
import { readRuntimeHeap } from "../runtime/heap/reader.js";

/**
 * Oracle tests of the standalone heap reader against QuickJS itself, on random heaps
 * (objects, cycles, closures, classes, arrays, maps, sets, weak collections, strings of
 * both widths, symbols, accessors, private fields, bound functions, proxies, promises and
 * their jobs, suspended generators and async functions, typed arrays, iterators, weak refs):
 *  - per-class object counts equal dumpMemoryUsage's table;
 *  - no node has more incoming strong references than its reference count;
 *  - every reference is decoded: with no host handles, the only roots are the contexts and
 *    what queued jobs hold (nothing else has references QuickJS counts but the reader missed);
 *  - after a full GC, everything the reader finds is reachable from the roots;
 *  - dominators agree with a brute-force definition (remove a node, see what becomes unreachable).
 */

const VARIABLES = 8;
const v = fc.integer({ min: 0, max: VARIABLES - 1 });
const op = <T extends unknown[]>(arbs: { [K in keyof T]: fc.Arbitrary<T[K]> }, code: (...args: T) => string) =>
  fc.tuple(...(arbs as unknown as fc.Arbitrary<unknown>[])).map((args) => code(...(args as T)));
const obj = (i: number) => `(Object(v${i}) === v${i})`;

const operation = fc.oneof(
  op([v], (i) => `v${i} = { id: ${i} };`),
  op([v, v], (i, j) => `v${i} = [v${j}, ${i}, "x"];`),
  op([v, v], (i, j) => `v${i} = []; v${i}[100] = v${j}; v${i}.length = 200;`),
  op([v, v, v], (i, j, k) => `v${i} = new Map([[v${j}, v${k}], ["key", v${k}], [${i}, v${j}]]);`),
  op([v, v], (i, j) => `v${i} = new Set([v${j}, "s"]);`),
  op([v, v], (i, j) => `v${i} = new WeakMap(); if (${obj(j)}) v${i}.set(v${j}, { w: v${j} });`),
  op([v, v], (i, j) => `v${i} = new WeakSet(); if (${obj(j)}) v${i}.add(v${j});`),
  op([v, v], (i, j) => `if (${obj(j)}) v${i} = new WeakRef(v${j});`),
  op([v, v], (i, j) => `v${i} = new FinalizationRegistry(() => v${j}); if (${obj(j)}) v${i}.register(v${j}, { held: ${j} }, v${j});`),
  op([v, fc.string({ maxLength: 8 })], (i, s) => `v${i} = ${JSON.stringify("n" + s)} + ${i};`),
  op([v, fc.string({ unit: "grapheme", maxLength: 4 })], (i, s) => `v${i} = { [${JSON.stringify("\u4e16" + s)}]: v${i} };`),
  op([v, v], (i, j) => `v${i} = ((captured) => function closure${i}() { return captured; })(v${j});`),
  op([v, v], (i, j) => `{ let shared = v${j}; v${i} = [() => shared, (x) => { shared = x; }]; }`),
  op([v, v], (i, j) => `v${i} = class K${i} { static s = v${j}; #p = v${j}; m() { return super.toString(); } get g() { return this.#p; } };`),
  op([v, v], (i, j) => `v${i} = new (class I${i} extends Array { constructor() { super(); this.x = v${j}; } })();`),
  op([v, v], (i, j) => `v${i} = function () {}.bind(v${j}, v${j});`),
  op([v, v], (i, j) => `if (${obj(i)} && Object.isExtensible(v${i})) v${i}.link = v${j};`),
  op([v], (i) => `if (${obj(i)} && Object.isExtensible(v${i})) v${i}.self = v${i};`),
  op([v, v], (i, j) => `if (${obj(i)} && Object.isExtensible(v${i})) Object.defineProperty(v${i}, "acc", { get: () => v${j}, set(x) {}, configurable: true });`),
  op([v], (i) => `v${i} = [new Number(${i}), new String("s"), new Date(0), Object(Symbol("q")), Object(10n), new Boolean(false)];`),
  op([v, v], (i, j) => `v${i} = { [Symbol("sym${i}")]: v${j}, [Symbol.for("reg")]: v${j} };`),
  op([v, v], (i, j) => `v${i} = new Proxy(${obj(j)} ? v${j} : {}, { get: () => v${j} });`),
  op([v, v], (i, j) => `v${i} = new Promise(() => {}); v${i}.then(() => v${j});`),
  op([v, v], (i, j) => `v${i} = Promise.resolve(v${j}).then((x) => [x, v${j}]);`),
  op([v, v], (i, j) => `v${i} = (async (x) => { await new Promise(() => {}); return x; })(v${j});`),
  op([v, v], (i, j) => `v${i} = (function* (x) { yield x; yield v${j}; })(v${j}); v${i}.next();`),
  op([v, v], (i, j) => `v${i} = (async function* (x) { yield x; })(v${j}); v${i}.next();`),
  op([v, v], (i, j) => `v${i} = (async () => { let local = v${j}; v${j} = () => local; await new Promise(() => {}); })();`),
  op([v, v], (i, j) => `v${i} = (function* () { let local = v${j}; yield () => local; yield local; })(); v${j} = v${i}.next().value;`),
  op([v], (i) => `v${i} = new Uint8Array(new ArrayBuffer(16), 4); v${i}.tag = new DataView(v${i}.buffer);`),
  op([v, v], (i, j) => `v${i} = [new Map([[1, v${j}]]).entries(), [v${j}].values(), "ab"[Symbol.iterator](), "aXbX".matchAll(/X/g), [v${j}].values().map((x) => x)];`),
  op([v, v], (i, j) => `v${i} = (function () { return arguments; })(v${j}, 2);`),
  op([v, v], (i, j) => `v${i} = (function (a) { return arguments; })(v${j});`),
  op([v], (i) => `v${i} = /a+b/g;`),
  op([v, v], (i, j) => `globalThis.keep${j} = v${i};`),
  op([v], (i) => `var global${i} = v${i};`),
  op([v], (i) => `v${i} = undefined;`),
);

const program = fc.array(operation, { minLength: 1, maxLength: 25 }).map(
  (ops) => `(function () { let ${Array.from({ length: VARIABLES }, (_, i) => `v${i}`).join(", ")};\n${ops.join("\n")}\n})();`,
);

let runtime: QuickJSRuntime;

beforeAll(async () => {
  const quickjs = await newQuickJSWASMModuleFromVariant(releaseSyncVariant as unknown as QuickJSSyncVariant);
  runtime = quickjs.newRuntime();
  runtime.setMaxStackSize(256 * 1024);
  runtime.setMemoryLimit(64 << 20);
});

afterAll(() => runtime.dispose());

function withContext<T>(body: (context: QuickJSContext) => T): T {
  const context = runtime.newContext();
  try {
    return body(context);
  } finally {
    // Drop queued jobs (they hold references into the context) before disposing it.
    while (runtime.hasPendingJob()) {
      const result = runtime.executePendingJobs();
      if (result.error) result.error.dispose();
    }
    context.dispose();
  }
}

function read(context: QuickJSContext): HeapGraph {
  return readRuntimeHeap(heapTargetOf(runtime), { contexts: new Map([[contextPointerOf(context), "random.js"]]) });
}

/** Every check that holds on any heap. */
function checkHeap(raw: HeapGraph): HeapGraph {
  const counted = new Map<number, number>();
  for (const node of raw.nodes) if (node.gcType === GcType.Object) counted.set(node.classId, (counted.get(node.classId) ?? 0) + 1);
  expect(counted).toEqual(classCountsFromDump(runtime.dumpMemoryUsage()));
  const incoming = new Int32Array(raw.nodes.length);
  for (const edge of raw.edges) if (edge.type !== "weak") incoming[edge.to]! += 1;
  for (const node of raw.nodes) expect(incoming[node.index]!, `${node.kind} ${node.name}`).toBeLessThanOrEqual(node.refCount);
  expect(raw.nodes.filter((node) => node.opaque).map((node) => node.className)).toEqual([]);
  const graph = raw;
  // With no host handles, only the context (held by its QuickJSContext) and queued jobs hold anything.
  const unexplained = graph.nodes.filter((node) => node.externalRefs > 0 && !graph.rootLabels.has(node.index));
  expect(unexplained.map((node) => `${node.kind} ${CLASS_NAMES[node.classId] ?? ""} ${node.name} +${node.externalRefs}`)).toEqual([]);
  return graph;
}

describe("standalone heap reader oracles", () => {
  it("matches QuickJS on random heaps; after a full GC everything is reachable from roots", () => {
    fc.assert(
      fc.property(program, (code) => {
        withContext((context) => {
          context.unwrapResult(context.evalCode(code)).dispose();
          checkHeap(read(context));
          // Run some queued jobs, then collect: what is left is reachable.
          if (runtime.hasPendingJob()) {
            const result = runtime.executePendingJobs(1);
            if (result.error) result.error.dispose();
          }
          forceFullGc(gcTargetOf(runtime, context));
          const graph = checkHeap(read(context));
          const reached = graph.reachableFromRoots();
          expect(graph.nodes.filter((node) => !reached[node.index]).map((node) => `${node.kind} ${node.name}`)).toEqual([]);
        });
      }),
      { numRuns: Number(process.env.GRAFT_PROPERTY_RUNS ?? 1000) },
    );
  });

  it("computes dominators that match the definition", () => {
    fc.assert(
      fc.property(program, (code) => {
        withContext((context) => {
          context.unwrapResult(context.evalCode(code)).dispose();
          forceFullGc(gcTargetOf(runtime, context));
          const graph = read(context);
          const { idom, retained } = graph.dominators();
          const n = graph.nodes.length;
          const rootsOf = () => graph.nodes.filter((node) => graph.isRoot(node.index)).map((node) => node.index);
          const reach = (removed: number): Uint8Array => {
            const seen = new Uint8Array(n);
            const queue = rootsOf().filter((index) => index !== removed);
            for (const index of queue) seen[index] = 1;
            for (let head = 0; head < queue.length; head++) {
              for (const edge of graph.outgoing(queue[head]!)) {
                if (edge.type === "weak" || edge.to === removed || seen[edge.to]) continue;
                seen[edge.to] = 1;
                queue.push(edge.to);
              }
            }
            return seen;
          };
          const all = reach(-1);
          // Sample candidate dominators: every node that some node claims as its immediate dominator.
          const candidates = [...new Set(Array.from(idom).filter((d) => d >= 0))].slice(0, 40);
          for (const d of candidates) {
            const without = reach(d);
            let size = graph.nodes[d]!.selfSize;
            for (let i = 0; i < n; i++) {
              if (i === d || !all[i]) continue;
              const dominated = !without[i];
              let chain = idom[i]!;
              while (chain >= 0 && chain !== d) chain = idom[chain]!;
              expect(chain === d, `node ${i} dominated by ${d}`).toBe(dominated);
              if (dominated) size += graph.nodes[i]!.selfSize;
            }
            expect(retained[d]).toBe(size);
          }
        });
      }),
      { numRuns: Number(process.env.GRAFT_DOMINATOR_RUNS ?? 25) },
    );
  });
});
