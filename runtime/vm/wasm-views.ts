import { Lifetime, type QuickJSWASMModule } from "quickjs-emscripten-core";

/**
 * The VM's linear memory grows (memory.grow), and every typed-array view taken of the old
 * buffer is then detached: it reads as empty, so `view[0]` is `undefined`.
 *
 * quickjs-emscripten-core 0.32.0 takes such views once and reads them after a call into
 * the VM that may have allocated: `context.getLength` reads a Uint32Array made when the
 * context was created, `getOwnPropertyNames` and `newPromise` read an out-pointer's view
 * made before the call that fills it, and `runtime.executePendingJobs` does the same for
 * the context pointer of a failed job. After the first growth `getLength` answers
 * `undefined` (graft then saw empty arrays: findSubclasses and leaks() returned `[]`).
 *
 * All of those views come from one method, `ModuleMemory.newTypedArray`. This replaces it,
 * once per process, with one whose `typedArray` is re-derived from the module's current
 * buffer at each read. The library is pinned to an exact version; `repairStaleViews`
 * checks that the method it replaces is the one it knows and refuses loudly otherwise.
 */

type LiveView = ArrayLike<number> & { fill(value: number): unknown };

interface TypedArrayKind {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): LiveView;
  readonly BYTES_PER_ELEMENT: number;
}

interface EmscriptenHeap {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

interface ModuleMemoryPrototype {
  newTypedArray(this: { module: EmscriptenHeap }, kind: TypedArrayKind, length: number): Lifetime<{ ptr: number; readonly typedArray: LiveView }>;
  [REPAIRED]?: true;
}

const REPAIRED = Symbol("graft: views re-derived after memory growth");

function newLiveTypedArray(this: { module: EmscriptenHeap }, kind: TypedArrayKind, length: number): Lifetime<{ ptr: number; readonly typedArray: LiveView }> {
  const module = this.module;
  const ptr = module._malloc(length * kind.BYTES_PER_ELEMENT);
  const value = {
    ptr,
    get typedArray(): LiveView {
      return new kind(module.HEAPU8.buffer, ptr, length);
    },
  };
  value.typedArray.fill(0);
  return new Lifetime(value, undefined, (held) => module._free(held.ptr));
}

/** Makes every out-pointer view of quickjs-emscripten-core read the current memory. Idempotent. */
export function repairStaleViews(module: QuickJSWASMModule): void {
  const probe = module.newRuntime();
  try {
    const memory = (probe as unknown as { memory?: object }).memory;
    const prototype = memory ? (Object.getPrototypeOf(memory) as ModuleMemoryPrototype) : undefined;
    if (!prototype || typeof prototype.newTypedArray !== "function") {
      throw new Error("graft: this quickjs-emscripten-core has no ModuleMemory.newTypedArray; graft needs exactly version 0.32.0");
    }
    if (prototype[REPAIRED]) return;
    if (!/HEAPU8\.buffer/.test(Function.prototype.toString.call(prototype.newTypedArray))) {
      throw new Error("graft: ModuleMemory.newTypedArray of this quickjs-emscripten-core is not the one graft knows; graft needs exactly version 0.32.0");
    }
    prototype.newTypedArray = newLiveTypedArray;
    prototype[REPAIRED] = true;
  } finally {
    probe.dispose();
  }
}
