import type { StarExport } from "../reload/module-link.js";
import { Scope, type QuickJSContext, type QuickJSHandle, type VmCallResult } from "quickjs-emscripten-core";
import type { ClassPatch, RetiredClass } from "../reload/reload-report.js";
import { vmSource } from "./vm-source.js";
import { isOutOfMemoryValue, type Vm } from "../vm/vm.js";
import { decodeCopy } from "../vm/value-copy.js";
import { vmString } from "../vm/vm-string.js";
import { ValueClasses } from "../vm/value-classes.js";
import { GraftError } from "../graft-error.js";

/** The intrinsics go first: they are captured before anything else runs in the context. */
const INTRINSICS = vmSource("intrinsics.js");
const PRIVATES = vmSource("privates.js");
const DECORATORS = vmSource("decorators.js");
/**
 * The kernel's parts by concern, each defining one global function, in the order they use
 * each other; kernel.js, last, joins them and returns the functions the host calls.
 */
export const KERNEL_FILES = [
  "kernel-state.js", "kernel-journal.js", "kernel-namespaces.js", "kernel-grafting.js", "kernel-imports.js", "kernel-modules.js",
  "kernel-previews.js", "kernel-commit.js", "kernel-queries.js", "kernel.js",
] as const;
const KERNEL_PARTS = KERNEL_FILES.map(vmSource);
const VALUES = vmSource("values.js");

/** What the kernel's commit() reports (CommitReport, vm/kernel-commit.js). */
export interface KernelCommitReport {
  patched: ClassPatch[];
  retired: RetiredClass[];
  disposeErrors: { file: string; message: string }[];
  /** import.meta.hot.dispose callbacks the commit queued (run by the host, each under its own budget). */
  disposers: number;
}

type MemberRows = [added: string[], changed: string[], removed: string[]];
type PatchRow = [file: string, name: string, version: number, created: boolean, prototype: MemberRows, statics: MemberRows, newBase: string | null, fields: [added: string[], instances: number] | null];

/** The commit's report from the rows the kernel sends (vm/kernel-commit.js reportRows). */
function commitReportOf(text: string): KernelCommitReport {
  const [patched, retired, disposers] = JSON.parse(text) as [PatchRow[], [string, string, number][], number];
  const members = ([added, changed, removed]: MemberRows): ClassPatch["prototype"] => ({ added, changed, removed });
  return {
    patched: patched.map(([file, name, version, created, prototype, statics, newBase, fields]) => {
      const patch: ClassPatch = { file, name, version, created, prototype: members(prototype), static: members(statics) };
      if (newBase !== null) patch.newBase = newBase;
      if (fields !== null) patch.fields = { added: fields[0], instances: fields[1] };
      return patch;
    }),
    retired: retired.map(([file, name, version]) => ({ file, name, version })),
    disposeErrors: [],
    disposers,
  };
}

/** What the kernel knows of a live class object: canonical class, current or superseded version, or retired class (or the prototype of one). */
export interface HeapClassLabel {
  /** A class object of graft's, or a top-level function of a replaced version (the last two). */
  kind: "class" | "version" | "retired" | "retired version" | "superseded" | "superseded function" | "function of a deleted file";
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
  "construct", "invoke", "isPrototypeOf", "begin", "rollback", "savepoint", "rollbackTo", "commit", "declareExports", "instantiateModule", "evaluateModule", "removeFile", "findSubclasses",
  "getClass", "classInfo", "weakClass", "derefClass", "namespaceOf", "namespaceKeys", "classNames", "retiredClasses", "supersededVersions", "supersededFunctionCount", "versionOf", "prune", "heapClasses", "setHostExports", "plainKind",
  "preview", "evaluateIn", "takeDisposer", "setClassReader", "pendingMigrations", "migrate", "setSourceReader",
  "setImportHandler", "settleImport",
] as const;
/** values.js: reading script values without running script code. */
const VALUE_FUNCTIONS = ["setValueClassReader", "copyOut", "describeThrown", "get", "set", "lockDownRealm", "defineData"] as const;
type KernelFunction = (typeof FUNCTIONS)[number] | (typeof VALUE_FUNCTIONS)[number];

/** How a copy treats what is not plain data: "copy" fails on it, "share" passes it by reference. */
export type CopyMode = "copy" | "share";

/** Bounds of one copy out of the VM (a sparse array of length 2**32-1 is one value, then refused). */
export const MAX_COPY_VALUES = 1_000_000;
export const MAX_COPY_DEPTH = 1000;

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
 * Host-side handle on the in-VM kernel (vm/kernel.js and its parts). Every method is one VM call;
 * handles it returns belong to the caller, which must dispose them.
 */
export class Kernel {
  private readonly functions = new Map<KernelFunction, QuickJSHandle>();
  /** Object classes and realms, read from VM memory (where asking the VM would run script code). */
  readonly classes: ValueClasses;
  constructor(
    readonly context: QuickJSContext,
    private readonly vm: Vm,
    /** A top-level class's source as written (types stripped), for `String(C)`: the reload engine's. */
    private readonly classSource: (file: string, name: string) => string | undefined,
  ) {
    // Not under the time budget: graft's own code, and the first evaluation in a fresh
    // WebAssembly instance compiles much of QuickJS lazily (hundreds of ms).
    Scope.withScope((scope) => {
      scope.manage(context.unwrapResult(context.evalCode(INTRINSICS.source, INTRINSICS.evaluatedName)));
      scope.manage(context.unwrapResult(context.evalCode(PRIVATES.source, PRIVATES.evaluatedName)));
      scope.manage(context.unwrapResult(context.evalCode(DECORATORS.source, DECORATORS.evaluatedName)));
      let kernel = context.undefined;
      for (const part of KERNEL_PARTS) kernel = scope.manage(context.unwrapResult(context.evalCode(part.source, part.evaluatedName)));
      const values = scope.manage(context.unwrapResult(context.evalCode(VALUES.source, VALUES.evaluatedName)));
      try {
        for (const name of FUNCTIONS) this.functions.set(name, context.getProp(kernel, name));
        for (const name of VALUE_FUNCTIONS) this.functions.set(name, context.getProp(values, name));
      } catch (error) {
        this.dispose();
        throw error;
      }
    });
    this.classes = new ValueClasses(() => vm.emscriptenModule.HEAPU8, () => vm.runtimePointer);
    // Both halves ask the host whether an object is a Proxy before reading it.
    Scope.withScope((scope) => {
      const reader = scope.manage(context.newFunction("classOf", (value) => context.newString(this.classes.classNameOf(value))));
      this.callVoid("setValueClassReader", reader);
      this.callVoid("setClassReader", reader);
      const sourceReader = scope.manage(
        context.newFunction("classSource", (file, name) => {
          const text = this.classSource(context.getString(file), context.getString(name));
          return text === undefined ? context.undefined : context.newString(text);
        }),
      );
      this.callVoid("setSourceReader", sourceReader);
    });
  }

  /**
   * Freezes every object reachable from the kernel realm's global (intrinsics, their
   * prototypes, graft's captured helpers). Scripts hold objects of this realm (host functions
   * and hot.data are made here) but run no code in it (its function constructors refuse);
   * frozen, it holds nothing one file can change to affect another.
   * `alsoFreeze`: more of graft's objects shared by every file (the host module's values).
   */
  lockDownRealm(...alsoFreeze: QuickJSHandle[]): void {
    // graft's own code, run once before any script: not under the time budget (the first
    // calls into a fresh WebAssembly instance are slow while it compiles).
    const context = this.context;
    context.unwrapResult(context.callFunction(this.functions.get("lockDownRealm")!, context.undefined, ...alsoFreeze)).dispose();
  }

  /**
   * A copy of `value` out of the VM, read without running script code: JSON text for
   * decodeCopy and the values passed by reference (owned by the caller). Throws VmCallError
   * with a path for what cannot be copied.
   */
  copyOut(value: QuickJSHandle, mode: CopyMode, path: string): { text: string; refs: QuickJSHandle[] } {
    const context = this.context;
    const owned = [context.newString(mode), context.newNumber(MAX_COPY_VALUES), context.newNumber(MAX_COPY_DEPTH), context.newString(path)];
    let pair: QuickJSHandle;
    try {
      pair = this.call("copyOut", value, ...owned);
    } finally {
      for (const handle of owned) handle.dispose();
    }
    const textHandle = context.getProp(pair, 0);
    const refsHandle = context.getProp(pair, 1);
    pair.dispose();
    let text: string;
    try {
      text = vmString(context, textHandle, `the copy of ${path}`);
    } catch (error) {
      refsHandle.dispose();
      throw error;
    } finally {
      textHandle.dispose();
    }
    return { text, refs: this.unpackArray(refsHandle) };
  }

  /** Defines an own data property `key` of `target` (writable, enumerable, configurable). */
  defineData(target: QuickJSHandle, key: string, value: QuickJSHandle): void {
    Scope.withScope((scope) => this.callVoid("defineData", target, scope.manage(this.context.newString(key)), value));
  }

  /** A thrown VM value as the host describes it ({ name, message, stack } for errors), running no script code. */
  describeThrown(thrown: QuickJSHandle): unknown {
    // Disposed by a host function during the call that threw: nothing enters the VM any more
    // (the caller still disposes `thrown`, so that freeing the VM finds no handle left).
    if (this.vm.closing) return { name: "Error", message: "(not read: the runtime was disposed during this call)", stack: "" };
    let exhausted = false;
    const result = this.vm.keepingOutcome(() => {
      const described = this.tryCall("describeThrown", thrown);
      exhausted = this.vm.memoryExhausted;
      return described;
    });
    if (result.error) {
      result.error.dispose();
      // No memory left to describe it: as QuickJS itself does then, null (read as out of memory).
      if (exhausted) return null;
      return { name: "Error", message: "(graft could not read the thrown value)", stack: "" };
    }
    const peeked = this.context.typeof(result.value);
    // QuickJS throws null when it has no memory left to build the error. Read without making
    // anything in the VM: dump() would need a C string that a full VM has no room for (it then
    // gave "", reported as an Error with no message instead of an out-of-memory).
    if (peeked === "object" && this.context.sameValue(result.value, this.context.null)) {
      result.value.dispose();
      return null;
    }
    const described = peeked === "string" ? vmString(this.context, result.value, "the thrown value's description") : this.context.dump(result.value);
    result.value.dispose();
    if (peeked !== "string") return described;
    const thrownType = this.context.typeof(thrown);
    if (thrownType !== "object" && thrownType !== "function") return described;
    // The description of an object is never empty: reading it found no memory.
    if (described === "") return this.vm.memoryExhausted ? null : { name: "Error", message: "(graft could not read the thrown value)", stack: "" };
    const record = JSON.parse(described as string) as { copy?: string; name?: string };
    if (record.copy === undefined) return record;
    const copied = decodeCopy(record.copy, []);
    const isRecord = typeof copied === "object" && copied !== null && !Array.isArray(copied);
    if (record.name === undefined || !isRecord || typeof (copied as { name?: unknown }).name === "string") return copied;
    return { ...copied, name: record.name };
  }

  /**
   * Calls a kernel function under the time budget (kernel code reads script values:
   * prototype chains, descriptors, dispose callbacks); a VM exception becomes a
   * VmCallError (never leaks a handle).
   */
  call(name: KernelFunction, ...args: QuickJSHandle[]): QuickJSHandle {
    const result = this.tryCall(name, ...args);
    if (result.error) {
      const exhausted = this.vm.memoryExhausted;
      const dumped = this.describeThrown(result.error);
      result.error.dispose();
      // Past the deadline inside a long builtin, growth is refused: a timeout, not a full VM.
      if (this.vm.stoppedAtGrowth) throw new VmCallError(this.vm.asInterrupted(dumped));
      if (exhausted || isOutOfMemoryValue(dumped)) throw this.vm.outOfMemory(`graft's kernel step '${name}'`, dumped);
      throw new VmCallError(dumped);
    }
    return result.value;
  }

  /** Calls a kernel function and returns the raw result: the caller owns value or error. */
  tryCall(name: KernelFunction, ...args: QuickJSHandle[]): VmCallResult<QuickJSHandle> {
    const fn = this.functions.get(name)!;
    return this.vm.guard(() => this.vm.callFunction(this.context, fn, this.context.undefined, args));
  }

  callVoid(name: KernelFunction, ...args: QuickJSHandle[]): void {
    this.call(name, ...args).dispose();
  }

  /** A kernel function that answers a number. */
  private callNumber(name: KernelFunction, ...args: QuickJSHandle[]): number {
    const result = this.call(name, ...args);
    try {
      return this.context.getNumber(result);
    } finally {
      result.dispose();
    }
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

  /**
   * Where scripts' `import()` requests go: `receive(importer, specifier, type, id)` is called
   * while the script runs (it must not call into the VM); `settleImport(id, ...)` answers later.
   */
  setImportHandler(receive: (importer: string, specifier: string, type: string | undefined, id: number, problem?: { name: string; message: string }) => void): void {
    Scope.withScope((scope) => {
      const context = this.context;
      const text = (handle: QuickJSHandle | undefined): string | undefined => (handle !== undefined && context.typeof(handle) === "string" ? context.getString(handle) : undefined);
      const handler = scope.manage(
        context.newFunction("importHandler", (importer, specifier, type, id, problemName, problemMessage) => {
          const name = text(problemName);
          receive(context.getString(importer), context.getString(specifier), text(type), context.getNumber(id), name === undefined ? undefined : { name, message: text(problemMessage) ?? "" });
        }),
      );
      this.callVoid("setImportHandler", handler);
    });
  }

  /** Settles an import() request: with `file`'s module namespace, or rejected with `error` (a VM value). */
  settleImport(id: number, outcome: { file: string } | { error: QuickJSHandle }): void {
    Scope.withScope((scope) => {
      const file = "file" in outcome ? scope.manage(this.context.newString(outcome.file)) : this.context.null;
      this.callVoid("settleImport", scope.manage(this.context.newNumber(id)), file, "error" in outcome ? outcome.error : this.context.undefined);
    });
  }

  rollback(): void {
    this.callVoid("rollback");
  }

  /** Where the open transaction's journal stands, for rollbackTo. */
  savepoint(): number {
    return this.callNumber("savepoint");
  }

  /** Undoes what the open transaction did since `mark` (a savepoint); it stays open with the rest. */
  rollbackTo(mark: number): void {
    Scope.withScope((scope) => this.callVoid("rollbackTo", scope.manage(this.context.newNumber(mark))));
  }

  commit(): KernelCommitReport {
    const handle = this.call("commit");
    const text = this.context.getString(handle);
    handle.dispose();
    const report = commitReportOf(text);
    this.runDisposers(report);
    return report;
  }

  /**
   * Calls the import.meta.hot.dispose callbacks the commit queued, each under a time budget
   * of its own: one that throws or loops is reported, and the others still run.
   */
  private runDisposers(report: KernelCommitReport): void {
    const context = this.context;
    // The commit says how many it queued: a commit that queued none costs no call.
    for (let queued = report.disposers; queued > 0; queued--) {
      const next = this.call("takeDisposer");
      if (context.typeof(next) === "undefined") {
        next.dispose();
        return;
      }
      const [file, callback, data] = [0, 1, 2].map((index) => context.getProp(next, index)) as [QuickJSHandle, QuickJSHandle, QuickJSHandle];
      next.dispose();
      try {
        const result = this.vm.guard(() => context.callFunction(callback, context.undefined, data));
        if (result.error) {
          const timedOut = this.vm.timedOut;
          const thrown = this.describeThrown(result.error);
          result.error.dispose();
          const message = timedOut ? `timed out: it ran longer than ${this.vm.options.timeout} ms and was stopped` : describeVmError(thrown);
          report.disposeErrors.push({ file: context.getString(file), message });
        } else {
          result.value.dispose();
        }
      } finally {
        file.dispose();
        callback.dispose();
        data.dispose();
      }
    }
  }

  declareExports(file: string, names: string[], explanation: string): void {
    this.callWith("declareExports", [file, names, explanation]).dispose();
  }

  /**
   * Links a module function of the open transaction (its exports become readable), with what
   * its `export *` add and the export names it leaves out (re-exports of types only).
   */
  instantiateModule(file: string, version: number, moduleFunction: QuickJSHandle, dependencies: string[], starExports: StarExport[], typeOnly: string[]): void {
    const flat = starExports.flatMap((entry) => [entry.name, entry.module, entry.exportName]);
    // The three lists as one JSON text (none when all are empty, as for a file without
    // imports): each VM array the host builds is one call into the VM per element.
    const lists = dependencies.length + flat.length + typeOnly.length === 0 ? "" : JSON.stringify([dependencies, flat, typeOnly]);
    this.callWith("instantiateModule", [file, version, moduleFunction, lists]).dispose();
  }

  /** Evaluates a linked module; returns a handle the caller owns: a promise for top-level await. */
  evaluateModule(file: string): QuickJSHandle {
    return this.callWith("evaluateModule", [file]);
  }

  /**
   * Classes of the open reload whose live instances need a pass before commit: a new version
   * adds instance fields, or declares a new or changed migration hook. Caller owns the handles.
   */
  pendingMigrations(): QuickJSHandle[] {
    return this.unpackArray(this.call("pendingMigrations"));
  }

  /**
   * Gives `instances` (a VM array of the class's live instances) the new fields and runs the
   * migration hook on them, journaled. A field initialiser that threw comes back (the field,
   * its offset in the type-stripped script, what it threw); a hook that throws is a VmCallError.
   */
  migrate(cls: QuickJSHandle, instances: QuickJSHandle | undefined): { field: string; offset: number; thrown: string } | undefined {
    const result = this.call("migrate", cls, instances ?? this.context.undefined);
    try {
      if (this.context.typeof(result) === "undefined") return undefined;
      const [field, offset, thrown] = this.context.dump(result) as [string, number, string];
      return { field, offset, thrown };
    } finally {
      result.dispose();
    }
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
    // Read item by item: dump() would JSON.stringify the entry, and so read the class's own
    // `toJSON` (a script's static getter could loop, outside any time budget).
    const context = this.context;
    return this.unpackArray(this.call("supersededVersions")).map((entry) => {
      const [impl, file, name, version] = [0, 1, 2, 3].map((index) => context.getProp(entry, index)) as [QuickJSHandle, QuickJSHandle, QuickJSHandle, QuickJSHandle];
      entry.dispose();
      try {
        return { impl, file: context.getString(file), name: context.getString(name), version: context.getNumber(version) };
      } finally {
        file.dispose();
        name.dispose();
        version.dispose();
      }
    });
  }

  /** How many top-level functions of replaced or deleted versions are alive (asked right after a full collection). */
  supersededFunctionCount(): number {
    return this.callNumber("supersededFunctionCount");
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

  /** A VM WeakRef to the graft class `cls` (the caller owns it). */
  weakClass(cls: QuickJSHandle): QuickJSHandle {
    return this.call("weakClass", cls);
  }

  /** The class a weakClass() reference refers to (the caller owns it), or undefined once collected. */
  derefClass(ref: QuickJSHandle): QuickJSHandle | undefined {
    const handle = this.call("derefClass", ref);
    if (this.context.typeof(handle) === "undefined") {
      handle.dispose();
      return undefined;
    }
    return handle;
  }

  namespaceOf(file: string): QuickJSHandle {
    return this.callWith("namespaceOf", [file]);
  }

  namespaceKeys(file: string): string[] {
    return this.names(this.callWith("namespaceKeys", [file]), "namespaceKeys");
  }

  classNames(file: string): string[] {
    return this.names(this.callWith("classNames", [file]), "classNames");
  }

  /**
   * A kernel answer that is a list of names, read (and the handle disposed). quickjs-emscripten's
   * dump copies it as JSON made in the VM, and in a VM full to memoryLimit that JSON cannot be
   * made: what came back then is no list (a file's exports read as none), so it is refused.
   */
  private names(handle: QuickJSHandle, step: KernelFunction): string[] {
    let names: unknown;
    try {
      names = this.context.dump(handle);
    } finally {
      handle.dispose();
    }
    if (Array.isArray(names) && names.every((name) => typeof name === "string")) return names as string[];
    throw this.vm.memoryExhausted ? this.vm.outOfMemory(`reading the answer of graft's kernel step '${step}'`) : new GraftError(`graft could not read the answer of its kernel step '${step}' (got ${typeof names})`);
  }

  setHostExports(values: QuickJSHandle): void {
    this.callVoid("setHostExports", values);
  }

  /** "array" or "object" for plain data (copied across), null for anything else. */
  plainKind(value: QuickJSHandle): "array" | "object" | null {
    const kind = this.callNumber("plainKind", value);
    return kind === 2 ? "array" : kind === 1 ? "object" : null;
  }

  private unpackArray(array: QuickJSHandle): QuickJSHandle[] {
    const length = this.context.getLength(array) ?? 0;
    const items: QuickJSHandle[] = [];
    for (let i = 0; i < length; i++) items.push(this.context.getProp(array, i));
    array.dispose();
    return items;
  }

  /** The kernel's functions the host calls: held from construction until dispose(). */
  functionHandles(): QuickJSHandle[] {
    return [...this.functions.values()];
  }

  dispose(): void {
    for (const handle of this.functions.values()) handle.dispose();
    this.functions.clear();
  }
}
