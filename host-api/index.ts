export { createRuntime, GraftRuntime } from "./runtime.js";
export { ScriptValue, ScriptClass } from "./script-value.js";
export { ScriptError, GraftError } from "./errors.js";
export type * from "./types.js";
