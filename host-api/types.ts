import type { ReloadError, ReloadReport } from "../runtime/reload/reload-report.js";
import type { ScriptClass, ScriptValue } from "./script-value.js";

/**
 * A function the host exposes to scripts through `import { name } from "host"`. Its
 * parameters receive what scripts pass (HostArg); declared as a method so that a host
 * function with narrower parameter types (`(connection: number, text: string) => void`)
 * is accepted.
 */
export type HostFunction = { bivariant(...args: HostArg[]): unknown }["bivariant"];

/** What the host may expose as the `"host"` module: functions by reference, plain data by copy. */
export type HostValue = HostFunction | undefined | null | boolean | number | string | bigint | ScriptValue | HostValue[] | { [key: string]: HostValue };

/** The `host` option: each key is an export of the `"host"` module scripts import from. */
export type HostObject = { [name: string]: HostValue };

/** Every member of `Host` can cross into the VM (what `defineHost<Host>()` checks). */
export type HostShape<Host> = { [K in keyof Host]: HostValue };

/**
 * What crosses from the VM to the host: primitives by value, plain objects and arrays
 * by copy, everything else (class instances, functions, classes) by reference.
 */
export type HostArg = undefined | null | boolean | number | string | bigint | ScriptValue | HostArg[] | { [key: string]: HostArg };

export interface RuntimeOptions {
  /** Folder holding the scripts. Relative paths resolve against process.cwd(). */
  scripts: string;
  /** Watch the folder and reload on change. Default false. */
  watch?: boolean;
  /** Functions and plain values exposed to scripts as the `"host"` module. */
  host?: HostObject | object;
  /** VM memory limit in bytes. Default 256 MiB. */
  memoryLimit?: number;
  /**
   * Limit in ms for any one evaluation or host->script call. Default 1000. A call whose time
   * goes into one long built-in function (C code the timeout cannot interrupt) is stopped
   * from outside once it has run `timeout * 1.5 + 50` ms, which crashes the VM (see
   * `reloadOnCrash`): every call ends within 2x timeout + 100 ms.
   */
  timeout?: number;
  /**
   * When the VM crashes (a WebAssembly trap, or a call stopped from outside inside a long
   * built-in function), load the files on disk into a new VM and go on serving. Every
   * script's state is lost, and ScriptValues of the crashed VM stay dead; the "error" event
   * says so, and the restarted load is announced as a "reload" event. Default false: a
   * crashed runtime throws a GraftError on every call until it is disposed.
   */
  reloadOnCrash?: boolean;
  /**
   * Watcher debounce in ms: how long a lone changed file waits before its reload. Default 0:
   * a save reloads as soon as it is seen. Once another file changes close behind it, the
   * batch waits for at least 100 ms without changes, so that a `git checkout` reloads as
   * one transaction (its first file may go alone: see `errorDelay`).
   */
  debounce?: number;
  /**
   * With `watch`: how long (ms) a failed reload waits before it is reported, in case its file
   * is still being written (an editor that saves in pieces, or a read that caught a save
   * half-way, or the first file of a `git checkout` whose imports had not arrived yet). A
   * newer save of the same file replaces the report; while more changes are still arriving
   * the report waits on (at most 2 s), and what loaded meanwhile is dropped from it; a
   * successful reload is reported at once. Default 200; 0 reports every failure at once.
   */
  errorDelay?: number;
  /**
   * Called with every load and reload error, those of the initial load included: they
   * happen inside createRuntime, before a listener could be attached with on("error").
   * `runtime.initialReport` and `runtime.failures()` tell the same afterwards. Errors of
   * script code the event loop runs (timer callbacks, microtasks, promise jobs) come here
   * too, with `origin` set, as they do to on("error").
   */
  onError?: (error: ReloadError) => void;
  /**
   * Record where in the host's code each ScriptValue was made (a stack frame, `created at
   * file:line`), in leaks() and retainers(); the API call that made it is always named.
   */
  debugHandles?: boolean;
  /**
   * Which decorators scripts use: "standard" (default), TC39 / TypeScript 5 decorators;
   * "legacy", TypeScript's `experimentalDecorators` (on top-level classes).
   */
  decorators?: "standard" | "legacy";
  /**
   * Where scripts' `console.log` (info, warn, error, debug, trace, assert, table, count,
   * timeEnd, ...) goes: a function given each call as a ConsoleEntry, or false to drop them.
   * Default: the host's stdout (stderr for warnings, errors, traces and failed asserts),
   * each line prefixed with the script's `[file:line]`. An attached DevTools sees them too.
   */
  console?: ConsoleOutput | false;
}

/** One call of a script's console, formatted. */
export interface ConsoleEntry {
  /** As DevTools names it: "log", "info", "warning", "error", "debug", "trace", "assert", "table", "count", "timeEnd", "dir", ... */
  type: string;
  /** The script whose `console` it is. */
  file: string;
  /** Where the call is, in the script as written (the first script frame of the stack). */
  line?: number;
  column?: number;
  /** The arguments formatted as Node's console would (format string, previews of objects). */
  text: string;
  /** The stack at the call, mapped to the scripts as written. */
  stack: string;
}

export type ConsoleOutput = (entry: ConsoleEntry) => void;

/** `runtime.inspect(options)`: where the DevTools inspector listens. */
export interface InspectOptions {
  /** Port; default 9229 (as `node --inspect`); 0 picks a free one. */
  port?: number;
  /** Interface; default "127.0.0.1" (loopback only). */
  host?: string;
}

export interface ReloadOptions {
  /** Re-run the files even if their text did not change (with no files given: every script). */
  force?: boolean;
}

export interface FindSubclassesOptions {
  inclusive?: boolean;
  includeRetired?: boolean;
  /** Also classes created at run time anywhere in the VM (found by heap enumeration). */
  dynamic?: boolean;
}

export interface GcResult {
  before: number;
  after: number;
}

/** Each event of `runtime.on(event, listener)`, and what its listener receives. */
export interface RuntimeEventMap {
  /** A load or reload that changed something, failed, or recovered. */
  reload: ReloadReport;
  /** A script that failed to load or reload, script code the event loop ran that threw, or the watcher failing. */
  error: ReloadError;
  /** Retired or superseded class versions still alive after a reload (opt-in: a full GC per reload). */
  leak: LeakReport[];
}
export type RuntimeEvent = keyof RuntimeEventMap;
export type { ScriptClass, ScriptValue };
export type { SourcePosition, MemberChanges, ClassPatch, RetiredClass, ReloadError, ReloadReport } from "../runtime/reload/reload-report.js";
/**
 * What `on("error")`, `onError` and `failures()` give: a script that failed to load or
 * reload, script code the event loop ran that threw (`origin`), the watcher, the VM.
 * `ReloadError` is its old name (deprecated, kept for one version).
 */
export type ErrorReport = import("../runtime/reload/reload-report.js").ReloadError;

/** One edge of a retainer path, from the held object towards a root. */
export interface RetainerStep {
  /** How the holder refers to the previous object: "property 'execute'", "closure variable 'Rehash'", ... */
  edge: string;
  /** The holder: "function execute (commands/rehash.ts:12)", "Shout.prototype (commands/shout.ts)", ... */
  holder: string;
  root?: boolean;
}

export interface RetainerPath {
  /** The object the path starts from. */
  target: string;
  steps: RetainerStep[];
  /** Printed as H3 in docs/rules.md shows: one edge a line, root last. */
  text: string;
}

/** A retired (or superseded) class version still alive after a full GC. */
export interface LeakReport {
  /** A retired or superseded class (version), or a top-level function of a replaced or deleted file version. */
  kind: "class" | "function";
  file: string;
  name: string;
  version: number;
  retired: boolean;
  /** Bytes the version keeps alive (its dominator subtree), when known. */
  retainedSize?: number;
  paths: RetainerPath[];
  /** Printed report: the class line, then its retainer paths. */
  text: string;
}
