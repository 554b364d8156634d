/**
 * graft's heap tools for the pinned QuickJS build, standalone: they need only a
 * quickjs-emscripten runtime (and a context to allocate in), never graft's core.
 *
 *   new HeapInspector(runtime, context, knowledge)  the one entry point: gc, findInstances,
 *                                                   leaks, retainers, snapshot, write
 *   verifyLayout(runtime, context)                  the start-up self-check (HeapUnsupportedError)
 *   readRuntimeHeap / HeapGraph / formatRetainers   the mechanism, for tests and tools
 */
export * from "./layout.js";
export * from "./self-check.js";
export * from "./memory.js";
export * from "./gc.js";
export * from "./handles.js";
export * from "./found-objects.js";
export * from "./instances.js";
export * from "./reader.js";
export * from "./graph.js";
export * from "./format.js";
export * from "./heapsnapshot.js";
export * from "./inspector.js";
