import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";

/**
 * A thrown VM value as plain data, leaving `handle` alive. quickjs-emscripten's `dump`
 * disposes a promise it is given, so a script that throws a promise would make the
 * caller's own dispose fail; a promise is described instead.
 */
export function dumpThrown(context: QuickJSContext, handle: QuickJSHandle): unknown {
  const state = context.getPromiseState(handle);
  if ("notAPromise" in state && state.notAPromise) return context.dump(handle);
  if (state.type === "fulfilled") state.value.dispose();
  if (state.type === "rejected") state.error.dispose();
  return { name: "Error", message: `a promise (${state.type}) was thrown` };
}
