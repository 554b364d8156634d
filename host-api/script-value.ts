import { inspect } from "node:util";
import { Scope, type QuickJSContext, type QuickJSHandle, type VmCallResult } from "quickjs-emscripten-core";
import type { ClassInfo, Kernel } from "../runtime/kernel/kernel.js";
import type { Vm } from "../runtime/vm/vm.js";
import type { ValuePeeker } from "../runtime/vm/value-tags.js";
import { GraftError } from "./errors.js";

/**
 * What a ScriptValue needs of the bridge that made it (host-api/bridge.ts): the VM side of
 * one runtime, and the crossings a value's methods make. Kept narrow so that this module
 * does not depend on the bridge's.
 */
export interface ValueBridge {
  readonly vm: Vm;
  /** Reads a value's tag from VM memory (no call into the VM). */
  readonly peeker: ValuePeeker;
  readonly kernel: Kernel;
  readonly context: QuickJSContext;
  /** Runs one VM call under the time budget; the result becomes a ScriptValue, an exception a ScriptError. */
  callGuarded(call: () => VmCallResult<QuickJSHandle>, origin?: string): ScriptValue;
  /**
   * A host value as a VM value, built in `context` (by default the kernel's); handles it
   * makes belong to `scope`. `path` names the value in errors.
   */
  toVm(value: unknown, scope: Scope, path?: string | (() => string), context?: QuickJSContext): QuickJSHandle;
  /** A copy of a VM value read without running script code ("copy": plain data or a clear error). */
  copyOut(handle: QuickJSHandle, mode: "copy" | "share", path: string): unknown;
  /** The context of the realm a VM value belongs to (host values for it are built there). */
  realmOf(handle: QuickJSHandle): QuickJSContext;
  /** A cached VM string for a property name (the bridge owns it). */
  propertyKey(name: string): QuickJSHandle;
  release(handle: QuickJSHandle, wrapper?: ScriptValue): void;
  /**
   * The class a ScriptClass's weak reference refers to, as a handle borrowed until the
   * current task ends (or the next heap query); undefined once the class was collected.
   */
  borrowClass(weak: QuickJSHandle): QuickJSHandle | undefined;
  /** Why a class of `file` was retired: "its file was deleted", ... */
  retirementOf(file: string): string;
  settledValue(handle: QuickJSHandle): Promise<ScriptValue>;
  /** The runtime has been disposed (its VM may be freed a moment later). */
  readonly closing: boolean;
}

/** What a disposed reference holds in place of a primitive. */
const DISPOSED = Symbol("disposed");

/** What the kernel's preview() describes of a VM value. */
interface Preview {
  kind: string;
  className: string | null;
  /** [file, class name, version, retired] when the value is, or was built by, a graft class. */
  owner: [string, string, number, boolean] | null;
  items: string[];
  more: number;
}

/**
 * A value living in the VM, held by the host. Primitives are held by value; objects,
 * functions and classes by reference (a VM handle, disposed with `dispose()`, by a
 * finalizer once the host drops the wrapper, or when the runtime is disposed).
 */
export class ScriptValue {
  // Declared, not defined: only the constructor creates them, so that a subclass keeping its
  // state elsewhere (FoundValue: two fields a value, for findInstances' 10^5 values) has none.
  declare private readonly valueBridge: ValueBridge;
  /** The VM handle of a reference (null for a primitive, and once disposed). */
  declare private handle: QuickJSHandle | null;
  /** DISPOSED once a reference is disposed: no field of its own for that. */
  declare private primitiveValue: unknown;
  declare private keptFlag: boolean;

  /** @internal A subclass that keeps its own state (see above) passes no bridge. */
  constructor(bridge?: ValueBridge, handle: QuickJSHandle | null = null, primitiveValue?: unknown) {
    if (bridge === undefined) return;
    this.valueBridge = bridge;
    this.handle = handle;
    this.primitiveValue = primitiveValue;
    this.keptFlag = false;
  }

  /** @internal The bridge of the runtime this value belongs to. */
  protected get bridge(): ValueBridge {
    return this.valueBridge;
  }

  /** True once `keep()` was called: see there. */
  get kept(): boolean {
    return this.keptFlag;
  }

  set kept(kept: boolean) {
    this.keptFlag = kept;
  }

  /**
   * Keeps this value past the host function call it was an argument of. Values a script
   * passes to a host function are released when the function returns (or, for an async
   * one, when its promise settles): a retired class passed along is not held "by the host"
   * until a finalizer happens to run. Call keep() to hold one longer; it is then released
   * by dispose(), by a finalizer once the host drops it, or with the runtime.
   */
  keep(): this {
    this.kept = true;
    return this;
  }

  /** `typeof` of the VM value. */
  get type(): string {
    if (!this.isReference) return this.primitive === null ? "object" : typeof this.primitive;
    return this.bridge.context.typeof(this.liveHandle());
  }

  /** Whether this holds a VM reference (an object, function or class). */
  get isReference(): boolean {
    return this.handle !== null;
  }

  /** False once disposed (by dispose(), after a host function call, or with its runtime). */
  get alive(): boolean {
    if (this.disposed) return false;
    return this.handle === null || this.handle.alive;
  }

  /** @internal True once a reference was disposed. */
  protected get disposed(): boolean {
    return this.primitiveValue === DISPOSED;
  }

  /** @internal The primitive held by value (undefined for a reference, also a disposed one). */
  protected get primitive(): unknown {
    return this.primitiveValue === DISPOSED ? undefined : this.primitiveValue;
  }

  /** Reads a property (getters run, under the time budget; what they throw is a ScriptError). */
  get(key: string | number): ScriptValue {
    checkKey("get", key);
    const handle = this.requireReference(`read '${key}' of`);
    const bridge = this.bridge;
    return Scope.withScope((scope) => {
      const keyHandle = typeof key === "number" ? scope.manage(bridge.context.newNumber(key)) : bridge.propertyKey(key);
      return bridge.callGuarded(() => bridge.kernel.tryCall("get", handle, keyHandle), `get(${quoteKey(key)})`);
    });
  }

  /** Reads a property as a plain-data copy, leaving no handle behind: `get(key).toHost()`, tidied. */
  read(key: string | number): unknown {
    checkKey("read", key);
    const value = this.get(key);
    try {
      return value.toHost();
    } finally {
      value.dispose();
    }
  }

  /**
   * Writes a property (plain data by copy, built in the object's own realm; ScriptValues and
   * functions by reference). A setter's exception, or a frozen or read-only target, throws
   * ScriptError.
   */
  set(key: string | number, value: unknown): void {
    checkKey("set", key);
    const handle = this.requireReference(`set '${key}' of`);
    const bridge = this.bridge;
    Scope.withScope((scope) => {
      const vmValue = bridge.toVm(value, scope, () => `the value for '${key}'`, isObjectLike(value) ? bridge.realmOf(handle) : undefined);
      const keyHandle = scope.manage(typeof key === "number" ? bridge.context.newNumber(key) : bridge.context.newString(key));
      bridge.callGuarded(() => bridge.kernel.tryCall("set", handle, keyHandle, vmValue)).dispose();
    });
  }

  /** Calls `this[method](...args)` in the VM. Script exceptions throw ScriptError. */
  call(method: string, ...args: unknown[]): ScriptValue {
    const handle = this.requireReference(`call '${method}' on`);
    const bridge = this.bridge;
    const context = bridge.context;
    return withArguments(bridge, handle, args, (index) => `argument ${index + 1} of ${method}()`, (vmArgs) => {
      const key = bridge.propertyKey(method);
      return bridge.callGuarded(() => {
        let fn = context.getProp(handle, key);
        if (bridge.peeker.isException(fn)) {
          // The method's getter threw: ask again through the kernel, for the exception itself
          // (getProp leaves it pending, and calling on would replace it with "not a function").
          fn.dispose();
          const again = bridge.kernel.tryCall("get", handle, key);
          if (again.error) return again;
          fn = again.value;
        }
        try {
          const result = bridge.vm.callFunction(context, fn, handle, vmArgs);
          // Checked after the fact, to keep the common path at one VM call.
          if (result.error && context.typeof(fn) !== "function") {
            result.error.dispose();
            return { error: context.newError({ name: "TypeError", message: `${method} is not a function` }) };
          }
          return result;
        } finally {
          fn.dispose();
        }
      }, `call(${quoteKey(method)})`);
    });
  }

  /** Calls the value itself as a function, with `this` undefined. */
  invoke(...args: unknown[]): ScriptValue {
    const handle = this.requireReference("invoke");
    const bridge = this.bridge;
    return withArguments(bridge, handle, args, (index) => `argument ${index + 1}`, (vmArgs) =>
      bridge.callGuarded(() => bridge.vm.callFunction(bridge.context, handle, bridge.context.undefined, vmArgs), "invoke()"),
    );
  }

  /** `new value(...args)`. */
  new(...args: unknown[]): ScriptValue {
    const handle = this.requireReference("construct");
    const bridge = this.bridge;
    const context = bridge.context;
    return Scope.withScope((scope) => {
      const argsArray = scope.manage(context.newArray());
      const realm = args.some(isObjectLike) ? bridge.realmOf(handle) : undefined;
      args.forEach((arg, index) => context.setProp(argsArray, index, bridge.toVm(arg, scope, () => `argument ${index + 1} of new`, realm)));
      return bridge.callGuarded(() => bridge.kernel.tryCall("construct", handle, argsArray), "new()");
    });
  }

  /**
   * A plain-data copy of the value: own enumerable data properties of objects (instances
   * too) and arrays, read without running script code (no getter, toJSON or Proxy trap).
   * Functions and symbols are left out (null in arrays). A getter, a cycle, a Proxy or
   * another built-in (Map, Date, ...) fails with a GraftError naming where it sits; so does
   * a value over a million items or a thousand levels deep.
   */
  toHost(): unknown {
    if (!this.isReference) return this.primitive;
    const handle = this.liveHandle();
    const state = this.bridge.context.getPromiseState(handle);
    if (!("notAPromise" in state && state.notAPromise)) {
      if (state.type === "fulfilled") state.value.dispose();
      if (state.type === "rejected") state.error.dispose();
      throw new GraftError(`toHost() cannot copy a promise (this one is ${state.type}): await value.promise() for its result`);
    }
    return this.bridge.copyOut(handle, "copy", "the value");
  }

  /**
   * Waits for a script promise: resolves with the fulfilled value (a ScriptValue the caller
   * owns) or rejects with a ScriptError. A value that is not a promise resolves to itself,
   * as `await` would. Rejects with a GraftError if the runtime is disposed first.
   */
  async promise(): Promise<ScriptValue> {
    if (!this.isReference) {
      if (this.disposed) throw new GraftError("cannot await a disposed ScriptValue");
      return new ScriptValue(this.bridge, null, this.primitiveValue);
    }
    return this.bridge.settledValue(this.liveHandle());
  }

  /** Whether both wrap the same VM value (`Object.is`). */
  isSame(other: ScriptValue): boolean {
    this.requireSameRuntime(other, "isSame");
    if (!this.isReference || !other.isReference) return this.isReference === other.isReference && Object.is(this.primitive, other.primitive);
    return this.bridge.context.sameValue(this.liveHandle(), other.liveHandle());
  }

  /** A ScriptValue argument of `method`, checked to be one and of this value's runtime. */
  private requireSameRuntime(other: unknown, method: string): void {
    if (!(other instanceof ScriptValue)) throw new GraftError(`${method}(value) takes a ScriptValue, got ${other === null ? "null" : typeof other}`);
    if (this.isReference && other.isReference && other.bridge !== this.bridge) {
      throw new GraftError(`${method}(value): the value belongs to another graft runtime; values of two runtimes live in two VMs and are never the same object`);
    }
  }

  /** `this instanceof cls` in the VM. */
  instanceOf(cls: ScriptValue): boolean {
    this.requireSameRuntime(cls, "instanceOf");
    if (!this.isReference) return false;
    const prototype = cls.get("prototype");
    try {
      const result = this.bridge.callGuarded(() => this.bridge.kernel.tryCall("isPrototypeOf", prototype.liveHandle(), this.liveHandle()));
      return result.toHost() === true;
    } finally {
      prototype.dispose();
    }
  }

  dispose(): void {
    if (this.handle !== null) {
      this.bridge.release(this.handle, this);
      this.markDisposed();
    }
  }

  /** The reference is let go of: the value reads as disposed from now on. */
  private markDisposed(): void {
    this.handle = null;
    this.primitiveValue = DISPOSED;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    if (!this.isReference) return String(this.primitive);
    return `[ScriptValue ${this.type}]`;
  }

  /**
   * What console.log and util.inspect show: the class (name, file, version) and a few own
   * members, read without running script getters. E.g.
   * `ScriptValue Player (world/player.ts v2) { name: 'Ann', room: Room {...} }`.
   */
  [inspect.custom](): string {
    const label = this instanceof ScriptClass ? "ScriptClass" : "ScriptValue";
    if (this.disposed) return `${label} <disposed>`;
    if (!this.isReference) return `${label} ${inspect(this.primitiveValue, { maxStringLength: 60 })}`;
    if (!this.alive) return `${label} <disposed>`;
    let preview: Preview;
    try {
      const handle = this.liveHandle();
      const text = this.bridge.callGuarded(() => this.bridge.kernel.tryCall("preview", handle));
      preview = JSON.parse(text.toHost() as string) as Preview;
    } catch (error) {
      return `${label} <${this.type}: no preview: ${error instanceof Error ? error.message : String(error)}>`;
    }
    const parts = [label];
    if (preview.owner) {
      const [file, name, version, retired] = preview.owner;
      parts.push(`${name} (${file} v${version}${retired ? ", retired" : ""})`);
    } else if (preview.className && preview.className !== "Object") {
      parts.push(preview.className);
    }
    if (preview.kind === "function") return `${label} ${preview.items[0]}`;
    if (preview.kind === "proxy") return `${label} Proxy <not looked into: that would run its traps>`;
    const items = preview.more > 0 ? [...preview.items, `... ${preview.more} more`] : preview.items;
    const [open, close] = preview.kind === "array" ? ["[", "]"] : ["{", "}"];
    if (items.length > 0 || preview.kind !== "class") parts.push(items.length > 0 ? `${open} ${items.join(", ")} ${close}` : `${open}${close}`);
    return parts.join(" ");
  }

  /** @internal The VM handle, for passing by reference. */
  vmHandle(bridge: ValueBridge, scope: Scope): QuickJSHandle {
    if (bridge !== this.bridge) throw new GraftError("this ScriptValue belongs to another graft runtime");
    if (!this.isReference) {
      if (this.disposed) throw new GraftError("this ScriptValue has been disposed");
      return bridge.toVm(this.primitiveValue, scope);
    }
    return this.liveHandle();
  }

  /** @internal The VM handle of a value held by reference (an object, function or class), borrowed. */
  referenceHandle(bridge: ValueBridge, what: string): QuickJSHandle {
    if (bridge !== this.bridge) throw new GraftError("this ScriptValue belongs to another graft runtime");
    if (!this.isReference) throw new GraftError(`${what} needs an object, function or class, got the primitive ${String(this.primitive)}`);
    return this.liveHandle();
  }

  /** @internal The VM value, for a call into the VM. */
  protected liveHandle(): QuickJSHandle {
    return this.heldHandle();
  }

  /** @internal The handle this wrapper holds (a ScriptClass's is a weak reference), checked usable. */
  protected heldHandle(): QuickJSHandle {
    if (this.bridge.vm.crashed !== undefined && !this.bridge.closing) throw this.bridge.vm.crashError();
    if (this.handle === null || !this.handle.alive || this.bridge.closing) throw new GraftError("this ScriptValue has been disposed (or its runtime has)");
    return this.handle;
  }

  private requireReference(action: string): QuickJSHandle {
    if (!this.isReference) {
      if (this.disposed) throw new GraftError(`cannot ${action} a disposed ScriptValue`);
      throw new GraftError(`cannot ${action} ${this.primitiveValue === null ? "null" : typeof this.primitiveValue} value ${String(this.primitiveValue)}`);
    }
    return this.liveHandle();
  }
}

/**
 * A top-level class of a script: graft keeps its identity across reloads (R4). The host's
 * handle refers to the class weakly: it never keeps a retired class alive (nor shows in
 * leaks()); once a retired class was collected, using the handle says so.
 */
export class ScriptClass extends ScriptValue {
  /** The class as last seen: what the handle reports once the class was collected. */
  declare private lastSeen: ClassInfo;

  /** @internal `weak` is a VM WeakRef to the class (the bridge owns it); `info` what the class is now. */
  constructor(bridge: ValueBridge, weak: QuickJSHandle, info: ClassInfo) {
    super(bridge, weak);
    this.lastSeen = info;
  }

  get name(): string {
    return this.info().name;
  }

  get file(): string {
    return this.info().file;
  }

  /** How many versions of the class have been grafted onto it (1 after the first load). */
  get version(): number {
    return this.info().version;
  }

  /** True once the class is no longer defined by its file (R10), also once it was collected. */
  get retired(): boolean {
    return this.info().retired;
  }

  /** False once the class was retired and collected (and once disposed): then every use throws, saying so. */
  override get alive(): boolean {
    return super.alive && !this.bridge.closing && this.bridge.vm.crashed === undefined && !this.collected();
  }

  /** Retired, and collected since: nothing of the class is left. */
  private collected(): boolean {
    return this.bridge.borrowClass(this.heldHandle()) === undefined;
  }

  /** Reads no VM value once the class is gone: the last state seen, retired. */
  private info(): ClassInfo {
    const strong = this.bridge.borrowClass(this.heldHandle());
    if (strong === undefined) return { ...this.lastSeen, retired: true };
    const info = this.bridge.kernel.classInfo(strong);
    if (!info) throw new GraftError("not a graft class");
    this.lastSeen = info;
    return info;
  }

  /** @internal The class itself, borrowed; a clear GraftError once it was retired and collected. */
  protected override liveHandle(): QuickJSHandle {
    const strong = this.bridge.borrowClass(this.heldHandle());
    if (strong !== undefined) return strong;
    const { name, file, version } = this.lastSeen;
    throw new GraftError(
      `${name} (${file} v${version}) was retired: ${this.bridge.retirementOf(file)}, and nothing kept the class alive, so it is gone (a ScriptClass does not keep its class alive); runtime.getClass() and findSubclasses() give the classes that exist now`,
    );
  }

  override [inspect.custom](): string {
    if (super.alive && !this.bridge.closing && this.bridge.vm.crashed === undefined && this.collected()) {
      const { name, file, version } = this.lastSeen;
      return `ScriptClass ${name} (${file} v${version}, retired and collected)`;
    }
    return super[inspect.custom]();
  }

  override toString(): string {
    const info = this.info();
    return `[ScriptClass ${info.name} (${info.file} v${info.version}${info.retired ? ", retired" : ""})]`;
  }
}

/** Whether a host value would be built as a VM object (and so belongs in some realm). */
/**
 * Runs `body` with `args` as VM values. Numbers, booleans, null and undefined (the common
 * host call) are made here and disposed after, with no Scope; anything else goes through
 * the bridge's conversion (objects built in the realm of `target`).
 */
function withArguments<T>(bridge: ValueBridge, target: QuickJSHandle, args: unknown[], describe: (index: number) => string, body: (vmArgs: QuickJSHandle[]) => T): T {
  const context = bridge.context;
  const vmArgs = new Array<QuickJSHandle>(args.length);
  let made = 0;
  for (; made < args.length; made++) {
    const arg = args[made];
    if (typeof arg === "number") vmArgs[made] = context.newNumber(arg);
    else if (typeof arg === "boolean") vmArgs[made] = arg ? context.true : context.false;
    else if (arg === undefined) vmArgs[made] = context.undefined;
    else if (arg === null) vmArgs[made] = context.null;
    else break;
  }
  try {
    if (made === args.length) return body(vmArgs);
    return Scope.withScope((scope) => {
      const realm = args.some(isObjectLike) ? bridge.realmOf(target) : undefined;
      for (let i = made; i < args.length; i++) vmArgs[i] = bridge.toVm(args[i], scope, () => describe(i), realm);
      return body(vmArgs);
    });
  } finally {
    for (let i = 0; i < made; i++) if (typeof args[i] === "number") vmArgs[i]!.dispose();
  }
}

function isObjectLike(value: unknown): boolean {
  return (typeof value === "object" && value !== null && !(value instanceof ScriptValue)) || typeof value === "function";
}

/** A key as the origin of a handle shows it: `get('pet')`, `get(3)`. */
function quoteKey(key: string | number): string {
  return typeof key === "number" ? String(key) : `'${key.length > 40 ? `${key.slice(0, 40)}...` : key}'`;
}

function checkKey(method: string, key: unknown): void {
  if (typeof key === "string" || (typeof key === "number" && Number.isInteger(key) && key >= 0)) return;
  const got = key === undefined ? "no key" : `${typeof key} ${String(key)}`;
  throw new GraftError(`${method}(key) needs a property name (a string) or an array index (a non-negative integer), got ${got}; e.g. value.${method}("name"), or toHost() for a copy of the whole value`);
}
