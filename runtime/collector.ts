import { RUNTIME } from "./heap/layout.js";
import type { Vm } from "./vm.js";

const GC_OBJ_LIST_OFFSET = RUNTIME.gcObjList;
const MALLOC_GC_THRESHOLD_OFFSET = RUNTIME.mallocGcThreshold;
const MAX_WALK = 50_000_000;

/** Number of GC objects alive in the runtime (length of gc_obj_list). */
export function countGcObjects(vm: Vm): number {
  const heap = vm.emscriptenModule.HEAPU8;
  const view = new DataView(heap.buffer, heap.byteOffset, heap.byteLength);
  const head = vm.runtimePointer + GC_OBJ_LIST_OFFSET;
  let count = 0;
  let node = view.getUint32(head + 4, true);
  while (node !== head) {
    if (node === 0 || node + 8 > heap.byteLength || ++count > MAX_WALK) {
      throw new Error("graft: the GC object list of this QuickJS build is not where graft expects it");
    }
    node = view.getUint32(node + 4, true);
  }
  return count;
}

/**
 * Runs QuickJS's full cycle collection now: with the threshold at 0 the next allocation
 * triggers JS_RunGC, which then resets the threshold itself.
 */
export function collectGarbage(vm: Vm, allocate: () => void): void {
  const heap = vm.emscriptenModule.HEAPU8;
  new DataView(heap.buffer, heap.byteOffset, heap.byteLength).setUint32(vm.runtimePointer + MALLOC_GC_THRESHOLD_OFFSET, 0, true);
  allocate();
}
