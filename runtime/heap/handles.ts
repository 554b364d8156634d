/**
 * Between quickjs-emscripten handles and heap addresses: what a handle points at, the
 * elements of an array a handle holds, and new handles on objects found by walking the
 * heap. The only place that builds JSValues by hand, from the layout's tag and size.
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { CLASS, GC_HEADER, GC_TAGS, GcType, JSVALUE_SIZE, OBJECT, TAG, type HeapTarget } from "./layout.js";
import { HeapReadError, VmMemory } from "./memory.js";

interface HandleInternals {
  value: number;
}

interface ContextInternals {
  ctx: { value: number };
  module: { HEAPU8: Uint8Array; _malloc(bytes: number): number; _free(pointer: number): void };
  ffi: { QTS_DupValuePointer(ctx: number, value: number): number };
  memory: { heapValueHandle(pointer: number): QuickJSHandle };
}

/** The GC object a handle points at (an object, function bytecode or module), or undefined for other values. */
export function addressOfHandle(target: HeapTarget, handle: QuickJSHandle): number | undefined {
  const memory = new VmMemory(target.module.HEAPU8, target.rtPointer);
  const { tag, pointer } = memory.value((handle as unknown as HandleInternals).value, "handle");
  return GC_TAGS.has(tag) ? pointer : undefined;
}

/**
 * The object addresses of the elements of the array `handle` holds (undefined for elements
 * that are not GC objects), read from memory instead of one property read per element. The
 * array must be a dense (fast) Array, as the kernel builds them.
 */
export function arrayElementAddresses(target: HeapTarget, handle: QuickJSHandle): (number | undefined)[] {
  const memory = new VmMemory(target.module.HEAPU8, target.rtPointer);
  const array = addressOfHandle(target, handle);
  if (array === undefined || (memory.u8(array + GC_HEADER.typeByte) & 0x0f) !== GcType.Object || memory.u16(array + OBJECT.classId) !== CLASS.array) {
    throw new HeapReadError(array ?? 0, "an Array expected");
  }
  if ((memory.u8(array + OBJECT.flagsByte) & OBJECT.fastArrayBit) === 0) throw new HeapReadError(array, "a dense Array expected");
  const count = memory.u32(array + OBJECT.arrayCount, "array count");
  const values = memory.u32(array + OBJECT.arrayValues, "array values");
  if (count > memory.size / JSVALUE_SIZE) throw new HeapReadError(array, `array of ${count} elements`);
  const result: (number | undefined)[] = [];
  for (let i = 0; i < count; i++) {
    const { tag, pointer } = memory.value(values + i * JSVALUE_SIZE, "array element");
    result.push(GC_TAGS.has(tag) ? pointer : undefined);
  }
  return result;
}

/**
 * New handles on live objects found by enumeration (each one's reference count goes up, as
 * JS_DupValue does). `addresses` must be objects alive now, e.g. read right after a full GC
 * with no VM code run since. The caller owns the handles.
 */
export function handlesForObjects(context: QuickJSContext, addresses: ArrayLike<number>): QuickJSHandle[] {
  const internals = context as unknown as ContextInternals;
  const { module, ffi, memory } = internals;
  const ctx = internals.ctx.value;
  const handles: QuickJSHandle[] = new Array<QuickJSHandle>(addresses.length);
  const scratch = module._malloc(JSVALUE_SIZE);
  if (scratch === 0) throw new Error("graft: out of VM memory while making handles for found objects");
  try {
    let words = new Int32Array(module.HEAPU8.buffer);
    for (let i = 0; i < addresses.length; i++) {
      // Each handle is a malloc in the VM: memory may grow, and the old view goes stale.
      if (words.buffer !== module.HEAPU8.buffer) words = new Int32Array(module.HEAPU8.buffer);
      words[scratch >>> 2] = addresses[i]!;
      words[(scratch >>> 2) + 1] = TAG.object;
      handles[i] = memory.heapValueHandle(ffi.QTS_DupValuePointer(ctx, scratch));
    }
  } catch (error) {
    for (const handle of handles) handle?.dispose();
    throw error;
  } finally {
    module._free(scratch);
  }
  return handles;
}
