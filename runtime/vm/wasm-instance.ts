import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSSyncVariant, type QuickJSWASMModule } from "quickjs-emscripten-core";
import releaseSyncVariant from "@jitl/quickjs-wasmfile-release-sync";
import { repairStaleViews } from "./wasm-views.js";
import { instantiateQuickJS, type WasmStackExports } from "./wasm-stack.js";
import { repairQuickJSWasm } from "./wasm-patch.js";
import { repairBytecodeOutOfMemory } from "./wasm-patch-dbuf.js";
import { addLoopDeadline, DEADLINE_EXPORT, STOPPED_EXPORT } from "./wasm-deadline.js";
import { newCrashState, trapGuardedExports, type CrashState } from "./wasm-traps.js";
import { VmOutOfMemory } from "./vm-out-of-memory.js";
import { formatBytes } from "../format-bytes.js";

/** The pinned build's minified export of malloc (emscripten-module.mjs: `_malloc=b.v`). */
const MALLOC_EXPORT = "v";

/**
 * The instance's malloc, as the host calls it, refusing to return NULL. quickjs-emscripten
 * copies host strings (evalCode's source, newString) into the VM through `_malloc` without
 * looking at the result: in a VM full to memoryLimit malloc gives 0 and the string was
 * written at address 0, over the C library's static data (malloc's own bins among them), and
 * the next allocation trapped ("memory access out of bounds" in malloc: reloading a big
 * file into a full VM crashed it). A failed allocation for the host is a VmOutOfMemory instead.
 */
function checkedMalloc(malloc: (bytes: number) => number, memoryLimit: number): (bytes: number) => number {
  return (bytes) => {
    const pointer = malloc(bytes);
    if (pointer === 0 && bytes > 0) throw new VmOutOfMemory(`copying ${formatBytes(bytes)} from the host into the VM (a string, source code, arguments)`, memoryLimit);
    return pointer;
  };
}

/** The part of the WebAssembly global graft uses (the project's libs have no DOM types). */
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<CompiledModule>;
  Memory: new (descriptor: { initial: number; maximum: number }) => object;
};
type CompiledModule = object & { readonly __compiledWasm?: never };

const PAGE_BYTES = 64 * 1024;
/** What the pinned build's memory starts at: static data, the C stack, the first heap pages. */
export const INITIAL_MEMORY_BYTES = 16 * 1024 * 1024;
/** wasm32 as built by emscripten here: 32768 pages. */
export const MAX_MEMORY_BYTES = 2 * 1024 * 1024 * 1024;

let compiled: Promise<CompiledModule> | undefined;

/** How often the instance's memory refused to grow: each refusal is a failed allocation in the VM. */
export interface GrowthWatch {
  /** Refusals at the memory's maximum (memoryLimit): the VM is out of memory. */
  refusals: number;
  /**
   * Asked before each growth: true refuses it (the allocation fails as if the memory were
   * full). The VM refuses growth once a call's deadline has passed (see Vm).
   */
  refuse: (() => boolean) | undefined;
}

const growthWatches = new WeakMap<QuickJSWASMModule, GrowthWatch>();
const stacks = new WeakMap<QuickJSWASMModule, WasmStackExports>();
const crashes = new WeakMap<QuickJSWASMModule, CrashState>();

/** The outside stop's deadline (Date.now ms; +Infinity: none) of an instance: see wasm-deadline.ts. */
export interface OutsideDeadline {
  value: number;
}
const outsideDeadlines = new WeakMap<QuickJSWASMModule, OutsideDeadline>();

/** The outside stop's deadline of an instance made by newQuickJSInstance. */
export function outsideDeadlineOf(module: QuickJSWASMModule): OutsideDeadline {
  const deadline = outsideDeadlines.get(module);
  if (!deadline) throw new Error("graft: this QuickJS module was not made by newQuickJSInstance");
  return deadline;
}

const quiet = new WeakMap<QuickJSWASMModule, { on: boolean }>();

/** Runs `work` with the instance's error printing off (emscripten prints an abort before throwing it). */
export function quietly<T>(module: QuickJSWASMModule, work: () => T): T {
  const switchOf = quiet.get(module);
  if (!switchOf) return work();
  switchOf.on = true;
  try {
    return work();
  } finally {
    switchOf.on = false;
  }
}

/** The emscripten stack helpers of an instance made by newQuickJSInstance. */
export function stackOf(module: QuickJSWASMModule): WasmStackExports {
  const stack = stacks.get(module);
  if (!stack) throw new Error("graft: this QuickJS module was not made by newQuickJSInstance");
  return stack;
}

/** Whether (and why) an instance made by newQuickJSInstance crashed: see wasm-traps.ts. */
export function crashOf(module: QuickJSWASMModule): CrashState {
  const crash = crashes.get(module);
  if (!crash) throw new Error("graft: this QuickJS module was not made by newQuickJSInstance");
  return crash;
}

/** The growth watch of an instance made by newQuickJSInstance (a dummy for any other). */
export function growthOf(module: QuickJSWASMModule): GrowthWatch {
  return growthWatches.get(module) ?? { refusals: 0, refuse: undefined };
}

/** Counts the growths the memory refuses at its maximum (emscripten then fails the malloc). */
function watchGrowth(memory: object): GrowthWatch {
  const watch: GrowthWatch = { refusals: 0, refuse: undefined };
  const target = memory as { grow(pages: number): number };
  const grow = target.grow.bind(target);
  target.grow = (pages: number): number => {
    // Thrown as the maximum's refusal is: emscripten's heap growth catches it and fails the malloc.
    if (watch.refuse?.()) throw new RangeError("graft: memory growth refused (the call is past its deadline)");
    try {
      return grow(pages);
    } catch (error) {
      watch.refusals++;
      throw error;
    }
  };
  return watch;
}

/** The pinned build's WebAssembly module, compiled once per process. */
function compiledQuickJS(): Promise<CompiledModule> {
  compiled ??= readFile(createRequire(import.meta.url).resolve("@jitl/quickjs-wasmfile-release-sync/wasm")).then((bytes) => WebAssembly.compile(addLoopDeadline(repairBytecodeOutOfMemory(repairQuickJSWasm(bytes)))));
  return compiled;
}

/**
 * A QuickJS instance of its own, with linear memory capped at the runtime's memory limit.
 *
 * QuickJS's own limit cannot hold on this build: its allocator counts each block's
 * `malloc_usable_size`, which is 0 under emscripten, so `JS_SetMemoryLimit` only stops a
 * single allocation larger than the limit, and a loop of smaller ones grows linear memory
 * to 2 GiB before anything fails. With the memory's `maximum` set, emscripten's heap
 * growth fails at the cap, malloc returns NULL and QuickJS raises "out of memory" in the
 * script that allocated. An instance per runtime also means a runtime's memory is released
 * when it is disposed, and that nothing one runtime does to its WASM state reaches another.
 */
export async function newQuickJSInstance(memoryLimit: number): Promise<QuickJSWASMModule> {
  const maximumBytes = Math.min(MAX_MEMORY_BYTES, INITIAL_MEMORY_BYTES + Math.ceil(memoryLimit / PAGE_BYTES) * PAGE_BYTES);
  const wasmMemory = new WebAssembly.Memory({ initial: INITIAL_MEMORY_BYTES / PAGE_BYTES, maximum: maximumBytes / PAGE_BYTES });
  const growth = watchGrowth(wasmMemory);
  const compiledModule = await compiledQuickJS();
  let stack: WasmStackExports | undefined;
  let outsideDeadline: OutsideDeadline | undefined;
  const quietSwitch = { on: false };
  const crash = newCrashState(memoryLimit);
  const variant = newVariant(releaseSyncVariant as unknown as QuickJSSyncVariant, {
    wasmMemory: wasmMemory as never,
    emscriptenModule: {
      printErr: (text: string) => {
        if (!quietSwitch.on) console.error(text);
      },
      // Instantiated by graft rather than by the library, so that graft keeps the exports.
      instantiateWasm(imports: unknown, receive: (instance: unknown) => void) {
        stack = instantiateQuickJS(compiledModule, imports, receive, (exports) => {
          outsideDeadline = exports[DEADLINE_EXPORT] as OutsideDeadline;
          const stopped = exports[STOPPED_EXPORT] as { value: number };
          crash.stoppedAtDeadline = () => stopped.value === 1;
          const malloc = exports[MALLOC_EXPORT];
          if (typeof malloc !== "function") throw new Error("graft: the QuickJS WebAssembly module has no malloc where graft expects it; graft needs exactly @jitl/quickjs-wasmfile-release-sync 0.32.0");
          return trapGuardedExports({ ...exports, [MALLOC_EXPORT]: checkedMalloc(malloc as (bytes: number) => number, memoryLimit) }, crash);
        });
        return {};
      },
    } as never,
  });
  const module = await newQuickJSWASMModuleFromVariant(variant);
  if (!stack || !outsideDeadline) throw new Error("graft: the QuickJS module was instantiated without graft's hook");
  repairStaleViews(module);
  growthWatches.set(module, growth);
  stacks.set(module, stack);
  quiet.set(module, quietSwitch);
  crashes.set(module, crash);
  outsideDeadlines.set(module, outsideDeadline);
  return module;
}
