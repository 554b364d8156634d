import type { QuickJSContext } from "quickjs-emscripten-core";
import type { CompiledScript } from "../compile/index.js";
import type { TimerOwner } from "../async/scheduler.js";
import type { StarExport } from "./module-link.js";

/** The module name scripts import host functions from. */
export const HOST_MODULE = "host";

/** A file running now: its context, the version that runs, and what that version imports. */
export interface LoadedFile {
  path: string;
  context: QuickJSContext;
  script: CompiledScript;
  /** Resolved dependencies, in `__graft.require(i)` order. */
  dependencies: string[];
  /** Owns the timers this version's top-level code created. */
  owner: TimerOwner;
}

/** A file a transaction evaluates: a new text, or a running version re-run. */
export interface Candidate {
  path: string;
  script: CompiledScript;
  dependencies: string[];
  attempt: number;
  /** Its text on disk (an edit, or a retry), or its running version re-run because an import of it changed (R13). */
  role: "edit" | "rerun";
  /** What the script's `export *` add, resolved when the batch is linked. */
  starExports: StarExport[];
  /** Its re-exports that resolve to types only, resolved when the batch is linked: not in its namespace. */
  typeOnly?: string[];
  /** Set when the file is on an import cycle: the cycle, for errors of reads before a module ran. */
  cycle?: string;
}
