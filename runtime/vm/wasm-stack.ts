/**
 * The emscripten stack of a QuickJS instance: a region of its linear memory whose top
 * lives in the instance's `__stack_pointer` global. C code restores that global in each
 * function's epilogue. When V8's own stack overflows
 * while WebAssembly runs (WASM frames live on V8's stack, and QuickJS's parser and JSON
 * code use far more of it per level than of the emscripten stack that QuickJS's limit
 * watches), V8 throws a RangeError through the WASM frames: no epilogue runs, the global
 * stays where the deepest frame left it, and from then on every call starts lower on the
 * stack, until ordinary recursion fails with "stack overflow" (when one instance served
 * every runtime, all of them did). The same
 * holds for JSRuntime.current_stack_frame, left pointing into the abandoned frames.
 *
 * graft saves both at every entry into the VM and puts them back when an entry ends by
 * a host exception (see Vm.guard). The module does not export its stack helpers by
 * name; the pinned build's minified exports are found at load time and proven by
 * `verify` (save, allocate, restore), so another build fails loudly here.
 */
export interface WasmStackExports {
  /** emscripten_stack_get_current(): the stack pointer. */
  current(): number;
  /** _emscripten_stack_restore(sp). */
  restore(pointer: number): void;
  /** _emscripten_stack_alloc(bytes): lowers the stack pointer, returns the new one. */
  alloc(bytes: number): number;
}

/** Export names of the stack helpers in @jitl/quickjs-wasmfile-release-sync 0.32.0. */
const EXPORT_NAMES = { current: "Oa", restore: "Ma", alloc: "Na" } as const;

/** What graft uses of the WebAssembly API (the project's libs have no DOM types). */
interface WasmInstance {
  exports: Record<string, unknown>;
}
declare const WebAssembly: {
  Instance: new (module: object, imports: unknown) => WasmInstance;
};

/**
 * Emscripten's `instantiateWasm` hook: instantiates synchronously (a failure then fails the
 * module load instead of leaving it waiting), hands the instance over with its exports as
 * `wrapExports` makes them (see wasm-traps.ts), returns the stack helpers (unwrapped).
 */
export function instantiateQuickJS(
  compiled: object,
  imports: unknown,
  receive: (instance: WasmInstance) => void,
  wrapExports: (exports: Record<string, unknown>) => Record<string, unknown>,
): WasmStackExports {
  const instance = new WebAssembly.Instance(compiled, imports);
  const stack = wasmStackExports(instance.exports);
  receive({ exports: wrapExports(instance.exports) });
  return stack;
}

/** Picks the stack helpers out of the instance's exports and proves they are what they seem. */
function wasmStackExports(exports: Record<string, unknown>): WasmStackExports {
  const current = exports[EXPORT_NAMES.current];
  const restore = exports[EXPORT_NAMES.restore];
  const alloc = exports[EXPORT_NAMES.alloc];
  if (typeof current !== "function" || typeof restore !== "function" || typeof alloc !== "function") {
    throw new Error("graft: the QuickJS WebAssembly module has no stack helpers where graft expects them; graft needs exactly @jitl/quickjs-wasmfile-release-sync 0.32.0");
  }
  const stack: WasmStackExports = {
    current: current as () => number,
    restore: restore as (pointer: number) => void,
    alloc: alloc as (bytes: number) => number,
  };
  verify(stack);
  return stack;
}

function verify(stack: WasmStackExports): void {
  const before = stack.current();
  const allocated = stack.alloc(64);
  const lowered = stack.current();
  stack.restore(before);
  const after = stack.current();
  if (!(allocated === lowered && before - lowered >= 64 && before - lowered < 128 && after === before)) {
    throw new Error("graft: the QuickJS WebAssembly module's stack helpers do not behave as graft expects; graft needs exactly @jitl/quickjs-wasmfile-release-sync 0.32.0");
  }
}
