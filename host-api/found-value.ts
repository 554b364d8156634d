import type { QuickJSHandle } from "quickjs-emscripten-core";
import { elementHandle, FoundChunk, FoundObjects } from "../runtime/heap/found-objects.js";
import { GraftError } from "./errors.js";
import { ScriptValue, type ValueBridge } from "./script-value.js";

/**
 * Values [start, end) of a findInstances result, and what those values would otherwise each
 * hold themselves: the bridge, the handles of the ones used, which were kept or disposed
 * (a bit each). The chunk is also what the bridge's FinalizationRegistry watches (see
 * CHUNK_SIZE in runtime/heap/found-objects.ts).
 */
export class FoundValueChunk extends FoundChunk {
  /** Handles of the values used, by offset in the chunk (made on first use). */
  handles: (QuickJSHandle | undefined)[] | undefined = undefined;
  keptBits = 0;
  disposedBits = 0;

  constructor(
    group: FoundObjects,
    start: number,
    end: number,
    readonly bridge: ValueBridge,
  ) {
    super(group, start, end);
  }
}

/**
 * A value findInstances found. It has two fields, its chunk and its index: V8 copies every
 * young object that survives a scavenge, and 3x10^5 values of the six fields a ScriptValue
 * would have (72 bytes) overflow the young generation where 40-byte ones fit, so finding
 * them cost more than the heap walk that found them. Its VM handle (on its slot of the
 * group's array, see runtime/heap/found-objects.ts) is made on first use; disposing an
 * unused value only clears its slot.
 */
export class FoundValue extends ScriptValue {
  /** @internal */
  constructor(
    private chunk: FoundValueChunk,
    private readonly index: number,
  ) {
    super();
  }

  protected override get bridge(): ValueBridge {
    return this.chunk.bridge;
  }

  override get kept(): boolean {
    return (this.chunk.keptBits & this.bit) !== 0;
  }

  override set kept(kept: boolean) {
    this.chunk.keptBits = kept ? this.chunk.keptBits | this.bit : this.chunk.keptBits & ~this.bit;
  }

  override get isReference(): boolean {
    return !this.disposed;
  }

  override get alive(): boolean {
    if (this.disposed) return false;
    const handle = this.usedHandle;
    return handle === undefined ? this.chunk.group.core!.alive : handle.alive;
  }

  protected override get disposed(): boolean {
    return (this.chunk.disposedBits & this.bit) !== 0;
  }

  protected override get primitive(): unknown {
    return undefined;
  }

  override dispose(): void {
    if (this.disposed) return;
    // A crashed VM is never entered again (its instance is dropped whole at dispose).
    if (this.bridge.vm.crashed === undefined) {
      const handle = this.usedHandle;
      if (handle !== undefined) handle.dispose(); // frees its own JSValue, and the slot
      else this.chunk.group.core!.release(this.index);
    }
    if (this.chunk.handles !== undefined) this.chunk.handles[this.index - this.chunk.start] = undefined;
    this.chunk.disposedBits |= this.bit;
    // A disposed value no longer holds its chunk: the rest of it may be let go of while the host keeps this one.
    this.chunk = disposedChunk(this.bridge);
  }

  /** @internal */
  protected override liveHandle(): QuickJSHandle {
    const bridge = this.bridge;
    if (bridge.vm.crashed !== undefined && !bridge.closing) throw bridge.vm.crashError();
    if (this.disposed) throw new GraftError("this ScriptValue has been disposed (or its runtime has)");
    let handle = this.usedHandle;
    if (handle === undefined) {
      handle = elementHandle(this.chunk, this.index);
      (this.chunk.handles ??= new Array<QuickJSHandle | undefined>(this.chunk.end - this.chunk.start))[this.index - this.chunk.start] = handle;
    }
    if (!handle.alive || bridge.closing) throw new GraftError("this ScriptValue has been disposed (or its runtime has)");
    return handle;
  }

  private get usedHandle(): QuickJSHandle | undefined {
    return this.chunk.handles?.[this.index - this.chunk.start];
  }

  private get bit(): number {
    return 1 << (this.index - this.chunk.start);
  }
}

/** Per runtime, the chunk every disposed FoundValue points to: all of its bits read as disposed, and it holds no group. */
const disposedChunks = new WeakMap<ValueBridge, FoundValueChunk>();

function disposedChunk(bridge: ValueBridge): FoundValueChunk {
  let chunk = disposedChunks.get(bridge);
  if (chunk === undefined) {
    chunk = new FoundValueChunk(new FoundObjects(undefined, 0), 0, 0, bridge);
    chunk.disposedBits = -1;
    disposedChunks.set(bridge, chunk);
  }
  return chunk;
}
