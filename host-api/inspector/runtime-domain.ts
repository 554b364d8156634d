import { Scope, type QuickJSHandle } from "quickjs-emscripten-core";
import { GraftError, ScriptError } from "../errors.js";
import type { ScriptValue } from "../script-value.js";
import type { ConsoleFrame } from "../script-console.js";
import type { PropertyEntry, ValueDescription } from "../../runtime/inspect/value-inspector.js";
import { describePrimitive, ProtocolError, type RemoteObject } from "./remote-objects.js";
import type { ContextChange, ScriptContext } from "./script-contexts.js";
import type { Domain, SessionContext } from "./session.js";

/**
 * What DevTools evaluates while the user types (eager evaluation, completions) comes with
 * throwOnSideEffect: graft cannot tell side effects apart, so it runs only plain reads of
 * names and dotted members (getters they reach still run, under the time budget).
 */
const PLAIN_READ = /^\s*(?:this|[A-Za-z_$][\w$]*)(?:\s*\??\.\s*[A-Za-z_$][\w$]*)*\s*$/;

let exceptionIds = 1;

/** CDP's Runtime.CallFrame for a frame of a script stack. */
export function callFrames(session: SessionContext, frames: ConsoleFrame[]): object[] {
  return frames.map((frame) => {
    const context = session.contexts.ofFile(frame.file);
    return { functionName: frame.functionName, scriptId: context?.scriptId ?? "0", url: context?.url ?? frame.file, lineNumber: frame.line - 1, columnNumber: frame.column - 1 };
  });
}

/** Frames of a mapped script stack ("    at fn (file:line:column)"). */
export function framesOf(stack: string): ConsoleFrame[] {
  const frames: ConsoleFrame[] = [];
  for (const line of stack.split("\n")) {
    const match = /^\s*at (?:(.*?) \()?([^()\s]+?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (match) frames.push({ functionName: match[1] ?? "", file: match[2]!, line: Number(match[3]), column: Number(match[4]) });
  }
  return frames;
}

export function contextDescription(context: ScriptContext): object {
  return { id: context.id, origin: "", name: context.name, uniqueId: `graft-${context.id}`, auxData: { isDefault: true, type: "default", frameId: "" } };
}

/**
 * The Runtime domain: an execution context per script file version, evaluation in a file's
 * module scope, remote objects and their properties, and scripts' console calls.
 */
export function runtimeDomain(session: SessionContext): Domain {
  const { runtime, contexts, objects } = session;
  let unsubscribe: (() => void)[] = [];

  const contextFor = (params: Record<string, unknown>): ScriptContext => {
    const id = params.contextId ?? params.executionContextId;
    if (id === undefined && typeof params.uniqueContextId === "string") {
      const found = contexts.byId(Number(params.uniqueContextId.replace(/^graft-/, "")));
      if (found) return found;
    }
    const context = id === undefined ? contexts.all()[0] : contexts.byId(id);
    if (!context) throw new ProtocolError(id === undefined ? "No script is loaded: there is no execution context to evaluate in" : `Cannot find context with specified id (${String(id)})`);
    return context;
  };

  const exception = (error: unknown, context: ScriptContext | undefined): object => {
    const scriptError = error instanceof ScriptError ? error : undefined;
    const message = error instanceof Error ? error.message : String(error);
    const name = scriptError?.scriptName ?? (error instanceof GraftError ? "GraftError" : "Error");
    const description = scriptError ? `${message}\n${scriptError.scriptStack}` : message;
    const position = scriptError?.position;
    const where = position ? contexts.ofFile(position.file) : context;
    const details: Record<string, unknown> = {
      exceptionId: exceptionIds++,
      text: "Uncaught",
      lineNumber: position ? position.line - 1 : 0,
      columnNumber: position ? position.column - 1 : 0,
      exception: { type: "object", subtype: "error", className: name, description },
    };
    if (where) Object.assign(details, { scriptId: where.scriptId, url: where.url, executionContextId: where.id });
    if (scriptError) details.stackTrace = { callFrames: callFrames(session, framesOf(scriptError.scriptStack)) };
    return { result: details.exception, exceptionDetails: details };
  };

  const resultOf = async (value: ScriptValue, params: Record<string, unknown>, file: string): Promise<object> => {
    let settled = value;
    if (params.awaitPromise === true && value.isReference) {
      try {
        settled = await value.promise();
      } finally {
        if (settled !== value) value.dispose();
      }
    }
    if (params.returnByValue === true) return { result: byValue(settled) };
    const group = typeof params.objectGroup === "string" ? params.objectGroup : undefined;
    return { result: objects.wrap(settled, file, group, params.generatePreview === true) };
  };

  const byValue = (value: ScriptValue): RemoteObject => {
    try {
      if (!value.isReference) return describePrimitive(value.toHost());
      const described = runtime.scriptConsole.values.describe(value.referenceHandle(runtime.bridge, "inspect"), false);
      let copy: unknown;
      try {
        copy = value.toHost();
      } catch (error) {
        throw new ProtocolError(`Object couldn't be returned by value: ${error instanceof Error ? error.message : String(error)}`);
      }
      return { type: described.type, subtype: described.subtype, className: described.className, description: described.description, value: copy };
    } finally {
      value.dispose();
    }
  };

  const onContext = (change: ContextChange): void => {
    if ("created" in change) session.event("Runtime.executionContextCreated", { context: contextDescription(change.created) });
    else session.event("Runtime.executionContextDestroyed", { executionContextId: change.destroyed.id, executionContextUniqueId: `graft-${change.destroyed.id}` });
  };

  const methods: Domain["methods"] = {
    enable() {
      if (unsubscribe.length > 0) return {};
      for (const context of contexts.all()) onContext({ created: context });
      unsubscribe = [
        contexts.onChange(onContext),
        runtime.scriptConsole.tap((call, _entry, frames) => {
          const context = contexts.ofFile(call.file);
          const args = call.args.map((arg) => objects.wrapHandle(arg, call.file, "console", true));
          // DevTools prints a message for these even without arguments.
          if (args.length === 0 && (call.type === "assert" || call.type === "trace")) args.push(describePrimitive(`console.${call.type}`));
          session.event("Runtime.consoleAPICalled", {
            type: call.type,
            args,
            executionContextId: context?.id ?? 0,
            timestamp: Date.now(),
            stackTrace: { callFrames: callFrames(session, frames) },
          });
        }),
        runtime.tapErrors((error) => {
          const context = error.position ? contexts.ofFile(error.position.file) : contexts.ofFile(error.file);
          const details: Record<string, unknown> = {
            exceptionId: exceptionIds++,
            text: error.origin ? `Uncaught (in ${error.origin})` : "Uncaught",
            lineNumber: error.position ? error.position.line - 1 : 0,
            columnNumber: error.position ? error.position.column - 1 : 0,
            url: context?.url ?? error.file,
            exception: { type: "object", subtype: "error", className: "Error", description: error.text },
          };
          if (context) Object.assign(details, { scriptId: context.scriptId, executionContextId: context.id });
          if (error.position) details.stackTrace = { callFrames: callFrames(session, [{ functionName: "", file: error.position.file, line: error.position.line, column: error.position.column }]) };
          session.event("Runtime.exceptionThrown", { timestamp: Date.now(), exceptionDetails: details });
        }),
      ];
      return {};
    },
    disable() {
      for (const stop of unsubscribe) stop();
      unsubscribe = [];
      return {};
    },
    async evaluate(params) {
      if (typeof params.expression !== "string") throw new ProtocolError("Invalid parameters: expression: string value expected", -32602);
      const context = contextFor(params);
      if (params.throwOnSideEffect === true && !PLAIN_READ.test(params.expression)) {
        return exception(new ScriptError("EvalError: Possible side-effect in debug-evaluate", "EvalError", ""), context);
      }
      let value: ScriptValue;
      try {
        value = runtime.evaluate(context.file, params.expression);
      } catch (error) {
        if (error instanceof ScriptError || error instanceof GraftError) return exception(error, context);
        throw error;
      }
      try {
        return await resultOf(value, params, context.file);
      } catch (error) {
        if (error instanceof ScriptError) return exception(error, context);
        throw error;
      }
    },
    async callFunctionOn(params) {
      if (typeof params.functionDeclaration !== "string") throw new ProtocolError("Invalid parameters: functionDeclaration: string value expected", -32602);
      const held = params.objectId === undefined ? undefined : objects.get(params.objectId);
      const file = held?.file ?? contextFor(params).file;
      let fn: ScriptValue;
      try {
        fn = runtime.evaluate(file, `(${params.functionDeclaration}\n)`);
      } catch (error) {
        if (error instanceof ScriptError || error instanceof GraftError) return exception(error, contexts.ofFile(file));
        throw error;
      }
      let value: ScriptValue;
      try {
        if (fn.type !== "function") throw new ProtocolError("Given expression does not evaluate to a function");
        value = Scope.withScope((scope) => {
          const args = Array.isArray(params.arguments) ? (params.arguments as Record<string, unknown>[]).map((arg) => argumentHandle(session, arg, scope)) : [];
          const thisHandle = held ? (held.value.isReference ? held.value.referenceHandle(runtime.bridge, "callFunctionOn") : held.value.vmHandle(runtime.bridge, scope)) : runtime.bridge.context.undefined;
          const fnHandle = fn.referenceHandle(runtime.bridge, "callFunctionOn");
          return runtime.bridge.callGuarded(() => runtime.scriptConsole.values.call(fnHandle, thisHandle, args));
        });
      } catch (error) {
        if (error instanceof ScriptError) return exception(error, contexts.ofFile(file));
        throw error;
      } finally {
        fn.dispose();
      }
      try {
        return await resultOf(value, { ...params, objectGroup: params.objectGroup ?? held?.group }, file);
      } catch (error) {
        if (error instanceof ScriptError) return exception(error, contexts.ofFile(file));
        throw error;
      }
    },
    getProperties(params) {
      const held = objects.get(params.objectId);
      if (!held.value.isReference) return { result: [] };
      const list = runtime.scriptConsole.values.properties(held.value.referenceHandle(runtime.bridge, "getProperties"), params.ownProperties === true, params.accessorPropertiesOnly === true, params.generatePreview === true);
      try {
        const remote = (described: (ValueDescription & { index: number }) | undefined): RemoteObject | undefined => {
          if (!described) return undefined;
          const { index, ...rest } = described;
          if ("value" in rest || rest.type === "undefined" || rest.unserializableValue !== undefined || rest.type === "string") return rest;
          const id = objects.hold(list.valueAt(index), held.file, held.group);
          return { ...rest, objectId: id };
        };
        const property = (entry: PropertyEntry) => ({
          name: entry.name,
          configurable: entry.configurable,
          enumerable: entry.enumerable,
          writable: entry.writable,
          isOwn: entry.isOwn,
          value: remote(entry.value),
          get: remote(entry.get),
          set: remote(entry.set),
          symbol: remote(entry.symbol),
        });
        return {
          result: list.result.map(property),
          internalProperties: list.internal.map((entry) => ({ name: entry.name, value: remote(entry.value) })),
        };
      } finally {
        list.dispose();
      }
    },
    releaseObject(params) {
      if (typeof params.objectId !== "string") throw new ProtocolError("Invalid parameters: objectId: string value expected", -32602);
      objects.release(params.objectId);
      return {};
    },
    releaseObjectGroup(params) {
      if (typeof params.objectGroup !== "string") throw new ProtocolError("Invalid parameters: objectGroup: string value expected", -32602);
      objects.releaseGroup(params.objectGroup);
      return {};
    },
    discardConsoleEntries() {
      objects.releaseGroup("console");
      return {};
    },
    compileScript() {
      return {};
    },
    globalLexicalScopeNames(params) {
      // The Console completes these first: the file's module scope, where its code runs.
      return { names: runtime.engine.scopeNamesOf(contextFor(params).file) };
    },
    getIsolateId() {
      return { id: `graft-${runtime.root}` };
    },
    getHeapUsage() {
      const total = runtime.vm.emscriptenModule.HEAPU8.length;
      return { usedSize: total, totalSize: total, embedderHeapUsedSize: 0, backingStorageSize: 0 };
    },
    runIfWaitingForDebugger: () => ({}),
    setAsyncCallStackDepth: () => ({}),
    setCustomObjectFormatterEnabled: () => ({}),
    setMaxCallStackSizeToCapture: () => ({}),
    addBinding: () => ({}),
  };
  return { methods, close: () => methods.disable!({}) };
}

/** A callFunctionOn argument as a VM value: { objectId }, { value }, { unserializableValue } or nothing (undefined). */
function argumentHandle(session: SessionContext, arg: Record<string, unknown>, scope: Scope): QuickJSHandle {
  const { runtime } = session;
  if (typeof arg !== "object" || arg === null) throw new ProtocolError("Invalid parameters: each argument must be a CallArgument object", -32602);
  if (arg.objectId !== undefined) {
    const held = session.objects.get(arg.objectId);
    return held.value.vmHandle(runtime.bridge, scope);
  }
  if (typeof arg.unserializableValue === "string") {
    const text = arg.unserializableValue;
    const value = text === "NaN" ? Number.NaN : text === "Infinity" ? Infinity : text === "-Infinity" ? -Infinity : text === "-0" ? -0 : /^-?\d+n$/.test(text) ? BigInt(text.slice(0, -1)) : undefined;
    if (value === undefined) throw new ProtocolError(`Invalid unserializableValue ${JSON.stringify(text)}`, -32602);
    return runtime.bridge.toVm(value, scope);
  }
  if ("value" in arg) {
    try {
      return runtime.bridge.toVm(arg.value, scope);
    } catch (error) {
      throw new ProtocolError(`Invalid argument value: ${error instanceof Error ? error.message : String(error)}`, -32602);
    }
  }
  return runtime.bridge.context.undefined;
}
