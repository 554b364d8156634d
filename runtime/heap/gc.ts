import type { QuickJSContext, QuickJSRuntime } from "quickjs-emscripten-core";
import { RUNTIME, heapTargetOf, type HeapTarget } from "./layout.js";
import { VmMemory } from "./memory.js";

/** A VM the collector can drive: its memory, its JSRuntime and a way to allocate one object in it. */
export interface GcTarget extends HeapTarget {
  /** Allocates (and frees) one GC object, e.g. `() => context.newObject().dispose()`. */
  allocateProbe: () => void;
}

/** The collector's view of a quickjs-emscripten runtime, allocating through `context`. */
export function gcTargetOf(runtime: QuickJSRuntime, context: QuickJSContext): GcTarget {
  return { ...heapTargetOf(runtime), allocateProbe: () => context.newObject().dispose() };
}

/** Number of live GC objects (length of the runtime's gc_obj_list). Bounds-checked and capped. */
export function countGcObjects(target: HeapTarget): number {
  return new VmMemory(target.module.HEAPU8, target.rtPointer).forEachGcObject(() => {});
}

/**
 * Runs QuickJS's full cycle collection (JS_RunGC) now. The build exports no GC entry, so
 * this lowers rt->malloc_gc_threshold to 0 and allocates one object: js_trigger_gc then
 * runs the collector and sets the threshold back from the heap size itself.
 */
export function forceFullGc(target: GcTarget): void {
  const memory = new VmMemory(target.module.HEAPU8, target.rtPointer);
  const threshold = target.rtPointer + RUNTIME.mallocGcThreshold;
  memory.u32(threshold, "malloc_gc_threshold"); // bounds check
  memory.words[threshold >>> 2] = 0;
  target.allocateProbe();
}

/**
 * `runtime.gc()`: a full collection, with the GC object counts before and after.
 * `afterCollect` runs between the collection and the second count.
 */
export function collect(target: GcTarget, afterCollect?: () => void): { before: number; after: number } {
  const before = countGcObjects(target);
  forceFullGc(target);
  afterCollect?.();
  return { before, after: countGcObjects(target) };
}
