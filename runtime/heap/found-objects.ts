/**
 * Handles on many objects found by walking the heap, at the cost of one: a VM array holds
 * them all (one handle), and each element's handle makes its own JSValue only when it is
 * first used. findInstances on a game world returns 10^5 values; one JSValue malloc and one
 * call into the VM per value would cost more than the walk that found them.
 *
 * The array is made by the VM (a dense Array of zeros); the found objects are then stored
 * into its slots the way JS_DupValue and a store would: the slot gets the object's JSValue
 * and the object's ref_count goes up by one. Freeing the array later releases them through
 * QuickJS's own code. Nothing else in graft writes VM memory besides the GC threshold.
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { Lifetime } from "quickjs-emscripten-core";
import { CLASS, GC_HEADER, GcType, JSVALUE_SIZE, OBJECT, TAG } from "./layout.js";
import { dropReferences } from "./instances.js";
import { HeapReadError, VmMemory } from "./memory.js";

interface ContextInternals {
  ctx: { value: number };
  rt: { value: number };
  module: { HEAPU8: Uint8Array };
  ffi: {
    QTS_DupValuePointer(ctx: number, value: number): number;
    QTS_FreeValuePointer(ctx: number, value: number): void;
  };
  runtime: unknown;
  memory: { heapValueHandle(pointer: number): QuickJSHandle };
}

type Pointer = QuickJSHandle["value"];

/**
 * Elements are tied to their group in chunks of this many: a FinalizationRegistry on a
 * chunk learns when the host dropped every element of it, and the array stops holding those
 * objects. One registration per element would cost about as much as finding them.
 */
export const CHUNK_SIZE = 16;

/**
 * What the host keeps of a group for as long as it runs: the array, and the JSValues of
 * elements that made one of their own. Nothing here refers to the group or its chunks (the
 * finalizers' targets).
 */
export class FoundObjectsCore {
  /** JSValue pointers of elements that made their own, by index (freed by their owner, a chunk's finalizer, or here at the end). */
  readonly materialized = new Map<number, number>();
  /** ElementHandle's copier (dupable), one per group rather than one closure per element. */
  readonly copy: (value: Pointer) => Pointer;
  private remaining: number;
  /** 1 where the slot was released (its element disposed, or dropped with its chunk). */
  private readonly released: Uint8Array;
  private cachedMemory: VmMemory | undefined;

  constructor(
    readonly context: QuickJSContext,
    /** The VM array holding every found object; disposed when no element needs it any more. */
    readonly array: QuickJSHandle,
    count: number,
  ) {
    this.remaining = count;
    this.released = new Uint8Array(count);
    const internals = context as unknown as ContextInternals;
    this.copy = (value) => internals.ffi.QTS_DupValuePointer(internals.ctx.value, value as number) as Pointer;
  }

  get alive(): boolean {
    return this.array.alive;
  }

  /** The JSValue in slot `index` of the array, or 0 if the slot was cleared. */
  slot(index: number): number {
    const memory = this.memory();
    const values = memory.u32(this.arrayAddress(memory) + OBJECT.arrayValues, "array values");
    const slot = values + index * JSVALUE_SIZE;
    return memory.i32(slot + 4, "array element") === TAG.object ? slot : 0;
  }

  /** Slot `index` is no longer needed: the array stops holding its object (JS_FreeValue semantics). */
  release(index: number): void {
    if (!this.array.alive || this.released[index] === 1) return;
    this.released[index] = 1;
    if (--this.remaining <= 0) {
      this.dispose();
      return;
    }
    const memory = this.memory();
    const slot = this.slot(index);
    if (slot === 0) return;
    const object = memory.u32(slot, "array element");
    const refCount = memory.i32(object + GC_HEADER.refCount, "ref_count");
    if (refCount > 1) {
      // Others hold it too: a plain decrement, as JS_FreeValue does when the count stays above 0.
      memory.signedWords[(object + GC_HEADER.refCount) >>> 2] = refCount - 1;
      memory.signedWords[(slot + 4) >>> 2] = TAG.undefined;
      memory.words[slot >>> 2] = 0;
    } else {
      // The array is its last holder: let QuickJS free it.
      this.context.setProp(this.array, index, this.context.undefined);
    }
  }

  /** The element at `index` made its own JSValue (`pointer`), or freed it (undefined). */
  setMaterialized(index: number, pointer: number | undefined): void {
    if (pointer === undefined) this.materialized.delete(index);
    else this.materialized.set(index, pointer);
  }

  /** Frees an element's own JSValue. */
  freeValue(pointer: number): void {
    const context = this.context as unknown as ContextInternals;
    if (this.context.alive) context.ffi.QTS_FreeValuePointer(context.ctx.value, pointer);
  }

  /**
   * The host dropped every element of [start, end) (their chunk was collected): their own
   * JSValues are freed, and the array stops holding their objects.
   */
  releaseDropped(start: number, end: number): void {
    for (let index = start; index < end && this.array.alive; index++) {
      const pointer = this.materialized.get(index);
      if (pointer !== undefined) {
        this.materialized.delete(index);
        this.freeValue(pointer);
      }
      this.release(index);
    }
  }

  /** Read-only handles on the elements' own JSValues (what the heap tools attribute to the host). */
  materializedHandles(): QuickJSHandle[] {
    return [...this.materialized.values()].map((pointer) => ({ value: pointer, alive: true }) as unknown as QuickJSHandle);
  }

  /** Frees the array (and so every object only it held) and every element JSValue still alive. */
  dispose(): void {
    for (const pointer of this.materialized.values()) this.freeValue(pointer);
    this.materialized.clear();
    if (this.array.alive) this.array.dispose();
  }

  /** Views of VM memory, made again only after the memory grew (releasing many elements reads it once each). */
  private memory(): VmMemory {
    const internals = this.context as unknown as ContextInternals;
    const heap = internals.module.HEAPU8;
    if (this.cachedMemory === undefined || this.cachedMemory.bytes.buffer !== heap.buffer || this.cachedMemory.bytes.length !== heap.length) {
      this.cachedMemory = new VmMemory(heap, internals.rt.value);
    }
    return this.cachedMemory;
  }

  private arrayAddress(memory: VmMemory): number {
    return memory.u32((this.array as unknown as { value: number }).value, "array handle");
  }
}

/**
 * The group itself: what each chunk points to. It is reachable only from its elements
 * (through their chunks), so a FinalizationRegistry on it learns when the host dropped all of them.
 */
export class FoundObjects {
  constructor(readonly core: FoundObjectsCore | undefined, readonly count: number) {}
}

/**
 * Elements [start, end) of a group (see CHUNK_SIZE): what the host's values for them point
 * to, and so what a FinalizationRegistry watches to learn that the host dropped all of them.
 */
export class FoundChunk {
  constructor(
    readonly group: FoundObjects,
    readonly start: number,
    readonly end: number,
  ) {}
}

/** A handle on element `index` of `chunk`'s group; it makes a JSValue of its own on first use. */
export function elementHandle(chunk: FoundChunk, index: number): QuickJSHandle {
  return new ElementHandle(chunk, index) as unknown as QuickJSHandle;
}

/** Whether `handle` is an element of a FoundObjects group (it is not in the embedder's own handle lists). */
export function isFoundElement(handle: QuickJSHandle): boolean {
  return handle instanceof ElementHandle;
}

/** A QuickJSHandle whose JSValue is made from the group's array slot on first use. */
class ElementHandle extends Lifetime<Pointer, Pointer, unknown> {
  constructor(
    private readonly chunk: FoundChunk,
    private readonly index: number,
  ) {
    const core = chunk.group.core!;
    super(0 as Pointer, core.copy, undefined, (core.context as unknown as ContextInternals).runtime);
  }

  private get core(): FoundObjectsCore {
    return this.chunk.group.core!;
  }

  // The group frees every element's own JSValue when it is disposed (with the runtime): an
  // element is alive only while its group is.
  override get alive(): boolean {
    return this._alive && this.core.alive;
  }

  override get value(): Pointer {
    if (!this.alive) throw new Error("graft: this handle has been disposed");
    if (this._value === 0) {
      const core = this.core;
      const slot = core.slot(this.index);
      if (slot === 0) throw new Error("graft: this found object has been released");
      const context = core.context as unknown as ContextInternals;
      const pointer = context.ffi.QTS_DupValuePointer(context.ctx.value, slot);
      if (pointer === 0) throw new Error("graft: out of VM memory while making a handle");
      (this as unknown as { _value: number })._value = pointer;
      core.setMaterialized(this.index, pointer);
    }
    return this._value;
  }

  override dup(): Lifetime<Pointer, Pointer, unknown> {
    const context = this.core.context as unknown as ContextInternals;
    return context.memory.heapValueHandle(context.ffi.QTS_DupValuePointer(context.ctx.value, this.value as number)) as unknown as Lifetime<Pointer, Pointer, unknown>;
  }

  override dispose(): void {
    if (!this._alive) return;
    this._alive = false;
    const core = this.core;
    if (this._value !== 0) {
      // Freed here unless the group already freed it (disposed whole).
      if (core.materialized.get(this.index) === this._value) {
        core.setMaterialized(this.index, undefined);
        core.freeValue(this._value as number);
      }
    }
    core.release(this.index);
  }
}

/**
 * Holds `addresses` (live objects, found right after a full GC with no VM code run since)
 * in one VM array made in `context`. `makeArray(n)` must return a handle on a new dense
 * Array of n zeros (a VM call, run under the embedder's time budget). With
 * `referencesTaken`, each object's ref_count was already raised for its slot (findInstances'
 * takeReferences); they are given back if the array cannot be made.
 */
export function holdObjects(context: QuickJSContext, addresses: ArrayLike<number>, makeArray: (count: number) => QuickJSHandle, referencesTaken = false): FoundObjects {
  const count = addresses.length;
  if (count === 0) return new FoundObjects(undefined, 0);
  const internals = context as unknown as ContextInternals;
  /** Slots [0, installed) hold their object: freeing the array gives those references back. */
  let installed = 0;
  let array: QuickJSHandle | undefined;
  try {
    array = makeArray(count);
    const memory = new VmMemory(internals.module.HEAPU8, internals.rt.value);
    const object = memory.u32((array as unknown as { value: number }).value, "array handle");
    if (memory.i32((array as unknown as { value: number }).value + 4) !== TAG.object || (memory.u8(object + GC_HEADER.typeByte) & 0x0f) !== GcType.Object || memory.u16(object + OBJECT.classId) !== CLASS.array) {
      throw new HeapReadError(object, "the holder array");
    }
    if ((memory.u8(object + OBJECT.flagsByte) & OBJECT.fastArrayBit) === 0 || memory.u32(object + OBJECT.arrayCount) !== count) {
      throw new HeapReadError(object, `a dense holder array of ${count} elements`);
    }
    const values = memory.u32(object + OBJECT.arrayValues, "array values");
    memory.u32(values + count * JSVALUE_SIZE - 4, "array values"); // bounds check of the whole block
    const { words, signedWords } = memory;
    const limit = memory.bytes.length - GC_HEADER.size;
    const intTag = TAG.int;
    const objectTag = TAG.object;
    for (let slot = values >>> 2; installed < count; installed++, slot += JSVALUE_SIZE >>> 2) {
      const address = addresses[installed]!;
      if (signedWords[slot + 1] !== intTag) throw new HeapReadError(slot << 2, "a holder array slot");
      if (address <= 0 || address > limit || (address & 3) !== 0) throw new HeapReadError(address, "a found object");
      if (!referencesTaken) signedWords[(address + GC_HEADER.refCount) >>> 2]! += 1;
      words[slot] = address;
      signedWords[slot + 1] = objectTag;
    }
  } catch (error) {
    if (referencesTaken) {
      const rest = Array.prototype.slice.call(addresses, installed) as number[];
      dropReferences(new VmMemory(internals.module.HEAPU8, internals.rt.value), rest);
    }
    array?.dispose();
    throw error;
  }
  return new FoundObjects(new FoundObjectsCore(context, array, count), count);
}
