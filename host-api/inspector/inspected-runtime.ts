import type { Bridge } from "../bridge.js";
import type { HeapTools } from "../heap-tools.js";
import type { ScriptConsole } from "../script-console.js";
import type { ScriptValue } from "../script-value.js";
import type { GcResult, ReloadError, ReloadReport } from "../types.js";
import type { Vm } from "../../runtime/vm/vm.js";
import type { ReloadEngine } from "../../runtime/reload/reload-engine.js";

/** What the inspector uses of a GraftRuntime (declared here so that the inspector does not import the runtime back). */
export interface InspectedRuntime {
  readonly root: string;
  readonly alive: boolean;
  files(): string[];
  evaluate(file: string, code: string): ScriptValue;
  gc(): GcResult;
  on(event: "reload", listener: (report: ReloadReport) => void): () => void;
  tapErrors(tap: (error: ReloadError) => void): () => void;
  readonly bridge: Bridge;
  readonly scriptConsole: ScriptConsole;
  readonly heapTools: HeapTools;
  readonly vm: Vm;
  /** The running version of each file (versionOf), its source as written (sourceOf), its top-level names (scopeNamesOf). */
  readonly engine: Pick<ReloadEngine, "versionOf" | "sourceOf" | "scopeNamesOf">;
}
