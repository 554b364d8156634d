import { CONTEXT, RUNTIME } from "../heap/layout.js";
import { VmMemory } from "../heap/memory.js";

/** QuickJS asks the interrupt handler every JS_INTERRUPT_COUNTER_INIT polls (function calls, back-edges). */
const INTERRUPT_COUNTER_INIT = 10_000;

/**
 * Makes the next function call in every context ask the interrupt handler at once, instead
 * of after up to 10,000 more calls. After a drain timed out, a pending promise job then
 * stops at its first call (its promise is rejected) instead of running on: a chain that
 * reschedules itself cannot survive into later drains. Returns false, changing nothing, if
 * the contexts are not where the pinned build's layout says (another build).
 */
export function interruptAtNextCall(heap: Uint8Array, runtimePointer: number): boolean {
  const memory = new VmMemory(heap, runtimePointer);
  const counters: number[] = [];
  try {
    memory.walkList(runtimePointer + RUNTIME.contextList, CONTEXT.size, "context_list", (link) => {
      const counter = link - CONTEXT.link + CONTEXT.interruptCounter;
      const value = memory.i32(counter, "interrupt_counter");
      if (value < 0 || value > INTERRUPT_COUNTER_INIT) throw new Error("not an interrupt counter");
      counters.push(counter);
    });
  } catch {
    return false;
  }
  const view = new DataView(heap.buffer, heap.byteOffset, heap.byteLength);
  for (const counter of counters) view.setInt32(counter, 1, true);
  return true;
}
