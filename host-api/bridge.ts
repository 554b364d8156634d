import { Scope, type QuickJSContext, type QuickJSHandle, type VmCallResult } from "quickjs-emscripten-core";
import { VmCallError, describeVmError, type ClassInfo, type CopyMode, type Kernel } from "../runtime/kernel/kernel.js";
import { MAX_COPY_VALUES } from "../runtime/kernel/kernel.js";
import { decodeCopy } from "../runtime/vm/value-copy.js";
import { vmString } from "../runtime/vm/vm-string.js";
import { endedByTimeout, endedOutOfMemory, thrownText, type MappedError, type ScriptErrorKind } from "../runtime/reload/script-errors.js";
import { CHUNK_SIZE, elementHandle, isFoundElement, type FoundObjects, type FoundObjectsCore } from "../runtime/heap/found-objects.js";
import { ValuePeeker } from "../runtime/vm/value-tags.js";
import { HostStackOverflow, type Vm } from "../runtime/vm/vm.js";
import { formatBytes } from "../runtime/format-bytes.js";
import type { Scheduler } from "../runtime/async/scheduler.js";
import { GraftError, ScriptError } from "./errors.js";
import { ScriptClass, ScriptValue } from "./script-value.js";
import { FoundValue, FoundValueChunk } from "./found-value.js";
import { HostPromises } from "./host-promises.js";
import type { HostArg } from "./types.js";

const MAX_CACHED_KEYS = 1024;
/** Host values going into the VM: as many values, as deep, as a copy out may hold. */
const MAX_HOST_COPY_DEPTH = 1000;

/**
 * Moves values between the host and the VM (H2 in docs/rules.md): plain data by copy, ScriptValues and
 * host functions by reference. Owns every handle it gives the host: a ScriptValue the
 * host drops is disposed by a finalizer, and all of them at runtime dispose.
 */
export class Bridge {
  /** Every handle the host holds, with the API call that made it (leaks() and retainers() name it). */
  private readonly live = new Map<QuickJSHandle, string>();
  /** Classes that ScriptClass handles resolved during this task: released when it ends, or before a heap query. */
  private readonly borrowed: QuickJSHandle[] = [];
  /** Why a class of a file was retired (the runtime knows which files are loaded). */
  retirementOf: (file: string) => string = () => "its file no longer defines it";
  private readonly finalizer = new FinalizationRegistry<QuickJSHandle>((handle) => this.inFinalizer(() => this.release(handle)));
  /** Groups of found objects (findInstances): one VM array each, freed once the host dropped every value of it. */
  private readonly groups = new Set<FoundObjectsCore>();
  private readonly groupFinalizer = new FinalizationRegistry<FoundObjectsCore>((core) => {
    this.groups.delete(core);
    this.inFinalizer(() => {
      if (this.vm.crashed === undefined) core.dispose();
    });
  });
  /** Chunks of found objects: once the host dropped every value of one, the VM array lets go of those objects. */
  private readonly chunkFinalizer = new FinalizationRegistry<{ core: FoundObjectsCore; start: number; end: number }>(({ core, start, end }) =>
    this.inFinalizer(() => {
      if (this.vm.crashed === undefined && this.groups.has(core)) core.releaseDropped(start, end);
    }),
  );
  private readonly hostFunctionHandles: QuickJSHandle[] = [];
  readonly peeker: ValuePeeker;
  private readonly keys = new Map<string, QuickJSHandle>();
  /** Where each live handle was created, when debugHandles is on. */
  readonly origins = new WeakMap<QuickJSHandle, string>();
  /** Promises of async host functions that scripts are waiting on. */
  readonly hostPromises: HostPromises;
  /** The runtime has been disposed (its VM may be freed a moment later, see GraftRuntime.dispose). */
  closing = false;
  /**
   * ScriptValues made for the arguments of the host function running now: released when
   * it returns (or its promise settles), unless the host keeps them (ScriptValue.keep()).
   */
  private callScope: ScriptValue[] | undefined;

  constructor(
    readonly vm: Vm,
    readonly kernel: Kernel,
    readonly context: QuickJSContext,
    private readonly mapError: (dumped: unknown) => MappedError,
    private readonly debugHandles: boolean,
    private readonly scheduler: Scheduler,
    /** Reports what graft failed to do outside any host call (`what`: "settle a host promise in the VM"). */
    private readonly onInternalError: (what: string, error: unknown) => void,
  ) {
    this.peeker = new ValuePeeker(() => vm.emscriptenModule.HEAPU8);
    this.hostPromises = new HostPromises(this, (error) => onInternalError("settle a host promise in the VM", error));
  }

  /**
   * Finalizers run as tasks of Node's event loop: an error there would be uncaught and end
   * the host process. It is reported on the runtime's "error" event instead (a VM that
   * crashed meanwhile has reported itself).
   */
  private inFinalizer(release: () => void): void {
    try {
      release();
    } catch (error) {
      if (this.vm.crashed === undefined) this.onInternalError("release values the host dropped", error);
    }
  }

  /** Takes ownership of `handle` and wraps it for the host; `origin` names the API call that made it. */
  adopt(handle: QuickJSHandle, origin = "a graft API call"): ScriptValue {
    const peeked = this.peeker.peek(handle);
    if (peeked.kind === "number" || peeked.kind === "boolean") {
      handle.dispose();
      return new ScriptValue(this, null, peeked.value);
    }
    if (peeked.kind === "null" || peeked.kind === "undefined") {
      handle.dispose();
      return new ScriptValue(this, null, peeked.kind === "null" ? null : undefined);
    }
    if (peeked.kind === "string") {
      let text: string;
      try {
        text = vmString(this.context, handle, "the string");
      } finally {
        handle.dispose();
      }
      return new ScriptValue(this, null, text);
    }
    const type = this.context.typeof(handle);
    if (type !== "object" && type !== "function" && type !== "symbol") {
      const value = this.primitive(handle, type);
      handle.dispose();
      return new ScriptValue(this, null, value);
    }
    if (type === "object" && this.isNull(handle)) {
      handle.dispose();
      return new ScriptValue(this, null, null);
    }
    return this.adoptReference(handle, type === "function", origin);
  }

  /**
   * Takes ownership of a handle known to hold an object or function (found on the heap):
   * wraps it without asking the VM what it is, so that wrapping many stays cheap.
   */
  adoptReference(handle: QuickJSHandle, callable: boolean, origin = "a graft API call"): ScriptValue {
    let info: ClassInfo | undefined;
    try {
      info = callable ? this.kernel.classInfo(handle) : undefined;
    } catch (error) {
      handle.dispose(); // not adopted: a handle left behind would abort the VM's dispose (V3)
      throw error;
    }
    if (info) return this.adoptClass(handle, info, origin);
    this.live.set(handle, origin);
    if (this.debugHandles) this.origins.set(handle, hostCallSite());
    const wrapper = new ScriptValue(this, handle, undefined);
    this.finalizer.register(wrapper, handle, wrapper);
    this.callScope?.push(wrapper);
    return wrapper;
  }

  /**
   * A graft class for the host: the wrapper holds a weak reference to it (made in the
   * kernel), never the class, so that a host's class handles never keep a retired class
   * alive. Takes ownership of `handle` (released here) unless `borrowedHandle`.
   */
  private adoptClass(handle: QuickJSHandle, info: ClassInfo, origin: string, borrowedHandle = false): ScriptClass {
    let weak: QuickJSHandle;
    try {
      weak = this.kernel.weakClass(handle);
    } finally {
      if (!borrowedHandle) handle.dispose();
    }
    this.live.set(weak, origin);
    if (this.debugHandles) this.origins.set(weak, hostCallSite());
    const wrapper = new ScriptClass(this, weak, info);
    this.finalizer.register(wrapper, weak, wrapper);
    this.callScope?.push(wrapper);
    return wrapper;
  }

  borrowClass(weak: QuickJSHandle): QuickJSHandle | undefined {
    const strong = this.kernel.derefClass(weak);
    if (strong === undefined) return undefined;
    if (this.borrowed.length === 0) queueMicrotask(() => this.releaseBorrowed());
    this.borrowed.push(strong);
    return strong;
  }

  /** Lets go of the classes ScriptClass handles resolved: a heap query must not see them held. */
  releaseBorrowed(): void {
    if (this.borrowed.length === 0) return;
    const handles = this.borrowed.splice(0);
    if (this.vm.crashed !== undefined) return;
    for (const handle of handles) if (handle.alive) handle.dispose();
  }

  /**
   * Wraps every object of a group found on the heap. Cheap per value: no call into the VM,
   * one host object per value (its handle is made on first use), one finalizer registration
   * per chunk and one for the group.
   */
  adoptFound(found: FoundObjects, callable: Uint8Array): ScriptValue[] {
    const core = found.core;
    if (core === undefined) return [];
    this.groups.add(core);
    this.groupFinalizer.register(found, core);
    const count = found.count;
    const values = new Array<ScriptValue>(count);
    for (let start = 0; start < count; start += CHUNK_SIZE) {
      const end = Math.min(count, start + CHUNK_SIZE);
      const chunk = new FoundValueChunk(found, start, end, this);
      this.chunkFinalizer.register(chunk, { core, start, end });
      for (let index = start; index < end; index++) values[index] = callable[index] === 1 ? this.adoptFoundFunction(chunk, index) : new FoundValue(chunk, index);
    }
    return values;
  }

  /** A found function: a ScriptClass when it is one of graft's classes (asking takes its handle). */
  private adoptFoundFunction(chunk: FoundValueChunk, index: number): ScriptValue {
    const handle = elementHandle(chunk, index);
    const info = this.kernel.classInfo(handle);
    return info ? this.adoptClass(handle, info, "findInstances()", true) : new ScriptValue(this, handle, undefined);
  }

  /** Disposes a handle the host no longer needs. */
  release(handle: QuickJSHandle, wrapper?: ScriptValue): void {
    if (wrapper) this.finalizer.unregister(wrapper);
    const held = this.live.delete(handle) || isFoundElement(handle);
    // A crashed VM is never entered again (its instance is dropped whole at dispose).
    if (held && handle.alive && this.vm.crashed === undefined) handle.dispose();
  }

  /**
   * A VM string for a property name, cached: host calls name the same few methods over and
   * over, and a handle saves encoding the name into VM memory on every call.
   */
  propertyKey(name: string): QuickJSHandle {
    let key = this.keys.get(name);
    if (key === undefined) {
      if (this.keys.size >= MAX_CACHED_KEYS) {
        for (const handle of this.keys.values()) handle.dispose();
        this.keys.clear();
      }
      key = this.context.newString(name);
      this.keys.set(name, key);
    }
    return key;
  }

  /** Every handle the host holds now; `group` marks the array that holds a findInstances result. */
  liveHandles(): { handle: QuickJSHandle; group: boolean; origin: string }[] {
    const handles: { handle: QuickJSHandle; group: boolean; origin: string }[] = [];
    for (const [handle, origin] of this.live) if (handle.alive) handles.push({ handle, group: false, origin });
    for (const core of this.groups) {
      if (!core.alive) {
        this.groups.delete(core);
        continue;
      }
      handles.push({ handle: core.array, group: true, origin: "findInstances()" });
      for (const handle of core.materializedHandles()) handles.push({ handle, group: false, origin: "findInstances()" });
    }
    return handles;
  }

  private isNull(handle: QuickJSHandle): boolean {
    return this.context.sameValue(handle, this.context.null);
  }

  private primitive(handle: QuickJSHandle, type: string): unknown {
    switch (type) {
      case "undefined":
        return undefined;
      case "number":
        return this.context.getNumber(handle);
      case "string":
        return vmString(this.context, handle, "the string");
      case "bigint":
        return this.context.getBigInt(handle);
      default:
        return this.context.dump(handle);
    }
  }

  /**
   * A VM value the host receives as a host function's argument: primitives by value, plain
   * objects and arrays copied (own data properties only, read without running script code),
   * anything else by reference. `path` names the value in errors.
   */
  fromVm(handle: QuickJSHandle, path = "the argument"): HostArg {
    const peeked = this.peeker.peek(handle);
    if (peeked.kind === "number" || peeked.kind === "boolean") return peeked.value;
    if (peeked.kind === "null") return null;
    if (peeked.kind === "undefined") return undefined;
    if (peeked.kind === "string") return vmString(this.context, handle, path);
    const type = this.context.typeof(handle);
    if (type !== "object" && type !== "function" && type !== "symbol") return this.primitive(handle, type) as HostArg;
    if (type !== "object") return this.adopt(handle.dup(), path);
    return this.copyOut(handle, "share", path) as HostArg;
  }

  /**
   * A copy of a VM value for the host (see the kernel's copyOut): "copy" fails clearly on
   * what is not plain data, "share" passes it by reference (as ScriptValues).
   */
  copyOut(handle: QuickJSHandle, mode: CopyMode, path: string): unknown {
    let copied: { text: string; refs: QuickJSHandle[] };
    try {
      copied = this.kernel.copyOut(handle, mode, path);
    } catch (error) {
      if (error instanceof VmCallError) throw new GraftError(copyErrorText(error.vmError));
      throw error;
    }
    const refs = copied.refs.map((ref) => this.adopt(ref, path));
    try {
      return decodeCopy(copied.text, refs);
    } catch (error) {
      for (const ref of refs) ref.dispose();
      throw new GraftError(`cannot copy ${path} to the host: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * A host value going into the VM, built in `context` (the realm of the script it is for;
   * by default the kernel's, whose intrinsics are frozen). Handles created here belong to
   * `scope` (disposed when the caller's call is over, also when this throws); ScriptValues
   * pass their own handle.
   *
   * Objects and arrays are built by assignment, and a script may have put setters on its
   * realm's Object.prototype or Array.prototype (`set 0()`, `set name()`): those run while
   * the value is built, so building runs under the time budget, and one that runs past it
   * fails the crossing.
   */
  toVm(value: unknown, scope: Scope, path: Path = "argument", context: QuickJSContext = this.context): QuickJSHandle {
    const walk = { values: 0, ancestors: new Set<object>() };
    if (typeof value === "string") return this.vm.whileBuilding(() => this.toVmValue(value, scope, path, context, walk));
    if (typeof value !== "object" || value === null || value instanceof ScriptValue) return this.toVmValue(value, scope, path, context, walk);
    const outermost = !this.vm.busy;
    const handle = this.vm.whileBuilding(() => this.vm.guard(() => this.toVmValue(value, scope, path, context, walk)));
    if (outermost && this.vm.timedOut) {
      throw new GraftError(
        `cannot pass ${describePath(path)} to a script: building it in the script's realm ran setters the script defined on Object.prototype or Array.prototype for longer than the timeout of ${this.vm.options.timeout} ms`,
      );
    }
    return handle;
  }

  private toVmValue(value: unknown, scope: Scope, path: Path, context: QuickJSContext, walk: { values: number; ancestors: Set<object> }): QuickJSHandle {
    if (++walk.values > MAX_COPY_VALUES) {
      throw new GraftError(`cannot pass ${describePath(path)} to a script: more than ${MAX_COPY_VALUES} values to copy; pass less data, or keep it on the host`);
    }
    switch (typeof value) {
      case "undefined":
        return context.undefined;
      case "boolean":
        return value ? context.true : context.false;
      case "number":
        return scope.manage(context.newNumber(value));
      case "string":
        return scope.manage(context.newString(value));
      case "bigint":
        return scope.manage(context.newBigInt(value));
      case "function":
        return scope.manage(this.hostFunction(value as (...args: HostArg[]) => unknown, value.name || "hostFunction", context));
      case "symbol":
        throw new GraftError(`cannot pass a symbol to a script (${describePath(path)}): only plain data, ScriptValues and functions cross`);
      default:
        break;
    }
    if (value === null) return context.null;
    if (value instanceof ScriptValue) return value.vmHandle(this, scope);
    const object = value as object;
    if (walk.ancestors.has(object)) throw new GraftError(`cannot pass ${describePath(path)} to a script: it contains a cycle; pass plain data (copied) or a ScriptValue (by reference)`);
    if (walk.ancestors.size >= MAX_HOST_COPY_DEPTH) throw new GraftError(`cannot pass ${describePath(path)} to a script: nested more than ${MAX_HOST_COPY_DEPTH} levels deep`);
    walk.ancestors.add(object);
    try {
      if (Array.isArray(object)) {
        if (object.length > MAX_COPY_VALUES - walk.values) {
          throw new GraftError(`cannot pass ${describePath(path)} to a script: an array of ${object.length} items, more than the ${MAX_COPY_VALUES} values a copy may hold`);
        }
        const array = scope.manage(context.newArray());
        for (let index = 0; index < object.length; index++) {
          // Each item's handles go as soon as the array holds the item.
          Scope.withScope((itemScope) => context.setProp(array, index, this.toVmValue(object[index], itemScope, () => `${describePath(path)}[${index}]`, context, walk)));
        }
        return array;
      }
      const proto = Object.getPrototypeOf(object) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? "object";
        throw new GraftError(
          `cannot pass ${describePath(path)} (a ${kind}) to a script: only plain objects, arrays, primitives, functions and ScriptValues cross; convert it to plain data first`,
        );
      }
      const result = scope.manage(context.newObject());
      for (const key of Object.keys(object)) {
        const descriptor = Object.getOwnPropertyDescriptor(object, key)!;
        if (!("value" in descriptor)) {
          throw new GraftError(`cannot pass ${describePath(path)}.${key} to a script: it is an accessor (getter/setter); pass plain data`);
        }
        Scope.withScope((itemScope) => {
          const item = this.toVmValue(descriptor.value, itemScope, () => `${describePath(path)}.${key}`, context, walk);
          // A key "__proto__" is defined as an own property: set, it would be the prototype.
          if (key === "__proto__") this.kernel.defineData(result, key, item);
          else context.setProp(result, key, item);
        });
      }
      return result;
    } finally {
      walk.ancestors.delete(object);
    }
  }

  /** The context of the realm `handle` belongs to (its prototype chain), or the kernel's. */
  realmOf(handle: QuickJSHandle): QuickJSContext {
    return this.vm.contextAt(this.kernel.classes.realmOf(handle, this.vm.objectPrototypes)) ?? this.context;
  }

  /**
   * A VM function (made in `context`) that calls `fn` on the host. Errors it throws reach
   * the script as JS errors. ScriptValues made for its arguments are released when it
   * returns, or when the promise it returns settles, unless the host kept them.
   */
  hostFunction(fn: (...args: HostArg[]) => unknown, name: string, context: QuickJSContext = this.context): QuickJSHandle {
    const bridge = this;
    return context.newFunction(name, function (...args) {
      const outer = bridge.callScope;
      const scope: ScriptValue[] = [];
      bridge.callScope = scope;
      let pending = false;
      try {
        const hostArgs = args.map((arg, index) => bridge.fromVm(arg, `argument ${index + 1} of host function ${name}`));
        bridge.callScope = outer;
        const result = fn(...hostArgs);
        // Built in the realm of the script that called: its own Object.prototype and Array.prototype.
        const target = bridge.vm.contextAt(bridge.kernel.classes.callerRealm()) ?? context;
        if (isThenable(result)) {
          pending = true;
          const settled = Promise.resolve(result).finally(() => releaseUnkept(scope));
          return bridge.hostPromises.toVm(settled, name, target);
        }
        // quickjs-emscripten takes ownership of the returned handle: it gets its own copy, and
        // the scope releases what the conversion made (all of it, if the conversion fails).
        return Scope.withScope((scope) => bridge.toVm(result, scope, `the value returned by host function ${name}`, target).dup());
      } finally {
        bridge.callScope = outer;
        if (!pending) releaseUnkept(scope);
      }
    });
  }

  /**
   * Runs a host->script call under the timeout; a script exception becomes a ScriptError
   * with the script's stack. Promise jobs the call queued run before it returns.
   */
  callGuarded(call: () => VmCallResult<QuickJSHandle>, origin?: string): ScriptValue {
    return this.vm.asOneCall(() => this.runGuarded(call, origin));
  }

  private runGuarded(call: () => VmCallResult<QuickJSHandle>, origin?: string): ScriptValue {
    // Timers a host call creates belong to no file version, even while one awaits at top level.
    const owner = this.scheduler.suspendOwnership();
    try {
      const result = this.guardedResult(call, `the host call ${origin ?? "into a script"}`);
      if (this.vm.closing && result.error) {
        // A host function the script called disposed the runtime, and the script then threw:
        // nothing is read from the VM any more; the error's handle goes before the VM is freed.
        result.error.dispose();
        throw new GraftError("this graft runtime was disposed during the call (by a host function the script called), and the script then threw; what it threw was not read");
      }
      if (result.error) {
        // Convert the error before running jobs: the timeout flag belongs to this call.
        const error = this.scriptError(result.error);
        this.vm.drainJobs();
        throw error;
      }
      this.vm.drainJobs();
      return this.adopt(result.value, origin);
    } finally {
      this.scheduler.restoreOwnership(owner);
    }
  }

  /** Runs a call under Vm.guard; V8's stack overflowing inside the VM becomes a ScriptError. */
  guardedResult<T>(call: () => T, what?: string): T {
    try {
      return this.vm.guard(call, what);
    } catch (error) {
      if (error instanceof HostStackOverflow) {
        throw new ScriptError(`RangeError: ${error.message}`, "RangeError", "", undefined, undefined);
      }
      throw error;
    }
  }

  /** Converts (and disposes) a VM exception handle, reading it without running script code. */
  scriptError(errorHandle: QuickJSHandle): ScriptError {
    const dumped = this.vm.asInterrupted(this.kernel.describeThrown(errorHandle));
    errorHandle.dispose();
    const mapped = this.mapError(dumped);
    let message = thrownText(`${mapped.name}: ${mapped.message}`);
    let kind: ScriptErrorKind = "thrown";
    if (endedByTimeout(mapped, this.vm)) {
      message = `timed out: the script ran longer than ${this.vm.options.timeout} ms and was stopped (an infinite loop?)`;
      kind = "timeout";
    } else if (endedOutOfMemory(mapped, this.vm) || (this.vm.memoryExhausted && (dumped === null || dumped === undefined))) {
      message = `out of memory: the script went over the VM memory limit of ${formatBytes(this.vm.options.memoryLimit)}`;
      kind = "out of memory";
    }
    if (mapped.position) message += ` at ${mapped.position.file}:${mapped.position.line}:${mapped.position.column}`;
    else if (this.vm.memoryExhausted) message += " (QuickJS had no memory left to record where)";
    return new ScriptError(message, mapped.name, mapped.stack, mapped.position, dumped, kind);
  }

  /**
   * The settled value of a VM promise (or thenable, or plain value), owned by the caller;
   * a rejection becomes a ScriptError, a runtime disposed first a GraftError.
   */
  settledValue(handle: QuickJSHandle): Promise<ScriptValue> {
    return new Promise((resolve, reject) => {
      this.scheduler.whenSettled(handle, {
        settled: (fulfilled, result) => {
          if (fulfilled) resolve(this.adopt(result.dup(), "promise()"));
          else reject(this.scriptError(result.dup()));
        },
        closed: () => reject(this.vm.crashed !== undefined ? this.vm.crashError() : new GraftError("the graft runtime was disposed before the script's promise settled")),
      }, { hostWaits: true });
    });
  }

  /**
   * Forgets every handle without entering the VM: for a VM that crashed (see wasm-traps.ts),
   * whose instance is dropped whole. Later finalizers and dispose() calls find nothing to free.
   */
  abandon(): void {
    this.hostPromises.abandon();
    this.keys.clear();
    this.live.clear();
    this.borrowed.length = 0;
    this.groups.clear();
    this.hostFunctionHandles.length = 0;
  }

  disposeAll(): void {
    this.hostPromises.close();
    for (const key of this.keys.values()) key.dispose();
    this.keys.clear();
    this.releaseBorrowed();
    for (const handle of this.live.keys()) if (handle.alive) handle.dispose();
    this.live.clear();
    for (const core of this.groups) core.dispose();
    this.groups.clear();
    for (const handle of this.hostFunctionHandles) if (handle.alive) handle.dispose();
  }
}

/** The first stack frame outside graft: where the host asked for this value. */
function hostCallSite(): string {
  // graft's own frames alone can fill V8's default 10.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  const frames = stack.split("\n").slice(1);
  const outside = frames.find((frame) => !/[\\/](host-api|runtime|quickjs-emscripten-core)[\\/]/.test(frame) && !frame.includes("node:internal"));
  return (outside ?? frames[0] ?? "").trim();
}

/** Where a value sits, for error messages only: built lazily, off the hot path. */
export type Path = string | (() => string);

function describePath(path: Path): string {
  return typeof path === "string" ? path : path();
}

/** The message of a copy the kernel refused (its TypeError or RangeError). */
function copyErrorText(vmError: unknown): string {
  const record = vmError as { message?: unknown };
  return typeof record?.message === "string" ? record.message : describeVmError(vmError);
}

function releaseUnkept(values: ScriptValue[]): void {
  for (const value of values) if (!value.kept) value.dispose();
}


function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
