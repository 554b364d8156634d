/**
 * Compatibility entry points for the start-up self-check; the check itself lives with the
 * offsets it proves, in layout.ts.
 */
import type { QuickJSContext, QuickJSRuntime } from "quickjs-emscripten-core";
import { classCountsFromDump, verifyLayout as verifyRuntimeLayout } from "./layout.js";

export { HeapUnsupportedError } from "./layout.js";

/** Proves the layout on `vm.runtime` (see layout.ts verifyLayout); throws HeapUnsupportedError. */
export function verifyLayout(vm: { runtime: QuickJSRuntime }, context: QuickJSContext): void {
  verifyRuntimeLayout(vm.runtime, context);
}

/** The "JSObject classes" table of dumpMemoryUsage: class id -> live objects. */
export const classCounts = classCountsFromDump;
