/**
 * graft's published types: the public API and nothing of its internals (the VM, the kernel,
 * the bridge, heap data, addresses). It needs only TypeScript's own libs: ES2022 and
 * `ESNext.Disposable` (for `[Symbol.dispose]`; `@types/node` declares it too), and no Node
 * types. test/public-types.ts checks that the implementation (host-api/index.ts) matches it.
 */

// ---------------------------------------------------------------------------- errors

/** Misuse of graft's API, or something graft cannot do (the message says what and what to do). */
export declare class GraftError extends Error {
  /**
   * Set on the error of a crashed VM: "timeout" when graft stopped the VM from outside
   * because a call ran past its timeout inside a built-in function, "trap" for any other crash.
   */
  readonly kind?: "timeout" | "trap";
  constructor(message: string);
}

/** An exception a script threw (or a script error: syntax, timeout, out of memory), with the script's own stack. */
export declare class ScriptError extends Error {
  /** The script error's `name`: "TypeError", "RangeError", ... */
  readonly scriptName: string;
  /** The script's stack, mapped to the scripts as written. */
  readonly scriptStack: string;
  /** Where it was thrown, in the script as written, when known. */
  readonly position?: SourcePosition | undefined;
  /** What the script threw, as read from the VM (without running script code). */
  readonly thrown?: unknown;
  constructor(message: string, scriptName: string, scriptStack: string, position?: SourcePosition, thrown?: unknown);
}

// ---------------------------------------------------------------------------- values

/**
 * A value living in the VM, held by the host. Primitives are held by value; objects,
 * functions and classes by reference, released with `dispose()`, by a finalizer once the
 * host drops the wrapper, or with the runtime. Made only by graft (`new ScriptValue()` is
 * not for hosts).
 */
export declare class ScriptValue {
  protected constructor();
  /** True once `keep()` was called. */
  kept: boolean;
  /** `typeof` of the VM value. */
  readonly type: string;
  /** Whether this holds a VM reference (an object, function or class). */
  readonly isReference: boolean;
  /** False once disposed (by dispose(), after a host function call, or with its runtime). */
  readonly alive: boolean;
  /**
   * Keeps a value a script passed to a host function past that call (such values are
   * released when the host function returns, or when its promise settles).
   */
  keep(): this;
  /**
   * Reads a property; getters run, under the time budget.
   * @throws {ScriptError} when a getter throws or runs past the timeout.
   * @throws {GraftError} on a primitive, a disposed value, or a key that is not a string or index.
   */
  get(key: string | number): ScriptValue;
  /**
   * Reads a property as a plain-data copy: `get(key).toHost()`, leaving no handle behind.
   * @throws {ScriptError} when a getter throws.
   * @throws {GraftError} when the value is not plain data (see toHost).
   */
  read(key: string | number): unknown;
  /**
   * Writes a property (plain data by copy, ScriptValues and functions by reference).
   * @throws {ScriptError} when a setter throws, or the target is frozen or the property read-only.
   * @throws {GraftError} when `value` cannot cross (a Date, a Map, a cycle, ...).
   */
  set(key: string | number, value: unknown): void;
  /**
   * Calls `this[method](...args)` in the VM, under the time budget.
   * @throws {ScriptError} when the script throws, times out, or `method` is not a function.
   * @throws {GraftError} when an argument cannot cross, or the value is disposed.
   */
  call(method: string, ...args: unknown[]): ScriptValue;
  /**
   * Calls the value itself as a function, with `this` undefined.
   * @throws {ScriptError} when the script throws or times out.
   * @throws {GraftError} when an argument cannot cross, or the value is disposed.
   */
  invoke(...args: unknown[]): ScriptValue;
  /**
   * `new value(...args)`.
   * @throws {ScriptError} when the constructor throws or times out.
   * @throws {GraftError} when an argument cannot cross, or the value is disposed.
   */
  new(...args: unknown[]): ScriptValue;
  /**
   * A plain-data copy: own enumerable data properties, read without running script code.
   * @throws {GraftError} on a getter, a cycle, a Proxy, another built-in (Map, Date, ...), a
   *   promise, or more than a million values or a thousand levels; the message says where.
   */
  toHost(): unknown;
  /**
   * Waits for a script promise: resolves with its value (a ScriptValue the caller owns);
   * a value that is not a promise resolves to itself. Keeps the host process alive while
   * a script timer can still settle it.
   * @throws {ScriptError} (rejects) when the promise rejects.
   * @throws {GraftError} (rejects) when the runtime is disposed first.
   */
  promise(): Promise<ScriptValue>;
  /** Whether both wrap the same VM value (`Object.is`). */
  isSame(other: ScriptValue): boolean;
  /**
   * `this instanceof cls` in the VM.
   * @throws {ScriptError} when reading `cls.prototype` throws.
   */
  instanceOf(cls: ScriptValue): boolean;
  /** Releases the VM reference (a no-op for primitives and disposed values). */
  dispose(): void;
  [Symbol.dispose](): void;
  toString(): string;
}

/**
 * A top-level class of a script: the same class object across reloads. It refers to the
 * class weakly: it never keeps a retired class alive; once a retired class was collected,
 * `retired` is true, `alive` false, and any other use throws a GraftError saying so.
 */
export declare class ScriptClass extends ScriptValue {
  readonly name: string;
  readonly file: string;
  /** How many versions have been grafted onto it (1 after the first load). */
  readonly version: number;
  /** True once its file no longer defines it (also once it was collected). */
  readonly retired: boolean;
}

// ---------------------------------------------------------------------------- the host module

/**
 * A function the host exposes to scripts through `import { name } from "host"`; declared
 * as a method so that narrower parameter types are accepted.
 */
export type HostFunction = { bivariant(...args: HostArg[]): unknown }["bivariant"];
/** What the host may expose as the `"host"` module: functions by reference, plain data by copy. */
export type HostValue = HostFunction | undefined | null | boolean | number | string | bigint | ScriptValue | HostValue[] | { [key: string]: HostValue };
/** The `host` option: each key is an export of the `"host"` module scripts import from. */
export type HostObject = { [name: string]: HostValue };
/** Every member of `Host` can cross into the VM (what `defineHost<Host>()` checks). */
export type HostShape<Host> = { [K in keyof Host]: HostValue };
/** What crosses from the VM to the host: primitives by value, plain objects and arrays by copy, the rest by reference. */
export type HostArg = undefined | null | boolean | number | string | bigint | ScriptValue | HostArg[] | { [key: string]: HostArg };

/**
 * The host object, checked: every member can cross into the VM; the functions' parameters
 * are typed from `Host`.
 * @throws {GraftError} when a member cannot cross (a Date, a class instance, ...).
 */
export declare function defineHost<Host extends HostShape<Host>>(host: Host): Host;

// ---------------------------------------------------------------------------- options

export interface RuntimeOptions {
  /** Folder holding the scripts. Relative paths resolve against the working directory. */
  scripts: string;
  /** Watch the folder and reload on change. Default false. */
  watch?: boolean;
  /** Functions and plain values exposed to scripts as the `"host"` module. */
  host?: HostObject | object;
  /** VM memory limit in bytes. Default 256 MiB. */
  memoryLimit?: number;
  /**
   * Limit in ms for any one evaluation or host->script call. Default 1000. A call stuck in
   * one long built-in function is stopped from outside at 1.5x timeout + 50 ms, which crashes
   * the VM (see reloadOnCrash).
   */
  timeout?: number;
  /**
   * Restart a crashed VM from the files on disk (every script's state lost; the "error" event
   * says so, the restarted load is a "reload" event). Default false.
   */
  reloadOnCrash?: boolean;
  /** Watcher debounce in ms for a lone save. */
  debounce?: number;
  /** With `watch`: how long (ms) a failed reload waits before it is reported. Default 200. */
  errorDelay?: number;
  /** Called with every load and reload error, those of the initial load included. */
  onError?: (error: ReloadError) => void;
  /** Record where in the host's code each ScriptValue was made, for leaks() and retainers(). */
  debugHandles?: boolean;
  /** "standard" (default): TC39 decorators; "legacy": TypeScript's experimentalDecorators. */
  decorators?: "standard" | "legacy";
  /** Where scripts' console output goes: a function given each call, or false to drop it. Default: stdout/stderr. */
  console?: ConsoleOutput | false;
}

/** One call of a script's console, formatted. */
export interface ConsoleEntry {
  type: string;
  file: string;
  line?: number;
  column?: number;
  text: string;
  stack: string;
}
export type ConsoleOutput = (entry: ConsoleEntry) => void;

/** `runtime.inspect(options)`: where the DevTools inspector listens. */
export interface InspectOptions {
  /** Port; default 9229; 0 picks a free one. */
  port?: number;
  /** Interface; default "127.0.0.1". */
  host?: string;
}

/** A running DevTools inspector of one runtime (`runtime.inspect()`). */
export interface Inspector {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly devtoolsFrontendUrl: string;
  readonly sessions: number;
  close(): Promise<void>;
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

// ---------------------------------------------------------------------------- reports

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface MemberChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

export interface ClassPatch {
  file: string;
  name: string;
  version: number;
  /** True when this reload created the class. */
  created: boolean;
  prototype: MemberChanges;
  static: MemberChanges;
  /** Set when `extends` changed: the new base's name. */
  newBase?: string;
  /** Instance fields the new version added, and how many live instances were given them. */
  fields?: { added: string[]; instances: number };
}

export interface RetiredClass {
  file: string;
  name: string;
  version: number;
}

/**
 * What `on("error")`, `onError` and `failures()` give: a script that failed to load or
 * reload, script code the event loop ran that threw (`origin`), the watcher, the VM.
 */
export interface ErrorReport {
  file: string;
  message: string;
  position?: SourcePosition;
  /** A few lines of source around the position, with a caret. */
  frame?: string;
  /** The full error text: what, where, what to do. */
  text: string;
  /** Set when the error did not come from loading a script (see the README). */
  origin?: "setTimeout" | "setInterval" | "queueMicrotask" | "promise job" | "watcher" | "reload" | "vm";
  /** In `failures()`: true when an earlier version of the file keeps running. */
  running?: boolean;
}

/** @deprecated The old name of ErrorReport (kept for one version). */
export type ReloadError = ErrorReport;

export interface ReloadReport {
  ok: boolean;
  files: string[];
  rerun: string[];
  removed: string[];
  recovered: string[];
  patched: ClassPatch[];
  retired: RetiredClass[];
  errors: ReloadError[];
  warnings?: string[];
  durationMs: number;
}

export interface GcResult {
  before: number;
  after: number;
}

/** One edge of a retainer path, from the held object towards a root. */
export interface RetainerStep {
  edge: string;
  holder: string;
  root?: boolean;
}

export interface RetainerPath {
  target: string;
  steps: RetainerStep[];
  /** One edge a line, root last. */
  text: string;
}

/** A retired (or superseded) class version still alive after a full GC. */
export interface LeakReport {
  file: string;
  name: string;
  version: number;
  retired: boolean;
  retainedSize?: number;
  paths: RetainerPath[];
  text: string;
}

/** Each event of `runtime.on(event, listener)`, and what its listener receives. */
export interface RuntimeEventMap {
  reload: ReloadReport;
  error: ReloadError;
  leak: LeakReport[];
}
export type RuntimeEvent = keyof RuntimeEventMap;

// ---------------------------------------------------------------------------- the heap

export interface ClassCount {
  name: string;
  count: number;
}

export type NodeKind = "object" | "array" | "function" | "code" | "shape" | "closure variable" | "async frame" | "context" | "module";
export type EdgeType = "context" | "element" | "property" | "internal" | "hidden" | "shortcut" | "weak";

/** One live GC object of a snapshot. */
export interface HeapNode {
  /** Position in the snapshot (see HeapGraph.ids for ids stable across snapshots). */
  index: number;
  kind: NodeKind;
  /** "Rehash" for an instance or a class, "execute" for a function, "Rehash.prototype", ... */
  name: string;
  /** "Object", "Array", "Function", "Map", ... */
  className: string;
  location?: string;
  file?: string;
  selfSize: number;
}

export interface HeapEdge {
  from: number;
  to: number;
  type: EdgeType;
  name: string;
}

/** Every live GC object of the VM and the references between them (`runtime.heap.snapshot()`). */
export interface HeapGraph {
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** Per node index: an id stable across snapshots of one runtime. */
  readonly ids: Int32Array;
  readonly nodes: HeapNode[];
  readonly edges: HeapEdge[];
  node(index: number): HeapNode;
  byId(id: number): HeapNode | undefined;
  nameOf(index: number): string;
  fileOf(index: number): string | undefined;
  locationOf(index: number): string | undefined;
  kindOf(index: number): NodeKind;
  isRoot(index: number): boolean;
  outgoing(index: number): HeapEdge[];
  incoming(index: number): HeapEdge[];
  /** Immediate dominators and retained sizes, per node index. */
  dominators(): { idom: Int32Array; retained: Float64Array };
}

/** `heap.write(path, options)`: progress of writing the file, and a way to stop it. */
export interface HeapWriteOptions {
  /** Called as the file is written (at most about a hundred times): `done` of `total` steps. */
  onProgress?: (progress: { done: number; total: number }) => void;
  /**
   * Stops writing between pieces: the partial file is removed, the promise rejects with the
   * signal's reason. An AbortSignal (`AbortController().signal`), typed by what is read of it.
   */
  signal?: { readonly aborted: boolean; readonly reason?: unknown };
}

/**
 * How far `heap.snapshot()` or `heap.leaks()` is: `phase` "gc" (the full collection, 0 then
 * 1 of 1), "read" (`done` GC objects read of about `total`; exact once done), "paths"
 * (leaks only: `done` of `total` leaked versions' retainer paths made), then "done".
 */
export interface HeapProgress {
  phase: "gc" | "read" | "paths" | "done";
  done: number;
  total: number;
}

/**
 * `heap.snapshot(options)`, `heap.leaks(options)`: progress and a way to stop. Both calls are
 * synchronous (the heap read stops the VM until it returns), so `onProgress` is called
 * during the call, from inside it.
 */
export interface HeapWorkOptions {
  onProgress?: (progress: HeapProgress) => void;
  /**
   * Checked between phases and chunks of objects: once aborted, the call throws the signal's
   * reason and keeps nothing half-made. An AbortSignal, typed by what is read of it.
   */
  signal?: { readonly aborted: boolean; readonly reason?: unknown };
}

/** `runtime.heap`: graft's heap tools. Each throws GraftError when heap inspection is not available on this build. */
export interface RuntimeHeap {
  /**
   * Runs a full cycle collection now; returns the live GC object counts before and after.
   * @throws {GraftError} when the runtime is disposed.
   */
  gc(): GcResult;
  /**
   * Retired and superseded class versions still alive after a full GC, with what holds them.
   * `options.onProgress` hears the phases (gc, read, paths, done) during the call.
   * @throws {GraftError} when heap inspection is not available.
   * @throws the signal's reason once `options.signal` is aborted.
   */
  leaks(options?: HeapWorkOptions): LeakReport[];
  /**
   * Every live object whose prototype chain includes `cls.prototype`, after a full GC.
   * @throws {GraftError} when `cls` is not a class, or heap inspection is not available.
   */
  findInstances(cls: ScriptClass | ScriptValue): ScriptValue[];
  /**
   * Shortest paths from GC roots to `value` (the host's own hold included, last).
   * @throws {GraftError} when heap inspection is not available.
   */
  retainers(value: ScriptValue): RetainerPath[];
  /**
   * Every live GC object and its references. `options.onProgress` hears the phases (read,
   * done) during the call.
   * @throws {GraftError} when heap inspection is not available.
   * @throws the signal's reason once `options.signal` is aborted.
   */
  snapshot(options?: HeapWorkOptions): HeapGraph;
  /**
   * Writes a Chrome DevTools `.heapsnapshot` file. The heap is read before this returns
   * (the only part that stops the VM); the file is written while the host runs.
   * @throws {GraftError} when heap inspection is not available.
   * @throws {Error} (rejects) the file system's errors, or the signal's reason once aborted.
   */
  write(path: string, options?: HeapWriteOptions): Promise<void>;
  /** Live instances per class name, most first, after a full GC; graft's own objects only with `{ internal: true }`. */
  topClasses(limit?: number, options?: { internal?: boolean }): ClassCount[];
}

// ---------------------------------------------------------------------------- the runtime

/**
 * Creates a runtime, loads every script of `options.scripts` (a script that fails to load
 * does not fail it: see `onError`) and, with `watch`, starts watching.
 * @throws {GraftError} (rejects) for bad options or a scripts folder that does not exist.
 */
export declare function createRuntime(options: RuntimeOptions): Promise<GraftRuntime>;

/**
 * The host's handle on graft: one QuickJS VM, one context per script, live class patching.
 * Every method throws GraftError once the runtime is disposed (or its VM crashed).
 */
export declare class GraftRuntime {
  private constructor();
  /** The scripts folder, absolute. */
  readonly root: string;
  /** The report of the initial load. */
  initialReport: ReloadReport;
  readonly alive: boolean;
  /** Heap inspection: leaks, instances, retainers, every live VM object, DevTools snapshots. */
  readonly heap: RuntimeHeap;
  /** Loaded scripts, as sorted relative paths. */
  files(): string[];
  /** Scripts on disk that are not running as they are there, with why. */
  failures(): ReloadError[];
  /**
   * A script's exports, each a ScriptValue (classes as ScriptClass).
   * @throws {GraftError} when the file is not loaded.
   */
  exports(file: string): Record<string, ScriptValue>;
  /**
   * The class `name` defined at the top level of `file`, or one "file#Name" reference.
   * @throws {GraftError} when the file is not loaded or defines no such class.
   */
  getClass(file: string, name: string): ScriptClass;
  getClass(reference: string): ScriptClass;
  /**
   * Every class that extends `base` (a ScriptClass, or "file#Name").
   * @throws {GraftError} for a reference that names no loaded class.
   */
  findSubclasses(base: ScriptClass | string, options?: FindSubclassesOptions): ScriptClass[];
  /**
   * Reloads the given files (paths relative to the scripts folder), or every changed file:
   * one transaction. A script's failure is in the report, not thrown.
   * @throws {GraftError} (rejects) for a path outside the folder, not a script, or neither on disk nor loaded.
   */
  reload(files?: string[], options?: ReloadOptions): Promise<ReloadReport>;
  /** Listens to an event; returns the unsubscribe function. */
  on<E extends RuntimeEvent>(event: E, listener: (payload: RuntimeEventMap[E]) => void): () => void;
  /** @deprecated Use `runtime.heap.gc()` (kept for one version). */
  gc(): GcResult;
  /** @deprecated Use `runtime.heap.findInstances(cls)` (kept for one version). */
  findInstances(cls: ScriptClass | ScriptValue): ScriptValue[];
  /** @deprecated Use `runtime.heap.retainers(value)` (kept for one version). */
  retainers(value: ScriptValue): RetainerPath[];
  /** @deprecated Use `runtime.heap.leaks()` (kept for one version). */
  leaks(options?: HeapWorkOptions): LeakReport[];
  /**
   * Runs code in the running version of a script's own module scope; returns the completion value.
   * @throws {ScriptError} when the code has a syntax error, throws or times out.
   * @throws {GraftError} when the file is not loaded.
   */
  evaluate(file: string, code: string): ScriptValue;
  /**
   * Serves the Chrome DevTools Protocol for this runtime, as `node --inspect` does.
   * @throws {Error} (rejects) when the port cannot be listened on.
   */
  inspect(options?: InspectOptions): Promise<Inspector>;
  /** Frees the VM and everything in it; ScriptValues the host still holds throw afterwards. */
  dispose(): void;
  [Symbol.dispose](): void;
}

// ---------------------------------------------------------------------------- report text

/** One line for the start-up load, then any failures. */
export declare function describeInitialLoad(report: ReloadReport): string[];
/** What a designer wants to see on the console after a save. */
export declare function describeReload(report: ReloadReport): string[];
/** One class's patch as a line: `Look: patched to v2 (members ~execute)`. */
export declare function describePatch(patch: ClassPatch): string;
