import type { QuickJSContext, QuickJSRuntime } from "quickjs-emscripten-core";
import { GC_HEADER, LIST, RUNTIME, heapTargetOf, type HeapTarget } from "./layout.js";
import { VmMemory } from "./memory.js";
import type { PermanentObjects } from "./permanent-objects.js";

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
 *
 * `permanent` (permanent-objects.ts), if given, are left out of the collection's walk: see
 * setAside. Returns false if they were not all where they were found (the caller finds
 * them again); the collection ran either way.
 */
export function forceFullGc(target: GcTarget, permanent?: PermanentObjects): boolean {
  return collectWith(target, permanent, () => {});
}

/**
 * `runtime.gc()`: a full collection, with the GC object counts before and after.
 * `afterCollect` runs between the collection and the second count.
 */
export function collect(target: GcTarget, afterCollect?: () => void, permanent?: PermanentObjects): { before: number; after: number; permanentValid: boolean } {
  let before = 0;
  let after = 0;
  const permanentValid = collectWith(target, permanent, (walked, setAsideCount) => {
    before = walked() + setAsideCount;
    return () => {
      afterCollect?.();
      after = walked() + setAsideCount;
    };
  });
  return { before, after, permanentValid };
}

/**
 * The collection, with `permanent` set aside around it. `around` runs first (given a count
 * of the list as the collector will walk it, and how many were set aside) and may return
 * what to run after the collection, before they are put back.
 */
function collectWith(
  target: GcTarget,
  permanent: PermanentObjects | undefined,
  around: (walked: () => number, setAsideCount: number) => (() => void) | void,
): boolean {
  const memory = () => new VmMemory(target.module.HEAPU8, target.rtPointer);
  const aside = permanent !== undefined && setAside(memory(), permanent);
  let valid = permanent === undefined || aside;
  try {
    const after = around(() => memory().forEachGcObject(() => {}), aside ? permanent.addresses.length : 0);
    const heap = memory();
    const threshold = target.rtPointer + RUNTIME.mallocGcThreshold;
    heap.u32(threshold, "malloc_gc_threshold"); // bounds check
    heap.words[threshold >>> 2] = 0;
    target.allocateProbe();
    after?.();
  } finally {
    if (aside && !putBack(memory(), permanent)) valid = false;
  }
  return valid;
}

/**
 * Takes the permanent objects out of the runtime's gc_obj_list, each with one more
 * reference, so that QuickJS's collection (gc_decref, gc_scan, gc_free_cycles: each a walk
 * of that list and of every listed object's references) does not walk them:
 *
 * - they are alive, and stay so (permanent-objects.ts says why), so leaving them out frees
 *   nothing that a full walk would keep;
 * - what they refer to keeps the references they hold (their edges are not subtracted),
 *   so it counts as referenced from outside the list: alive, as it is, being held by a
 *   live object; garbage cycles through them cannot exist;
 * - the extra reference keeps their count above 0 while listed objects' references to
 *   them are subtracted, so the collector never moves one onto its lists (gc_decref_child
 *   and gc_scan_incref_child do that only at 0), and freeing a cycle that held one of them
 *   never frees it.
 *
 * Checks first that every one is still a GC object of its type with references; if not,
 * nothing is set aside (false).
 */
function setAside(memory: VmMemory, permanent: PermanentObjects): boolean {
  const { addresses, gcTypes } = permanent;
  const { words, bytes, signedWords } = memory;
  const limit = bytes.length - GC_HEADER.size;
  for (let i = 0; i < addresses.length; i++) {
    const address = addresses[i]!;
    if (address <= 0 || address > limit || (bytes[address + GC_HEADER.typeByte]! & 0x0f) !== gcTypes[i] || signedWords[address >>> 2]! <= 0) return false;
  }
  for (let i = 0; i < addresses.length; i++) {
    const address = addresses[i]!;
    const link = address + GC_HEADER.link;
    const prev = words[(link + LIST.prev) >>> 2]!;
    const next = words[(link + LIST.next) >>> 2]!;
    words[(prev + LIST.next) >>> 2] = next;
    words[(next + LIST.prev) >>> 2] = prev;
    signedWords[address >>> 2]!++;
  }
  return true;
}

/** Puts the permanent objects back at the end of gc_obj_list and drops the extra reference. False if one had no other. */
function putBack(memory: VmMemory, permanent: PermanentObjects): boolean {
  const { addresses } = permanent;
  const { words, signedWords } = memory;
  const head = memory.runtimePointer + RUNTIME.gcObjList;
  let held = true;
  for (let i = 0; i < addresses.length; i++) {
    const address = addresses[i]!;
    const link = address + GC_HEADER.link;
    const tail = words[(head + LIST.prev) >>> 2]!;
    words[(link + LIST.prev) >>> 2] = tail;
    words[(link + LIST.next) >>> 2] = head;
    words[(tail + LIST.next) >>> 2] = link;
    words[(head + LIST.prev) >>> 2] = link;
    // At 0 it is referenced no more: QuickJS's next collection frees it (an unreferenced
    // listed object goes to its garbage list), and the caller finds the permanent ones anew.
    if (--signedWords[address >>> 2]! <= 0) held = false;
  }
  return held;
}
