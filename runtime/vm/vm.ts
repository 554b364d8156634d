import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule, VmCallResult } from "quickjs-emscripten-core";
import { dumpThrown } from "../async/dump-thrown.js";
import { interruptAtNextCall } from "../async/job-cutoff.js";
import { CONTEXT, LIST, RUNTIME } from "../heap/layout.js";
import { firstJobRealm, pendingJobSite, runningFunction, type FunctionSite } from "./running-function.js";
import { crashOf, growthOf, newQuickJSInstance, outsideDeadlineOf, quietly, stackOf, type GrowthWatch, type OutsideDeadline } from "./wasm-instance.js";
import { crashError, type CrashState, type VmCrashed } from "./wasm-traps.js";
import { formatBytes } from "../format-bytes.js";
import type { WasmStackExports } from "./wasm-stack.js";
import { DirectCall, type EmscriptenAllocator } from "./direct-call.js";
import { withoutCollections } from "./gc-threshold.js";
import { GraftError } from "../graft-error.js";
import { VmOutOfMemory } from "./vm-out-of-memory.js";

export { VmOutOfMemory };

/** A QuickJS instance (its own linear memory, capped at `memoryLimit`) for one runtime. */
export function loadQuickJS(memoryLimit: number): Promise<QuickJSWASMModule> {
  return newQuickJSInstance(memoryLimit);
}

/**
 * QuickJS's own stack limit, in bytes of the emscripten stack. It must trip before V8's
 * stack (about 1 MB on Node's main thread, which the WASM frames share) overflows: QuickJS
 * code uses 2 to 11 times more V8 stack than emscripten stack per level (JSON.stringify of
 * nested arrays is the worst measured path short of the parser, whose input
 * runtime/compile/nesting.ts bounds). 64 KB allows about 350 levels of plain JS recursion.
 */
export const MAX_STACK_BYTES = 64 * 1024;

/** Thrown when V8's stack overflowed while QuickJS ran: the VM state has been put back. */
export class HostStackOverflow extends Error {
  constructor() {
    super("stack overflow: the script ran out of host stack inside the VM (recursion or nesting too deep)");
    this.name = "HostStackOverflow";
  }
}

/** Whether a dumped VM exception is QuickJS running out of memory (null, when it could not even build the error). */
export function isOutOfMemoryValue(dumped: unknown): boolean {
  if (dumped === null || dumped === undefined || dumped === "") return true;
  const record = dumped as { name?: unknown; message?: unknown };
  return typeof record === "object" && record.message === "out of memory";
}

export interface VmOptions {
  memoryLimit: number;
  timeout: number;
}

/** What the VM tells its owner, given at construction. */
export interface VmListener {
  /**
   * A thrown VM value as plain data ({ name, message, stack } for an error); without it,
   * quickjs-emscripten's dump (which may run script code: getters, toJSON, traps). The
   * runtime gives the kernel's reader, which runs none.
   */
  describeThrown?(context: QuickJSContext, handle: QuickJSHandle): unknown;
  /**
   * A promise job failed outside any script's reach (see `drainJobs`); `realm` is the
   * context (pointer) of the first job a timeout stopped.
   */
  jobFailed?(dumped: unknown, timedOut: boolean, realm?: number): void;
  /** The first WebAssembly trap, synchronously inside the failed call (JavaScript-side work only). */
  crashed?(reason: string): void;
  /** A function site as the host should read it (file:line:column of the script as written). */
  siteText?(site: FunctionSite): string;
}

/**
 * How long past a call's deadline the outside stop waits (wasm-deadline.ts): the interrupt
 * handler and the refused memory growth stop what they can at the deadline itself; what is
 * still running in C code this much later is stopped from outside, which crashes the VM.
 * Half the timeout plus 50 ms keeps the whole call within 2x timeout + 100 ms.
 */
export function outsideStopGrace(timeout: number): number {
  return Math.floor(timeout / 2) + 50;
}

/** Jobs a timed-out drain stops one by one (each rejection may queue a few more). */
const MAX_STOPPED_JOBS = 100_000;
/** Promise jobs run between two looks at the clock. */
const JOB_BATCH = 64;

/** Raised by QuickJS when the interrupt handler stops a script. */
export const INTERRUPTED_MESSAGE = "interrupted";

/**
 * One QuickJS runtime shared by every script context. Owns the time budget: every
 * entry from the host into the VM runs under `guard`, which arms the deadline that the
 * interrupt handler checks (nested entries keep the outer deadline).
 */
export class Vm {
  readonly runtime: QuickJSRuntime;
  private deadline = Number.POSITIVE_INFINITY;
  private depth = 0;
  timedOut = false;
  /**
   * The current entry was stopped at its deadline by a refused memory growth (inside a long
   * C builtin, which then fails with "out of memory"): it timed out, it did not run out of memory.
   */
  stoppedAtGrowth = false;
  private readonly growth: GrowthWatch;
  private refusalsAtEntry = 0;
  private readonly stack: WasmStackExports;
  /** Set at the first WebAssembly trap: the VM is dead from then on (see wasm-traps.ts). */
  private readonly crash: CrashState;
  /** The module's outside-stop deadline (see wasm-deadline.ts), armed by the outermost entry. */
  private readonly outsideDeadline: OutsideDeadline;
  /** When the host call (or timer callback) now running began: its entries share one bound (see `asOneCall`). */
  private callStarted: number | undefined;
  /** How long past the deadline the outside stop waits (see outsideStopGrace). */
  private readonly outsideStopGrace: number;
  /** Whether entries arm the outside stop at all (tests of the cooperative stop alone turn it off). */
  outsideStopArmed = true;
  /** What the outermost entry runs (a host call, a timer callback, a file's top level), for the outside stop's report. */
  private entryWhat = "a call into the VM";
  private view: Int32Array | undefined;
  private readonly direct: DirectCall;
  /** The script function running when the current entry timed out. */
  private interruptedIn: FunctionSite | undefined;
  /** How many entries ended with V8's stack overflowing inside the VM (state put back). */
  hostStackOverflows = 0;

  constructor(
    private readonly module: QuickJSWASMModule,
    readonly options: VmOptions,
    private readonly listener: VmListener = {},
    /** Whether the runtime restarts a crashed VM (createRuntime's reloadOnCrash): its crash errors say so. */
    restartsOnCrash = false,
  ) {
    this.runtime = module.newRuntime();
    this.growth = growthOf(module);
    // QuickJS asks the interrupt handler only between bytecodes: a long C builtin
    // (Array.prototype.join, fill, String.prototype.repeat, JSON.stringify of a big value)
    // runs on past the deadline. Most of those allocate as they go, so once the deadline has
    // passed the memory refuses to grow: the builtin fails at its next growth, as if out of
    // memory, and the call ends as timed out (see `stoppedAtGrowth`).
    this.growth.refuse = () => {
      if (this.building || Date.now() <= this.deadline) return false;
      if (!this.timedOut) this.interruptedIn = runningFunction(this.emscriptenModule.HEAPU8, this.runtimePointer);
      this.timedOut = true;
      this.stoppedAtGrowth = true;
      return true;
    };
    this.stack = stackOf(module);
    this.direct = new DirectCall(this.emscriptenModule as unknown as EmscriptenAllocator, () => this.heap32());
    this.crash = crashOf(module);
    this.crash.timeout = options.timeout;
    this.outsideStopGrace = outsideStopGrace(options.timeout);
    this.crash.restarts = restartsOnCrash;
    this.crash.describeStop = () => {
      const site = runningFunction(this.emscriptenModule.HEAPU8, this.runtimePointer);
      const where = site && (listener.siteText?.(site) ?? `${site.evaluatedName}:${site.line}:${site.column}`);
      if (where) this.crash.stoppedFile = where.replace(/(:\d+){1,2}$/, "");
      return where ? `${this.entryWhat} (in ${where})` : this.entryWhat;
    };
    this.outsideDeadline = outsideDeadlineOf(module);
    this.crash.onCrash = listener.crashed && ((reason) => listener.crashed!(reason));
    this.runtime.setMemoryLimit(options.memoryLimit);
    this.runtime.setMaxStackSize(MAX_STACK_BYTES);
    this.checkStackLayout();
    this.runtime.setInterruptHandler(() => {
      // A nested call crashed the VM: stop the script that is still running on top of it.
      if (this.crash.reason !== undefined) return true;
      if (Date.now() > this.deadline) {
        if (!this.timedOut) this.interruptedIn = runningFunction(this.emscriptenModule.HEAPU8, this.runtimePointer);
        this.timedOut = true;
        return true;
      }
      return false;
    });
  }

  /** Every context made here, by its JSContext address. */
  private readonly contexts = new Map<number, QuickJSContext>();
  /** The address of each context's Object.prototype, to its JSContext address (see ValueClasses.realmOf). */
  readonly objectPrototypes = new Map<number, number>();
  private readonly objectPrototypeOf = new Map<number, number>();

  newContext(): QuickJSContext {
    let context: QuickJSContext;
    try {
      context = this.withoutCollections(() => this.runtime.newContext());
    } catch {
      // No room without a collection: once more, collecting as QuickJS would.
      context = this.runtime.newContext();
    }
    const pointer = contextPointer(context);
    if (pointer === 0) {
      // QuickJS had no memory for the context (JS_NewContext gave NULL), and quickjs-emscripten
      // wraps the NULL as a context: any use of it, disposing included, traps the VM.
      const runtime = this.runtime as unknown as { contextMap: Map<number, unknown>; callbacks: { deleteContext(pointer: number): void } };
      runtime.contextMap.delete(0);
      runtime.callbacks.deleteContext(0);
      throw this.outOfMemory("a new script context");
    }
    this.forgetContext(pointer);
    this.contexts.set(pointer, context);
    const heap = this.heap32();
    const classProto = heap[(pointer + CONTEXT.classProto) >> 2]! >>> 0;
    const objectPrototype = heap[(classProto + 8) >> 2]! >>> 0;
    this.objectPrototypes.set(objectPrototype, pointer);
    this.objectPrototypeOf.set(pointer, objectPrototype);
    return context;
  }

  /** Runs `work` (making contexts) with QuickJS's automatic collections held off: see gc-threshold.ts. */
  withoutCollections<T>(work: () => T, afterwards: "restore" | "as-collected" = "restore"): T {
    return withoutCollections(() => this.heap32(), this.runtimePointer, work, afterwards);
  }

  /** The live context at a JSContext address (a realm), if graft made it. */
  contextAt(pointer: number | undefined): QuickJSContext | undefined {
    if (pointer === undefined) return undefined;
    const context = this.contexts.get(pointer);
    if (context?.alive) return context;
    this.forgetContext(pointer);
    return undefined;
  }

  /** Drops what is known of a context (disposed, or its address reused). */
  private forgetContext(pointer: number): void {
    this.contexts.delete(pointer);
    const prototype = this.objectPrototypeOf.get(pointer);
    if (prototype !== undefined && this.objectPrototypes.get(prototype) === pointer) this.objectPrototypes.delete(prototype);
    this.objectPrototypeOf.delete(pointer);
  }

  /** A thrown VM value as plain data ({ name, message, stack } for an error): see VmListener.describeThrown. */
  describeThrown(context: QuickJSContext, handle: QuickJSHandle): unknown {
    return this.listener.describeThrown ? this.listener.describeThrown(context, handle) : dumpThrown(context, handle);
  }

  /**
   * Runs `work` (a call into the VM made to describe how the previous entry ended) and puts
   * back what that entry's outcome says: timed out, memory exhausted.
   */
  keepingOutcome<T>(work: () => T): T {
    const { timedOut, refusalsAtEntry, interruptedIn, stoppedAtGrowth } = this;
    try {
      return work();
    } finally {
      this.timedOut = timedOut;
      this.stoppedAtGrowth = stoppedAtGrowth;
      this.refusalsAtEntry = refusalsAtEntry;
      this.interruptedIn = interruptedIn;
    }
  }

  /** Set while the host builds VM values (see `whileBuilding`). */
  private building = false;

  /**
   * Runs host-side building of VM values (copies of host data, strings): memory growth is
   * not refused for the deadline meanwhile, so a big copy that takes longer than the
   * timeout completes whole instead of failing half-built. Script code it sets off (a setter
   * a script planted on a prototype) is still interrupted at the deadline.
   */
  whileBuilding<T>(work: () => T): T {
    const previous = this.building;
    const outside = this.outsideDeadline.value;
    const arming = this.crash.armEachCall;
    this.building = true;
    // The outside stop per call into the instance (see CrashState.armEachCall), not for the whole copy.
    this.outsideDeadline.value = Number.POSITIVE_INFINITY;
    if (this.outsideStopArmed) {
      this.crash.armEachCall = (scriptFree) => (this.outsideDeadline.value = scriptFree ? Number.POSITIVE_INFINITY : Date.now() + this.options.timeout + this.outsideStopGrace);
    }
    try {
      return work();
    } finally {
      this.building = previous;
      this.crash.armEachCall = arming;
      this.outsideDeadline.value = outside;
    }
  }

  /** Whether a call into the VM is under way (a host function is running inside it). */
  get busy(): boolean {
    return this.depth > 0;
  }

  /**
   * Set when the runtime is disposed while a call into the VM is under way: the VM is freed
   * once that call has unwound, and meanwhile no new entry starts and no job runs.
   */
  closing = false;

  /**
   * Runs `work`, one call as the host sees it (a host call, a timer callback) made of several
   * entries: the call itself, then the promise jobs it queued. Each entry has its own
   * `timeout`, but none runs past 2x timeout from the call's start (and the outside stop
   * past 2x timeout + 50 ms), so the call ends within 2x timeout + 100 ms.
   */
  asOneCall<T>(work: () => T): T {
    if (this.callStarted !== undefined) return work();
    // Set by its first entry (which reads the clock anyway).
    this.callStarted = 0;
    try {
      return work();
    } finally {
      this.callStarted = undefined;
    }
  }

  /**
   * Runs `work` with the timeout armed; the outermost entry owns the deadline. If `work`
   * ends by a host exception, the emscripten stack pointer and QuickJS's current stack
   * frame are put back as they were at entry (see wasm-stack.ts). `what` names the entry
   * for the outside stop's report; `outsideStop: false` (graft's own heap work, which runs
   * no script code and may rightly take longer than a script call) arms no outside stop.
   */
  guard<T>(work: () => T, what = "a call into the VM", outsideStop = true): T {
    if (this.closing && this.depth === 0) throw new GraftError("this graft runtime has been disposed");
    if (this.crash.reason !== undefined) throw crashError(this.crash);
    const stackPointer = this.stack.current();
    const heap = this.heap32();
    const frameIndex = (this.runtimePointer + RUNTIME.currentStackFrame) >> 2;
    const flagsIndex = (this.runtimePointer + RUNTIME.exceptionFlags) >> 2;
    const frame = heap[frameIndex]!;
    const flags = heap[flagsIndex]!;
    if (this.depth === 0) {
      const now = Date.now();
      this.deadline = now + this.options.timeout;
      let outside = this.deadline + this.outsideStopGrace;
      if (this.callStarted === 0) this.callStarted = now;
      if (this.callStarted !== undefined) {
        const last = this.callStarted + 2 * this.options.timeout;
        this.deadline = Math.min(this.deadline, last);
        outside = Math.min(outside, last + 50);
      }
      this.timedOut = false;
      this.stoppedAtGrowth = false;
      this.interruptedIn = undefined;
      this.refusalsAtEntry = this.growth.refusals;
      this.entryWhat = what;
      if (outsideStop && this.outsideStopArmed && !this.building) this.outsideDeadline.value = outside;
    }
    this.depth++;
    try {
      const result = work();
      // A nested entry (a host function's call back into the VM) crashed it: the script that
      // called that host function may have carried on, but nothing it returned is sound.
      if (this.crash.reason !== undefined) throw crashError(this.crash);
      return result;
    } catch (error) {
      if (this.stack.current() !== stackPointer) this.stack.restore(stackPointer);
      const now = this.heap32();
      now[frameIndex] = frame;
      now[flagsIndex] = flags;
      if (this.crash.reason !== undefined) throw error instanceof GraftError ? error : crashError(this.crash);
      if (error instanceof RangeError && /call stack/i.test(error.message)) {
        this.hostStackOverflows++;
        throw new HostStackOverflow();
      }
      throw error;
    } finally {
      this.depth--;
      if (this.depth === 0) {
        this.deadline = Number.POSITIVE_INFINITY;
        this.outsideDeadline.value = Number.POSITIVE_INFINITY;
      }
    }
  }

  /**
   * A thrown value as dumped; when the entry was stopped at its deadline by a refused growth
   * (QuickJS then throws "out of memory", or null), the interrupt it stands for.
   */
  asInterrupted(dumped: unknown): unknown {
    if (!this.stoppedAtGrowth || !isOutOfMemoryValue(dumped)) return dumped;
    return interruptedAt(this.interruptedIn) ?? { name: "InternalError", message: INTERRUPTED_MESSAGE, stack: "" };
  }

  /**
   * True if the VM's memory reached its cap since the last outermost entry: an exception
   * from that entry is an out-of-memory, even when QuickJS had no memory left to build the
   * error (it then throws null).
   */
  get memoryExhausted(): boolean {
    return this.growth.refusals > this.refusalsAtEntry;
  }

  /**
   * Runs queued promise jobs (async functions, then-callbacks, microtasks) under the time
   * budget. A chain of jobs that keeps queueing more is stopped at the timeout, and so is
   * every job still queued then (each is rejected at its first call, see
   * interruptAtNextCall): nothing of it runs on in later drains. A failure goes to
   * the listener's `jobFailed`, once per drain.
   */
  drainJobs(): void {
    if (this.closing || this.crash.reason !== undefined || !this.hasPendingJob()) return;
    this.guard(() => {
      const timedOutBefore = this.timedOut;
      let dumped: unknown;
      let failed = false;
      // In batches: a job stopped by the timeout only rejects its promise, and QuickJS's
      // own loop would go on with the next one (a queue that keeps growing never ends).
      // The chain's realm, in case the timeout stops its last queued job (then the queue is
      // empty and no script frame was on the stack: nothing else says whose it was).
      let batchRealm: number | undefined;
      while (this.runtime.hasPendingJob()) {
        batchRealm = firstJobRealm(this.emscriptenModule.HEAPU8, this.runtimePointer);
        const result = this.runtime.executePendingJobs(JOB_BATCH);
        if (result.error) {
          dumped = this.asInterrupted(this.describeThrown(result.error.context, result.error));
          result.error.dispose();
          failed = true;
          break;
        }
        if (this.timedOut) break;
      }
      const timedOut = this.timedOut && !timedOutBefore;
      let realm: number | undefined;
      if (timedOut) {
        // Stopped as a job started, no script frame is on the stack: the queue says whose it is.
        const queued = pendingJobSite(this.emscriptenModule.HEAPU8, this.runtimePointer);
        realm = queued?.realm ?? batchRealm;
        dumped = interruptedAt(this.interruptedIn ?? queued?.site) ?? dumped;
        this.stopPendingJobs();
      }
      if (failed || timedOut) this.listener.jobFailed?.(dumped, timedOut, realm);
    }, "promise jobs");
  }

  /** With the deadline passed: runs each queued job into an immediate interrupt. */
  private stopPendingJobs(): void {
    for (let job = 0; job < MAX_STOPPED_JOBS && this.runtime.hasPendingJob(); job++) {
      if (!interruptAtNextCall(this.emscriptenModule.HEAPU8, this.runtimePointer)) return;
      const result = this.runtime.executePendingJobs(1);
      if (result.error) result.error.dispose();
    }
  }

  /** A view of VM memory, re-derived whenever the memory has grown (its buffer replaced). */
  /**
   * Whether a promise job is queued: JSRuntime.job_list is not empty, read from memory (what
   * JS_IsJobPending answers, without a call into the VM after every host call).
   */
  private hasPendingJob(): boolean {
    const heap = this.heap32();
    const head = this.runtimePointer + RUNTIME.jobList;
    return heap[(head + LIST.next) >> 2] !== head;
  }

  private heap32(): Int32Array {
    // Memory that grew has a new buffer and the old one is detached: a view of it reads length 0.
    if (this.view === undefined || this.view.length === 0) this.view = new Int32Array(this.emscriptenModule.HEAPU8.buffer);
    return this.view;
  }

  /** The stack guard reads JSRuntime fields: prove their offsets on this build. */
  private checkStackLayout(): void {
    const heap = this.heap32();
    const stackSize = heap[(this.runtimePointer + RUNTIME.stackSize) >> 2];
    const frame = heap[(this.runtimePointer + RUNTIME.currentStackFrame) >> 2];
    const limit = heap[(this.runtimePointer + RUNTIME.mallocLimit) >> 2]! >>> 0;
    if (stackSize !== MAX_STACK_BYTES || frame !== 0 || limit !== this.options.memoryLimit) {
      throw new Error("graft: JSRuntime of this QuickJS build is not laid out as graft expects; graft needs exactly @jitl/quickjs-wasmfile-release-sync 0.32.0");
    }
  }

  /**
   * `context.callFunction(fn, thisValue, ...args)` without its per-call allocations (see
   * direct-call.ts); the caller runs it under `guard` like any entry.
   */
  callFunction(context: QuickJSContext, fn: QuickJSHandle, thisValue: QuickJSHandle, args: readonly QuickJSHandle[]): VmCallResult<QuickJSHandle> {
    return this.direct.call(context, fn, thisValue, args);
  }

  /** Pointer to the JSRuntime in linear memory, for the heap tools. */
  get runtimePointer(): number {
    return (this.rtPointer ??= (this.runtime as unknown as { rt: { value: number } }).rt.value);
  }

  /** The JSRuntime's address: fixed for the runtime's life, read on every call. */
  private rtPointer: number | undefined;

  /** The emscripten module whose HEAPU8 is the VM's linear memory. */
  get emscriptenModule(): { HEAPU8: Uint8Array } {
    return (this.runtime as unknown as { module: { HEAPU8: Uint8Array } }).module;
  }

  /** Whether the runtime restarts this VM when it crashes (its crash errors say so). */
  set restartsOnCrash(restarts: boolean) {
    this.crash.restarts = restarts;
  }

  /** The script file the outside stop stopped (see wasm-deadline.ts), if it stopped one. */
  get crashedIn(): string | undefined {
    return this.crash.stoppedFile;
  }

  /** Why the VM crashed (a WebAssembly trap), or undefined while it is sound: see wasm-traps.ts. */
  get crashed(): string | undefined {
    return this.crash.reason;
  }

  /** The error of graft's own VM work (`what`) that failed for want of VM memory. */
  outOfMemory(what: string, vmError?: unknown): VmOutOfMemory {
    return new VmOutOfMemory(what, this.options.memoryLimit, vmError);
  }

  /** The GraftError every call into a crashed VM gets. */
  crashError(): VmCrashed {
    return crashError(this.crash);
  }

  /**
   * Frees the runtime. After V8's stack overflowed inside the VM, objects that the
   * abandoned C frames held are never released, and QuickJS's final check
   * (`list_empty(&rt->gc_obj_list)`) would abort the dispose; the runtime has a WASM
   * instance of its own, which is dropped whole, so that check is moot then (and after the
   * VM ran out of memory, see below). A crashed
   * VM is not entered at all: its instance is dropped whole.
   */
  dispose(): void {
    if (this.crash.reason !== undefined) return;
    this.direct.dispose();
    this.runtime.removeInterruptHandler();
    // QuickJS's out-of-memory paths do not all release what they held (a failed allocation
    // in the middle of building an object can leave a reference behind): after the memory
    // refused to grow, the same leak check may fail, for the same moot reason.
    if (this.hostStackOverflows === 0 && this.growth.refusals === 0) {
      this.runtime.dispose();
      return;
    }
    try {
      quietly(this.module, () => this.runtime.dispose());
    } catch {
      // The leak check's abort: expected here (see above).
    }
  }
}

/** The error a timeout raises, as dumped, with the function it stopped as its only frame. */
function interruptedAt(site: FunctionSite | undefined): unknown {
  if (!site) return undefined;
  return { name: "InternalError", message: "interrupted", stack: `    at <anonymous> (${site.evaluatedName}:${site.line}:${site.column})` };
}

/** A context's JSContext address (its realm, as Vm.contextAt takes it). */
export function contextPointer(context: QuickJSContext): number {
  return (context as unknown as { ctx: { value: number } }).ctx.value;
}
