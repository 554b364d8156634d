import { Scope, type QuickJSContext, type QuickJSHandle, type VmCallResult } from "quickjs-emscripten-core";
import type { ClassPatch, RetiredClass } from "../reload-report.js";
import { vmSource } from "./vm-source.js";
import type { Vm } from "../vm.js";

/** The intrinsics go first: they are captured before anything else runs in the context. */
const INTRINSICS = vmSource("intrinsics.js");
const KERNEL = vmSource("kernel.js");

/** What kernel.js's commit() reports (the kernel's CommitReport). */
export interface KernelCommitReport {
  patched: ClassPatch[];
  retired: RetiredClass[];
  disposeErrors: { file: string; message: string }[];
}

/** What the kernel knows of a live class object: canonical class, current or superseded version, or retired class (or the prototype of one). */
export interface HeapClassLabel {
  kind: "class" | "version" | "retired" | "superseded";
  file: string;
  name: string;
  version: number;
  prototype: boolean;
}

export interface ClassInfo {
  file: string;
  name: string;
  version: number;
  retired: boolean;
}

const FUNCTIONS = [
  "construct", "invoke", "isPrototypeOf", "begin", "rollback", "commit", "declareExports", "runModule", "removeFile", "findSubclasses",
  "getClass", "classInfo", "namespaceOf", "namespaceKeys", "classNames", "retiredClasses", "supersededVersions", "versionOf", "prune", "heapClasses", "setHostExports", "plainKind",
  "preview", "evaluateIn",
] as const;
type KernelFunction = (typeof FUNCTIONS)[number];

/** Thrown when a call into the VM raised: carries the VM error, already dumped. */
export class VmCallError extends Error {
  constructor(readonly vmError: unknown) {
    super(describeVmError(vmError));
    this.name = "VmCallError";
  }
}

export function describeVmError(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return `${typeof name === "string" ? name : "Error"}: ${String(message)}`;
  }
  return String(error);
}

/**
 * Host-side handle on the in-VM kernel (vm/kernel.js). Every method is one VM call;
 * handles it returns belong to the caller, which must dispose them.
 */
export class Kernel {
  private readonly functions = new Map<KernelFunction, QuickJSHandle>();

  constructor(
    readonly context: QuickJSContext,
    private readonly vm: Vm,
  ) {
    // Not under the time budget: graft's own code, and the first evaluation in a fresh
    // WebAssembly instance compiles much of QuickJS lazily (hundreds of ms).
    Scope.withScope((scope) => {
      scope.manage(context.unwrapResult(context.evalCode(INTRINSICS.source, INTRINSICS.evaluatedName)));
      const kernel = scope.manage(context.unwrapResult(context.evalCode(KERNEL.source, KERNEL.evaluatedName)));
      try {
        for (const name of FUNCTIONS) this.functions.set(name, context.getProp(kernel, name));
      } catch (error) {
        this.dispose();
        throw error;
      }
    });
  }

  /**
   * Calls a kernel function under the time budget (kernel code reads script values:
   * prototype chains, descriptors, dispose callbacks); a VM exception becomes a
   * VmCallError (never leaks a handle).
   */
  call(name: KernelFunction, ...args: QuickJSHandle[]): QuickJSHandle {
    const result = this.tryCall(name, ...args);
    if (result.error) {
      const dumped = this.context.dump(result.error);
      result.error.dispose();
      throw new VmCallError(dumped);
    }
    return result.value;
  }

  /** Calls a kernel function and returns the raw result: the caller owns value or error. */
  tryCall(name: KernelFunction, ...args: QuickJSHandle[]): VmCallResult<QuickJSHandle> {
    const fn = this.functions.get(name)!;
    return this.vm.guard(() => this.context.callFunction(fn, this.context.undefined, ...args));
  }

  callVoid(name: KernelFunction, ...args: QuickJSHandle[]): void {
    this.call(name, ...args).dispose();
  }

  /** Calls with host strings/booleans turned into VM values for the duration of the call. */
  callWith(name: KernelFunction, args: (QuickJSHandle | string | boolean | number | string[])[]): QuickJSHandle {
    return Scope.withScope((scope) => {
      const handles = args.map((arg) => (typeof arg === "object" && !Array.isArray(arg) ? arg : scope.manage(this.toVm(arg))));
      return this.call(name, ...handles);
    });
  }

  private toVm(value: string | boolean | number | string[]): QuickJSHandle {
    const context = this.context;
    if (typeof value === "string") return context.newString(value);
    if (typeof value === "number") return context.newNumber(value);
    if (typeof value === "boolean") return value ? context.true : context.false;
    const array = context.newArray();
    value.forEach((item, index) => {
      const itemHandle = context.newString(item);
      context.setProp(array, index, itemHandle);
      itemHandle.dispose();
    });
    return array;
  }

  begin(): void {
    this.callVoid("begin");
  }

  rollback(): void {
    this.callVoid("rollback");
  }

  commit(): KernelCommitReport {
    const handle = this.call("commit");
    const text = this.context.getString(handle);
    handle.dispose();
    return JSON.parse(text) as KernelCommitReport;
  }

  declareExports(file: string, names: string[], explanation: string): void {
    this.callWith("declareExports", [file, names, explanation]).dispose();
  }

  /** Runs a module function; returns what it returned (the caller owns it): a promise for top-level await. */
  runModule(file: string, version: number, moduleFunction: QuickJSHandle, dependencies: string[]): QuickJSHandle {
    return this.callWith("runModule", [file, version, moduleFunction, dependencies]);
  }

  removeFile(file: string): void {
    this.callWith("removeFile", [file]).dispose();
  }

  /** Canonical classes that extend `base` (a handle), in stable order. Caller owns the handles. */
  findSubclasses(base: QuickJSHandle, inclusive: boolean, includeRetired: boolean): QuickJSHandle[] {
    return this.unpackArray(this.callWith("findSubclasses", [base, inclusive, includeRetired]));
  }

  retiredClasses(): QuickJSHandle[] {
    return this.unpackArray(this.call("retiredClasses"));
  }

  /** Earlier versions of classes still alive: the caller owns each `impl` handle. */
  supersededVersions(): { impl: QuickJSHandle; file: string; name: string; version: number }[] {
    return this.unpackArray(this.call("supersededVersions")).map((entry) => {
      const impl = this.context.getProp(entry, 0);
      const [, file, name, version] = this.context.dump(entry) as [unknown, string, string, number];
      entry.dispose();
      return { impl, file, name, version };
    });
  }

  /**
   * Live graft classes, class versions and their prototypes, as data: `values` (a VM array,
   * owned by the caller) and one label per element.
   */
  heapClasses(): { values: QuickJSHandle; labels: HeapClassLabel[] } {
    const pair = this.call("heapClasses");
    try {
      const values = this.context.getProp(pair, 0);
      const labelsHandle = this.context.getProp(pair, 1);
      const text = this.context.getString(labelsHandle);
      labelsHandle.dispose();
      const labels = (JSON.parse(text) as [HeapClassLabel["kind"], string, string, number, number][]).map(
        ([kind, file, name, version, prototype]): HeapClassLabel => ({ kind, file, name, version, prototype: prototype === 1 }),
      );
      return { values, labels };
    } finally {
      pair.dispose();
    }
  }

  getClass(file: string, name: string): QuickJSHandle | undefined {
    const handle = this.callWith("getClass", [file, name]);
    if (this.context.typeof(handle) === "undefined") {
      handle.dispose();
      return undefined;
    }
    return handle;
  }

  classInfo(value: QuickJSHandle): ClassInfo | undefined {
    const handle = this.call("classInfo", value);
    const dumped = this.context.dump(handle) as [string, string, number, boolean] | undefined;
    handle.dispose();
    if (!dumped) return undefined;
    const [file, name, version, retired] = dumped;
    return { file, name, version, retired };
  }

  namespaceOf(file: string): QuickJSHandle {
    return this.callWith("namespaceOf", [file]);
  }

  namespaceKeys(file: string): string[] {
    const handle = this.callWith("namespaceKeys", [file]);
    const names = this.context.dump(handle) as string[];
    handle.dispose();
    return names;
  }

  classNames(file: string): string[] {
    const handle = this.callWith("classNames", [file]);
    const names = this.context.dump(handle) as string[];
    handle.dispose();
    return names;
  }

  setHostExports(values: QuickJSHandle): void {
    this.callVoid("setHostExports", values);
  }

  /** "array" or "object" for plain data (copied across), null for anything else. */
  plainKind(value: QuickJSHandle): "array" | "object" | null {
    const handle = this.call("plainKind", value);
    const kind = this.context.getNumber(handle);
    handle.dispose();
    return kind === 2 ? "array" : kind === 1 ? "object" : null;
  }

  private unpackArray(array: QuickJSHandle): QuickJSHandle[] {
    const length = this.context.getLength(array) ?? 0;
    const items: QuickJSHandle[] = [];
    for (let i = 0; i < length; i++) items.push(this.context.getProp(array, i));
    array.dispose();
    return items;
  }

  dispose(): void {
    for (const handle of this.functions.values()) handle.dispose();
    this.functions.clear();
  }
}
