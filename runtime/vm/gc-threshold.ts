import { RUNTIME } from "../heap/layout.js";

/** Threshold while paused: above any heap a 32-bit VM can hold. */
const PAUSED = 0x7fffffff;

/**
 * Runs `work`, which makes only live objects (new contexts' intrinsics: no script code runs,
 * nothing made is garbage), without QuickJS's automatic collections; the threshold is then
 * put back, so a collection that came due meanwhile runs at the next allocation, once.
 *
 * QuickJS collects when its allocated size passes rt->malloc_gc_threshold, then sets that
 * to 1.5x the heap. Making contexts one after another (start-up makes one per script) thus
 * runs a full collection every few dozen contexts, each walking every object of every
 * context made so far, to free nothing: most of the time of making 500 contexts
 * (bench/README.md). Nested pauses keep the outermost one's threshold.
 */
export function withoutCollections<T>(heap32: () => Int32Array, runtimePointer: number, work: () => T, afterwards: "restore" | "as-collected" = "restore"): T {
  const threshold = (runtimePointer + RUNTIME.mallocGcThreshold) >> 2;
  const previous = heap32()[threshold]!;
  heap32()[threshold] = PAUSED;
  try {
    return work();
  } finally {
    // "as-collected" (a start-up's contexts, made in one go): the threshold QuickJS would set
    // after collecting now, 1.5x the heap, without the collection, which would walk every
    // context just made to free nothing of them (~0.07 ms a context at 3,000). Garbage made
    // before `work` then waits for the next collection, as it would have until this one.
    const size = heap32()[(runtimePointer + RUNTIME.mallocSize) >> 2]! >>> 0;
    heap32()[threshold] = afterwards === "restore" || previous === PAUSED ? previous : Math.max(previous >>> 0, Math.min(PAUSED - 1, size + (size >>> 1)));
  }
}
