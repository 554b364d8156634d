import { formatBytes } from "../format-bytes.js";
import { GraftError } from "../graft-error.js";

/**
 * A WebAssembly trap inside QuickJS ("memory access out of bounds", "unreachable", an
 * `Aborted(Assertion failed ...)` from a C assert) leaves the instance's memory in an unknown
 * state: QuickJS does not survive running out of memory everywhere (its parser and compiler
 * have paths that then read freed or unset pointers). From the first trap on, the instance is
 * dead: every later call into it throws a GraftError that says so, without running any of it,
 * and the host frees nothing in it (the instance is dropped whole at dispose).
 *
 * Every export of the instance is wrapped (a try/catch per call into WebAssembly), so a trap
 * is caught wherever it happens: inside Vm.guard, in a handle's dispose, in a getString.
 */
export interface CrashState {
  /** What the first trap said; undefined while the instance is sound. */
  reason: string | undefined;
  /** Told once, at the first trap (synchronously, deep inside the failed call: JavaScript-side work only). */
  onCrash: ((reason: string) => void) | undefined;
  readonly memoryLimit: number;
  /**
   * Whether the trap was the outside stop (wasm-deadline.ts: the module's `graft_stopped`
   * global), read at the first trap.
   */
  stoppedAtDeadline: (() => boolean) | undefined;
  /** What the outside stop stopped ("the setInterval callback of a.ts, in a.ts:3:9"), asked at the trap. */
  describeStop: (() => string) | undefined;
  /** Set at the first trap when it was the outside stop: what it stopped. */
  stopped: string | undefined;
  /** The script file the outside stop stopped, when a script function was running. */
  stoppedFile: string | undefined;
  /** The runtime's timeout (ms), for the outside stop's message. */
  timeout: number;
  /**
   * Set while the host builds VM values (Vm.whileBuilding): called at every call into the
   * instance, it arms the outside stop for that one call, so a long copy made of many short
   * calls is never stopped, and a script setter stuck in a builtin during it still is. A
   * call that runs no script code (`scriptFree`: making a string, freeing a value) is not
   * stopped however long it copies.
   */
  armEachCall: ((scriptFree: boolean) => void) | undefined;
  /** Whether graft restarts the VM from the files on disk (createRuntime's reloadOnCrash). */
  restarts: boolean;
}

/**
 * The GraftError of a crashed VM. `kind` is "timeout" when graft stopped the VM from outside
 * because a call ran past its timeout inside C code (see wasm-deadline.ts), "trap" for any
 * other WebAssembly trap.
 */
export class VmCrashed extends GraftError {
  constructor(
    message: string,
    readonly kind: "timeout" | "trap",
  ) {
    super(message);
  }
}

/** What graft uses of the WebAssembly API (the project's libs have no DOM types). */
declare const WebAssembly: { RuntimeError: new (message?: string) => Error };

export function newCrashState(memoryLimit: number): CrashState {
  return { reason: undefined, onCrash: undefined, memoryLimit, stoppedAtDeadline: undefined, describeStop: undefined, stopped: undefined, stoppedFile: undefined, timeout: 0, armEachCall: undefined, restarts: false };
}

/** The error every call into a crashed VM gets. */
export function crashError(state: CrashState): VmCrashed {
  const after = state.restarts
    ? "graft restarts it from the files on disk (reloadOnCrash): every script's state is lost, and calls work again once the restarted world has loaded (its \"reload\" event)"
    : "This runtime cannot run scripts any more: dispose() it and create a new one, or create it with reloadOnCrash: true to have graft restart it from the files on disk";
  if (state.stopped !== undefined) {
    return new VmCrashed(
      `the VM crashed: timed out: ${state.stopped} ran longer than the timeout of ${state.timeout} ms inside a built-in function ` +
        "(C code, which the timeout cannot interrupt) and graft stopped the VM from outside; a VM stopped in the middle of C code cannot be trusted. " +
        `${after}. Keep such work small (shorter strings, arrays, bigints per call) or raise timeout`,
      "timeout",
    );
  }
  return new VmCrashed(
    `the VM crashed (WebAssembly trap: ${state.reason ?? "unknown"}): QuickJS failed in a way it cannot recover from, ` +
      `most likely by running out of memory inside its parser or compiler (memoryLimit is ${formatBytes(state.memoryLimit)}). ` +
      (state.restarts ? `${after} (a larger memoryLimit, or scripts that allocate less, avoid it)` : `${after} (a larger memoryLimit, or scripts that allocate less)`),
    "trap",
  );
}

/**
 * Exports that run no script code (they make, read or free values: no getter, setter, Proxy
 * trap or job can run in them), so the outside stop never has to end one: a big string a
 * host copies in may take longer than the timeout on a loaded machine. The pinned build's
 * exports have minified names (as MALLOC_EXPORT in wasm-instance.ts): quickjs-emscripten's
 * name of each is beside it; wasm-patch.ts fails loudly on any other build.
 */
const SCRIPT_FREE = new Set(
  Object.values({
    QTS_NewString: "_", QTS_NewFloat64: "Y", QTS_NewArrayBuffer: "X", QTS_NewObject: "U", QTS_NewArray: "W", QTS_NewSymbol: "ca",
    QTS_NewHostRef: "I", QTS_GetString: "$", QTS_GetFloat64: "Z", QTS_GetArrayBuffer: "aa", QTS_GetArrayBufferLength: "ba",
    QTS_GetHostRefId: "J", QTS_Typeof: "ra", QTS_GetUndefined: "E", QTS_GetNull: "F", QTS_GetTrue: "H", QTS_GetFalse: "G",
    QTS_DupValuePointer: "T", QTS_FreeValuePointer: "P", QTS_FreeValuePointerRuntime: "Q", QTS_FreeCString: "S",
    QTS_FreeVoidPointer: "R", QTS_IsJobPending: "fa", malloc: "v", free: "M",
  }),
);

/** The instance's exports with every function wrapped: see the module comment. */
export function trapGuardedExports(exports: Record<string, unknown>, state: CrashState): Record<string, unknown> {
  const guarded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    guarded[name] = typeof value === "function" ? guard(value as WasmFunction, state, SCRIPT_FREE.has(name)) : value;
  }
  return guarded;
}

type WasmFunction = (...args: number[]) => unknown;

function trapped(error: unknown, state: CrashState): unknown {
  if (!(error instanceof WebAssembly.RuntimeError)) return error;
  if (state.reason === undefined) {
    state.reason = error.message.replace(/\. Build with -sASSERTIONS for more info\.$/, "");
    if (state.stoppedAtDeadline?.()) {
      state.reason = "stopped at the deadline";
      state.stopped = describe(state);
    }
    state.onCrash?.(state.reason);
  }
  return crashError(state);
}

function describe(state: CrashState): string {
  try {
    return state.describeStop?.() ?? "a call into the VM";
  } catch {
    return "a call into the VM";
  }
}

/** Fixed-arity wrappers (most exports take 0-6 numbers): no rest arguments on every VM call. */
function guard(fn: WasmFunction, state: CrashState, scriptFree: boolean): WasmFunction {
  const dead = (): never => {
    throw crashError(state);
  };
  switch (fn.length) {
    case 0:
      return () => {
        if (state.reason !== undefined) dead();
        if (state.armEachCall !== undefined) state.armEachCall(scriptFree);
        try {
          return fn();
        } catch (error) {
          throw trapped(error, state);
        }
      };
    case 1:
      return (a) => {
        if (state.reason !== undefined) dead();
        if (state.armEachCall !== undefined) state.armEachCall(scriptFree);
        try {
          return fn(a);
        } catch (error) {
          throw trapped(error, state);
        }
      };
    case 2:
      return (a, b) => {
        if (state.reason !== undefined) dead();
        if (state.armEachCall !== undefined) state.armEachCall(scriptFree);
        try {
          return fn(a, b);
        } catch (error) {
          throw trapped(error, state);
        }
      };
    case 3:
      return (a, b, c) => {
        if (state.reason !== undefined) dead();
        if (state.armEachCall !== undefined) state.armEachCall(scriptFree);
        try {
          return fn(a, b, c);
        } catch (error) {
          throw trapped(error, state);
        }
      };
    case 4:
      return (a, b, c, d) => {
        if (state.reason !== undefined) dead();
        if (state.armEachCall !== undefined) state.armEachCall(scriptFree);
        try {
          return fn(a, b, c, d);
        } catch (error) {
          throw trapped(error, state);
        }
      };
    case 5:
      return (a, b, c, d, e) => {
        if (state.reason !== undefined) dead();
        if (state.armEachCall !== undefined) state.armEachCall(scriptFree);
        try {
          return fn(a, b, c, d, e);
        } catch (error) {
          throw trapped(error, state);
        }
      };
    default:
      return (...args) => {
        if (state.reason !== undefined) dead();
        if (state.armEachCall !== undefined) state.armEachCall(scriptFree);
        try {
          return fn(...args);
        } catch (error) {
          throw trapped(error, state);
        }
      };
  }
}
