import { MAX_MEMORY_BYTES } from "../runtime/vm/wasm-instance.js";
import { GraftError } from "./errors.js";
import type { RuntimeOptions } from "./types.js";

/** Below this QuickJS cannot even start its contexts. */
const MIN_MEMORY_LIMIT = 1024 * 1024;

export function describeArgument(value: unknown): string {
  if (typeof value === "string") return `a string ("${value}")`;
  if (value === null) return "null";
  return `${Array.isArray(value) ? "an array" : `a ${typeof value}`}${typeof value === "object" || typeof value === "function" ? "" : ` (${String(value)})`}`;
}

/** createRuntime's options, each checked: a GraftError says which is wrong and what it takes. */
export function validateOptions(options: RuntimeOptions): void {
  if (!options || typeof options.scripts !== "string" || options.scripts === "") {
    throw new GraftError("createRuntime needs { scripts: 'path/to/folder' }");
  }
  if (options.errorDelay !== undefined && (typeof options.errorDelay !== "number" || !Number.isFinite(options.errorDelay) || options.errorDelay < 0)) {
    throw new GraftError(`createRuntime option 'errorDelay' must be a number of milliseconds (0 or more), got ${String(options.errorDelay)}`);
  }
  const memoryLimit = options.memoryLimit;
  if (memoryLimit !== undefined && typeof memoryLimit === "number" && (memoryLimit < MIN_MEMORY_LIMIT || memoryLimit > MAX_MEMORY_BYTES)) {
    throw new GraftError(
      `createRuntime option 'memoryLimit' must be between 1 MiB and 2 GiB (${MAX_MEMORY_BYTES} bytes: the VM is 32-bit WebAssembly), got ${String(memoryLimit)}`,
    );
  }
  for (const key of ["memoryLimit", "timeout", "debounce"] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value <= 0)) {
      throw new GraftError(`createRuntime option '${key}' must be a positive number, got ${String(value)}`);
    }
  }
  if (options.decorators !== undefined && options.decorators !== "standard" && options.decorators !== "legacy") {
    throw new GraftError(`createRuntime option 'decorators' must be "standard" or "legacy", got ${JSON.stringify(options.decorators)}`);
  }
  for (const key of ["watch", "reloadOnCrash", "debugHandles"] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== "boolean") throw new GraftError(`createRuntime option '${key}' must be true or false, got ${describeArgument(value)}`);
  }
  if (options.onError !== undefined && typeof options.onError !== "function") {
    throw new GraftError(`createRuntime option 'onError' must be a function (error) => void, got ${typeof options.onError}`);
  }
  if (options.console !== undefined && options.console !== false && typeof options.console !== "function") {
    throw new GraftError(`createRuntime option 'console' must be a function (entry) => void, or false to drop scripts' console output; got ${describeArgument(options.console)}`);
  }
  if (options.host !== undefined && (typeof options.host !== "object" || options.host === null)) {
    throw new GraftError("createRuntime option 'host' must be an object of functions and plain values");
  }
}
