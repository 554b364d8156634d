import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newQuickJSWASMModuleFromVariant, type QuickJSContext, type QuickJSRuntime, type QuickJSSyncVariant } from "quickjs-emscripten-core";
import releaseSyncVariant from "@jitl/quickjs-wasmfile-release-sync";
import { AddressIndex } from "../runtime/heap/address-index.js";
import type { HeapGraph } from "../runtime/heap/graph.js";
import { EDGE } from "../runtime/heap/heap-data.js";
import { contextPointerOf, GcType, heapTargetOf } from "../runtime/heap/layout.js";
import { readRuntimeHeap, resolveEdges, type ReadOptions } from "../runtime/heap/reader.js";
import { EdgeSink, NodeSink } from "../runtime/heap/sinks.js";

/**
 * The reader's internals that answers must not depend on: the address index (sorted buckets,
 * crowded ones searched by halving) and how the reader's arrays are sized (a wrong guess of
 * the heap's size grows or cuts them; the graph is the same).
 */

describe("AddressIndex", () => {
  it("finds every address and nothing else, in sparse, dense and crowded regions", () => {
    const addresses: number[] = [];
    // Dense: objects 16 bytes apart; crowded: 600 objects in 8 KiB of a 1 GiB span (one bucket
    // holds many), sparse: far apart; shuffled, as gc_obj_list is after collections.
    for (let i = 0; i < 2000; i++) addresses.push(0x10000 + i * 16);
    for (let i = 0; i < 600; i++) addresses.push(0x2000_0000 + i * 8);
    for (let i = 0; i < 50; i++) addresses.push(0x4000_0000 + i * 0x10_0000 + 8);
    let seed = 7;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = addresses.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [addresses[i], addresses[j]] = [addresses[j]!, addresses[i]!];
    }
    const index = new AddressIndex(Uint32Array.from(addresses), addresses.length);
    addresses.forEach((address, i) => expect(index.get(address)).toBe(i));
    const members = new Set(addresses);
    for (const probe of [0, 8, 0x10000 - 8, 0x10004, 0x2000_0004, 0x2000_0000 + 600 * 8, 0x3000_0000, 0x4000_0000, 0xffff_fff8]) {
      if (!members.has(probe)) expect(index.get(probe)).toBe(-1);
    }
  });

  it("handles no addresses and one", () => {
    expect(new AddressIndex(new Uint32Array(0), 0).get(64)).toBe(-1);
    const one = new AddressIndex(Uint32Array.of(4096), 1);
    expect(one.get(4096)).toBe(0);
    expect(one.get(4104)).toBe(-1);
  });
});

describe("reader sizing", () => {
  let runtime: QuickJSRuntime;
  let context: QuickJSContext;

  beforeAll(async () => {
    const quickjs = await newQuickJSWASMModuleFromVariant(releaseSyncVariant as unknown as QuickJSSyncVariant);
    runtime = quickjs.newRuntime();
    context = runtime.newContext();
    const result = context.evalCode(`
      class Item { constructor(id) { this.id = id; this.tags = ["item", "n" + (id % 13)]; } }
      globalThis.world = [];
      for (let i = 0; i < 20000; i++) world.push(new Item(i));
      { let hidden = { secret: world[0] }; globalThis.peek = () => hidden; }
      globalThis.extras = [new Map([[world[1], world[2]]]), new Set([world[3]]), new WeakRef(world[4]), Object.defineProperty({}, "x", { get: () => world[5] })];
      globalThis.pending = new Promise(() => {}).then(() => world[6]);
    `);
    if (result.error) throw new Error(String(context.dump(result.error)));
    result.value.dispose();
  });

  afterAll(() => {
    context.dispose();
    runtime.dispose();
  });

  const read = (expected?: ReadOptions["expected"]): HeapGraph =>
    readRuntimeHeap(heapTargetOf(runtime), { contexts: new Map([[contextPointerOf(context), "world.js"]]), expected });

  it("gives the same graph whether its arrays were sized right, too small (grown) or too large (cut)", () => {
    const reference = read();
    expect(reference.nodeCount).toBeGreaterThan(40000);
    const exact = { objects: reference.nodeCount, edges: reference.edgeCount };
    for (const expected of [exact, { objects: 1, edges: 1 }, { objects: reference.nodeCount * 8, edges: reference.edgeCount * 8 }]) {
      const graph = read(expected);
      expect(graph.nodeCount).toBe(reference.nodeCount);
      expect(graph.edgeCount).toBe(reference.edgeCount);
      for (let i = 0; i < graph.nodeCount; i++) {
        expect(graph.node(i)).toEqual(reference.node(i));
        expect(graph.outgoing(i)).toEqual(reference.outgoing(i));
      }
      expect([...graph.globals]).toEqual([...reference.globals]);
      expect(Array.from(graph.dominators().retained)).toEqual(Array.from(reference.dominators().retained));
    }
  });

  it("holds no more than about an eighth of spare capacity after a good guess, and none after a bad one", () => {
    const reference = read();
    const exact = read({ objects: reference.nodeCount, edges: reference.edgeCount });
    expect(exact.data.address.buffer.byteLength).toBeLessThanOrEqual(Math.ceil(reference.nodeCount * 1.125 + 2048) * 4);
    const oversized = read({ objects: reference.nodeCount * 8, edges: reference.edgeCount * 8 });
    expect(oversized.data.address.buffer.byteLength).toBe(reference.nodeCount * 4);
    expect(oversized.data.edgeTo.buffer.byteLength).toBe(reference.edgeCount * 4);
  });
});

describe("resolveEdges", () => {
  it("drops edges to addresses that are no GC object, keeping each node's edges together and its counts right", () => {
    // Three nodes at 800, 808, 816; edges hold target addresses, 4 is no object.
    const nodes = new NodeSink(8);
    for (const address of [800, 808, 816]) nodes.add(address, GcType.Object, 1, 5, 0);
    const edges = new EdgeSink(8);
    nodes.outStart[0] = 0;
    edges.push(808, EDGE.property, 11);
    edges.push(4, EDGE.property, 12);
    nodes.outStart[1] = 2;
    edges.push(4, EDGE.internal, 13);
    nodes.outStart[2] = 3;
    edges.push(800, EDGE.weak, 14);
    edges.push(808, EDGE.internal, 15);
    edges.push(4, EDGE.hidden, 16);
    nodes.outStart[3] = 6;
    const index = new AddressIndex(nodes.address, 3);
    const externalRefs = Int32Array.of(1, 5, 0);
    const kept = resolveEdges(3, nodes.outStart, edges, index, nodes.gcType, externalRefs, new Int32Array(3));
    expect(kept).toBe(3);
    expect(Array.from(nodes.outStart.subarray(0, 4))).toEqual([0, 1, 1, 3]);
    expect(Array.from(new Int32Array(edges.to.buffer, 0, 3))).toEqual([1, 0, 1]);
    expect(Array.from(edges.type.subarray(0, 3))).toEqual([EDGE.property, EDGE.weak, EDGE.internal]);
    expect(Array.from(edges.name.subarray(0, 3))).toEqual([11, 14, 15]);
    // Node 1 has two strong incoming edges; the weak one to node 0 does not count.
    expect(Array.from(externalRefs)).toEqual([1, 3, 0]);
  });
});
