import type { QuickJSContext, QuickJSHandle, VmCallResult } from "quickjs-emscripten-core";

/**
 * The parts of quickjs-emscripten 0.32.0 a direct call uses (graft pins that version, as it
 * pins QuickJS's memory layout): the context's FFI and its handle maker.
 */
interface ContextInternals {
  ctx: { value: number };
  ffi: {
    QTS_Call(ctx: number, fn: number, thisValue: number, argc: number, argvPointers: number): number;
    QTS_ResolveException(ctx: number, value: number): number;
    QTS_FreeValuePointer(ctx: number, value: number): void;
  };
  memory: { heapValueHandle(pointer: number): QuickJSHandle };
}

/** What the emscripten module gives a direct call: its allocator. */
export interface EmscriptenAllocator {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** Arguments a direct call passes in its own buffer; a call with more goes through callFunction. */
const SLOTS = 16;
/** JS_TAG_EXCEPTION in the high word of a (NaN-boxed) JSValue. */
const TAG_EXCEPTION = 6;

/**
 * `context.callFunction(fn, thisValue, ...args)` as one call into the VM with no allocation:
 * quickjs-emscripten's callFunction mallocs and frees an array of argument pointers and asks
 * the VM again whether the result is an exception, on every call (a quarter of a host call's
 * time). Here the pointers go in one buffer made once (QTS_Call copies them to its own stack
 * before any script runs, so a nested call may reuse the buffer), and the result's tag is
 * read from memory. Same result, same handles, same ownership as callFunction.
 */
export class DirectCall {
  private argv = 0;

  constructor(
    private readonly allocator: EmscriptenAllocator,
    /** The VM's memory as 32-bit words, re-derived at each use (memory grows). */
    private readonly heap32: () => Int32Array,
  ) {}

  call(context: QuickJSContext, fn: QuickJSHandle, thisValue: QuickJSHandle, args: readonly QuickJSHandle[]): VmCallResult<QuickJSHandle> {
    if (args.length > SLOTS) return context.callFunction(fn, thisValue, ...args);
    if (this.argv === 0) {
      this.argv = this.allocator._malloc(SLOTS * 4);
      if (this.argv === 0) return context.callFunction(fn, thisValue, ...args);
    }
    const internals = context as unknown as ContextInternals;
    const fnPointer = fn.value as unknown as number;
    const thisPointer = thisValue.value as unknown as number;
    let heap = this.heap32();
    const first = this.argv >> 2;
    for (let i = 0; i < args.length; i++) heap[first + i] = args[i]!.value as unknown as number;
    const ctx = internals.ctx.value;
    const result = internals.ffi.QTS_Call(ctx, fnPointer, thisPointer, args.length, this.argv);
    heap = this.heap32();
    if (heap[(result + 4) >> 2] === TAG_EXCEPTION) {
      const error = internals.ffi.QTS_ResolveException(ctx, result);
      internals.ffi.QTS_FreeValuePointer(ctx, result);
      return { error: internals.memory.heapValueHandle(error) };
    }
    return { value: internals.memory.heapValueHandle(result) };
  }

  /** Frees the buffer (before the VM is). */
  dispose(): void {
    if (this.argv !== 0) this.allocator._free(this.argv);
    this.argv = 0;
  }
}
