/**
 * graft's heap reader for the pinned QuickJS build, standalone: it needs only a
 * quickjs-emscripten runtime (and a context to allocate in), never graft's core.
 *
 *   verifyLayout(runtime, context)                 once at start-up (throws HeapUnsupportedError)
 *   collect(gcTargetOf(runtime, context))          runtime.gc(): { before, after }
 *   snapshotOf(heapTargetOf(runtime), options, ids) runtime.heap.snapshot(): HeapGraph
 *   formatRetainers(graph, index, { labels, targetDescription })   retainer paths, SPEC §5
 *   writeHeapSnapshot(path, graph, describe)       runtime.heap.write(path)
 */
import { HeapGraph, type StableIds } from "./graph.js";
import type { HeapTarget } from "./layout.js";
import { readRuntimeHeap, type ReadOptions } from "./reader.js";

export * from "./layout.js";
export * from "./memory.js";
export * from "./gc.js";
export * from "./reader.js";
export * from "./graph.js";
export * from "./format.js";
export * from "./heapsnapshot.js";

/** Reads the whole heap into a graph; pass one StableIds per runtime to keep node ids across snapshots. */
export function snapshotOf(target: HeapTarget, options: ReadOptions = {}, ids?: StableIds): HeapGraph {
  const raw = readRuntimeHeap(target, options);
  return new HeapGraph(raw, ids?.assign(raw.nodes));
}
