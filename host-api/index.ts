export { createRuntime, GraftRuntime, type RuntimeHeap } from "./runtime.js";
export { defineHost } from "./define-host.js";
export { describeInitialLoad, describeReload, describePatch } from "./report-text.js";
export { ScriptValue, ScriptClass } from "./script-value.js";
export { ScriptError, GraftError } from "./errors.js";
export type * from "./types.js";
export type { HeapGraph, ClassCount, HeapProgress, HeapWorkOptions, HeapWriteOptions } from "./heap-tools.js";
export type { HeapNode, HeapEdge } from "../runtime/heap/reader.js";
export type { Inspector } from "./inspector/index.js";
