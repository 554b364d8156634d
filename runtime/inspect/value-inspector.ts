import { Scope, type QuickJSContext, type QuickJSHandle, type VmCallResult } from "quickjs-emscripten-core";
import { vmSource } from "../kernel/vm-source.js";
import { describeVmError, type Kernel } from "../kernel/kernel.js";
import { isOutOfMemoryValue, type Vm } from "../vm/vm.js";
import { GraftError } from "../graft-error.js";

/** The in-VM half (runtime/kernel/vm/inspect.js), evaluated in the kernel's context. */
const INSPECT = vmSource("inspect.js");

/** A VM value as CDP's Runtime.RemoteObject describes it, without the objectId the host assigns. */
export interface ValueDescription {
  type: string;
  subtype?: string;
  className?: string;
  value?: unknown;
  unserializableValue?: string;
  description?: string;
  preview?: unknown;
}

/** One property as Runtime.getProperties lists it; the values are indexes into `PropertyList.valueAt`. */
export interface PropertyEntry {
  name: string;
  configurable?: boolean;
  enumerable?: boolean;
  writable?: boolean;
  isOwn?: boolean;
  value?: ValueDescription & { index: number };
  get?: ValueDescription & { index: number };
  set?: ValueDescription & { index: number };
  symbol?: ValueDescription & { index: number };
}

export interface PropertyList {
  result: PropertyEntry[];
  internal: PropertyEntry[];
  /** The value at `index` (a new handle the caller owns). */
  valueAt(index: number): QuickJSHandle;
  dispose(): void;
}

/** A console method a script called. The handles are borrowed for the duration of the listener. */
export interface ConsoleCall {
  /** CDP's Runtime.consoleAPICalled type: log, info, warning, error, debug, dir, trace, assert, table, count, timeEnd, ... */
  type: string;
  file: string;
  args: QuickJSHandle[];
  /** The VM stack at the call, as QuickJS prints it (evaluated names, not yet mapped). */
  stack: string;
  /** console.table: JSON { header, rows } of the grid's texts. */
  table?: { header: string[]; rows: string[][] };
}

/**
 * Scripts' `console`, and reading VM values for the DevTools inspector: every call here is a
 * VM call under the time budget, reading descriptors without running script code.
 */
export class ValueInspector {
  private readonly functions = new Map<"installConsole" | "describe" | "properties" | "call", QuickJSHandle>();
  private readonly hooks: QuickJSHandle[] = [];
  private readonly files: string[] = [];
  private readonly fileIndex = new Map<string, number>();
  /** Where console calls go (set by the host API). */
  onConsole: ((call: ConsoleCall) => void) | undefined;

  constructor(
    private readonly vm: Vm,
    private readonly context: QuickJSContext,
    private readonly kernel: Kernel,
  ) {
    try {
      Scope.withScope((scope) => {
        const hooks = scope.manage(context.newObject());
        const consoleHook = context.newFunction("console", (type, file, args, stack, extra) => this.consoleCalled(type!, file!, args!, stack!, extra!));
        const classOf = context.newFunction("classOf", (value) => context.newString(kernel.classes.classNameOf(value!)));
        this.hooks.push(consoleHook, classOf);
        context.setProp(hooks, "console", consoleHook);
        context.setProp(hooks, "classOf", classOf);
        const factory = scope.manage(context.unwrapResult(context.evalCode(INSPECT.source, INSPECT.evaluatedName)));
        const api = scope.manage(context.unwrapResult(context.callFunction(factory, context.undefined, hooks)));
        for (const name of ["installConsole", "describe", "properties", "call"] as const) this.functions.set(name, context.getProp(api, name));
      });
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /** Gives a script context its global `console`, bound to `file`. */
  install(scriptContext: QuickJSContext, file: string): void {
    let index = this.fileIndex.get(file);
    if (index === undefined) {
      index = this.files.push(file) - 1;
      this.fileIndex.set(file, index);
    }
    const context = this.context;
    // Once per script context (start-up makes thousands): the VM's direct call, no Scope.
    const number = context.newNumber(index);
    let result: VmCallResult<QuickJSHandle>;
    try {
      result = this.vm.callFunction(context, this.functions.get("installConsole")!, context.undefined, [scriptContext.global, number]);
    } finally {
      number.dispose();
    }
    if (!result.error) return result.value.dispose();
    // A full VM (the one way graft's own installConsole fails): the reload fails as out of memory, never with QuickJS's raw error.
    const exhausted = this.vm.memoryExhausted;
    const thrown = this.kernel.describeThrown(result.error);
    result.error.dispose();
    if (exhausted || isOutOfMemoryValue(thrown)) throw this.vm.outOfMemory(`the console of ${file}`, thrown);
    throw new GraftError(`graft could not give ${file} its console: ${describeVmError(thrown)}`);
  }

  private consoleCalled(type: QuickJSHandle, file: QuickJSHandle, args: QuickJSHandle, stack: QuickJSHandle, extra: QuickJSHandle): void {
    const listener = this.onConsole;
    if (!listener) return;
    const context = this.context;
    const length = context.getLength(args) ?? 0;
    const items: QuickJSHandle[] = [];
    try {
      for (let i = 0; i < length; i++) items.push(context.getProp(args, i));
      const extraText = context.getString(extra);
      listener({
        type: context.getString(type),
        file: this.files[context.getNumber(file)] ?? "",
        args: items,
        stack: context.getString(stack),
        table: extraText ? (JSON.parse(extraText) as ConsoleCall["table"]) : undefined,
      });
    } finally {
      for (const item of items) item.dispose();
    }
  }

  /** `value` as a remote object (with a preview when asked). */
  describe(value: QuickJSHandle, preview: boolean): ValueDescription {
    const context = this.context;
    const result = this.vm.guard(() => context.callFunction(this.functions.get("describe")!, context.undefined, value, preview ? context.true : context.false));
    if (result.error) {
      result.error.dispose();
      return { type: "object", className: "Object", description: "(graft could not read this value)" };
    }
    const text = context.getString(result.value);
    result.value.dispose();
    return JSON.parse(text) as ValueDescription;
  }

  /** Runtime.getProperties of `value`. */
  properties(value: QuickJSHandle, ownOnly: boolean, accessorsOnly: boolean, preview: boolean): PropertyList {
    const context = this.context;
    const flag = (on: boolean) => (on ? context.true : context.false);
    const pair = context.unwrapResult(this.vm.guard(() => context.callFunction(this.functions.get("properties")!, context.undefined, value, flag(ownOnly), flag(accessorsOnly), flag(preview))));
    const textHandle = context.getProp(pair, 0);
    const values = context.getProp(pair, 1);
    pair.dispose();
    const text = context.getString(textHandle);
    textHandle.dispose();
    const parsed = JSON.parse(text) as { result: PropertyEntry[]; internal: PropertyEntry[] };
    return {
      ...parsed,
      valueAt: (index) => context.getProp(values, index),
      dispose: () => values.dispose(),
    };
  }

  /** `fn.apply(thisArg, args)` under the time budget; the caller owns the result. */
  call(fn: QuickJSHandle, thisArg: QuickJSHandle, args: QuickJSHandle[]): VmCallResult<QuickJSHandle> {
    const context = this.context;
    return Scope.withScope((scope) => {
      const array = scope.manage(context.newArray());
      args.forEach((arg, index) => context.setProp(array, index, arg));
      return this.vm.guard(() => context.callFunction(this.functions.get("call")!, context.undefined, fn, thisArg, array));
    });
  }

  /** The functions of inspect.js the host calls: held from construction until dispose(). */
  functionHandles(): QuickJSHandle[] {
    return [...this.functions.values()];
  }

  dispose(): void {
    for (const handle of this.functions.values()) handle.dispose();
    this.functions.clear();
    for (const hook of this.hooks) hook.dispose();
    this.hooks.length = 0;
  }
}
