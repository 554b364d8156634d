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
  return new VmMemory(target.module.HEAPU8, target.rtPointer).forEachGcObject();
}

/**
 * Runs QuickJS's full cycle collection (JS_RunGC) now. The build exports no GC entry, so
 * this lowers rt->malloc_gc_threshold to 0 and allocates one object: js_trigger_gc then
 * runs the collector and sets the threshold back from the heap size itself.
 *
 * `permanent` (permanent-objects.ts), if given, are left out of the collection's walk: see
 * setAside. Returns false if they were not all as they were found (the caller finds them
 * again); the collection ran either way.
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
  // One view of memory, made again only if the collection's allocation grew it.
  let memory = new VmMemory(target.module.HEAPU8, target.rtPointer);
  const current = (): VmMemory => (memory.bytes === target.module.HEAPU8 ? memory : (memory = new VmMemory(target.module.HEAPU8, target.rtPointer)));
  const aside = permanent === undefined ? null : setAside(memory, permanent);
  const valid = permanent === undefined || aside !== null;
  try {
    const after = around(() => current().forEachGcObject(), aside !== null ? permanent!.addresses.length : 0);
    const threshold = target.rtPointer + RUNTIME.mallocGcThreshold;
    memory.u32(threshold, "malloc_gc_threshold"); // bounds check
    memory.words[threshold >>> 2] = 0;
    target.allocateProbe();
    after?.();
  } finally {
    if (aside !== null) putBack(current(), permanent!, aside);
  }
  return valid;
}

/**
 * Takes the permanent objects out of the runtime's gc_obj_list, so that QuickJS's
 * collection (gc_decref, gc_scan, gc_free_cycles: each a walk of that list and of every
 * listed object's references) does not walk them:
 *
 * - they are alive, and stay so (permanent-objects.ts says why), so leaving them out frees
 *   nothing that a full walk would keep;
 * - what they refer to keeps the references they hold (their edges are not subtracted),
 *   so it counts as referenced from outside the list: alive, as it is, being held by a
 *   live object; no garbage cycle goes through them;
 * - each of them is held by another of them (or from outside the heap) through a reference
 *   that is never subtracted, so its count never falls to 0 while the listed objects'
 *   references are: the collector moves an object onto its lists only at 0
 *   (gc_decref_child, gc_scan_incref_child), and frees none of them.
 *
 * After a collection they are put back in one run at the end of the list, and stay there
 * until QuickJS's own collection moves one: then they come out as one block (two links
 * rewritten), else one by one. Checks first that every one is still a GC object of its
 * type with references; if not, nothing is set aside (null).
 */
function setAside(memory: VmMemory, permanent: PermanentObjects): "block" | "each" | null {
  const { addresses, gcTypes } = permanent;
  const { words, bytes, signedWords } = memory;
  const count = addresses.length;
  if (count === 0) return null;
  const limit = bytes.length - GC_HEADER.size;
  let block = true;
  for (let i = 0; i < count; i++) {
    const address = addresses[i]!;
    if (address <= 0 || address > limit || (address & 3) !== 0 || (bytes[address + GC_HEADER.typeByte]! & 0x0f) !== gcTypes[i] || signedWords[address >>> 2]! <= 0) return null;
    if (block && i + 1 < count && words[(address + GC_HEADER.link + LIST.next) >>> 2] !== addresses[i + 1]! + GC_HEADER.link) block = false;
  }
  if (block) {
    const first = addresses[0]! + GC_HEADER.link;
    const last = addresses[count - 1]! + GC_HEADER.link;
    const prev = words[(first + LIST.prev) >>> 2]!;
    const next = words[(last + LIST.next) >>> 2]!;
    words[(prev + LIST.next) >>> 2] = next;
    words[(next + LIST.prev) >>> 2] = prev;
    return "block";
  }
  for (let i = 0; i < count; i++) {
    const link = addresses[i]! + GC_HEADER.link;
    const prev = words[(link + LIST.prev) >>> 2]!;
    const next = words[(link + LIST.next) >>> 2]!;
    words[(prev + LIST.next) >>> 2] = next;
    words[(next + LIST.prev) >>> 2] = prev;
  }
  return "each";
}

/** Puts the permanent objects back, in one run at the end of gc_obj_list. */
function putBack(memory: VmMemory, permanent: PermanentObjects, how: "block" | "each"): void {
  const { addresses } = permanent;
  const { words } = memory;
  const head = memory.runtimePointer + RUNTIME.gcObjList;
  const first = addresses[0]! + GC_HEADER.link;
  const last = addresses[addresses.length - 1]! + GC_HEADER.link;
  if (how === "each") {
    // Linked to each other in order; the ends are joined to the list below.
    for (let i = 0; i + 1 < addresses.length; i++) {
      const link = addresses[i]! + GC_HEADER.link;
      const next = addresses[i + 1]! + GC_HEADER.link;
      words[(link + LIST.next) >>> 2] = next;
      words[(next + LIST.prev) >>> 2] = link;
    }
  }
  const tail = words[(head + LIST.prev) >>> 2]!;
  words[(first + LIST.prev) >>> 2] = tail;
  words[(tail + LIST.next) >>> 2] = first;
  words[(last + LIST.next) >>> 2] = head;
  words[(head + LIST.prev) >>> 2] = last;
}
