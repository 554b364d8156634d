import path from "node:path";
import { stat } from "node:fs/promises";
import type { QuickJSContext } from "quickjs-emscripten-core";
import type { Kernel } from "../runtime/kernel/kernel.js";
import type { ReloadEngine } from "../runtime/reload/reload-engine.js";
import type { Vm } from "../runtime/vm/vm.js";
import { buildWorld, type World, type WorldOwner } from "./world.js";
import { WatchedReloads } from "./watched-reloads.js";
import { scriptName, scriptPathProblem, toRelative } from "../runtime/files/script-files.js";
import { describeArgument, validateOptions } from "./runtime-options.js";
import { Scheduler, type AsyncFailure } from "../runtime/async/scheduler.js";
import { describeAsyncFailure } from "../runtime/async/async-errors.js";
import { dumpThrown } from "../runtime/async/dump-thrown.js";
import { Bridge } from "./bridge.js";
import { HeapTools, type ClassCount, type HeapGraph, type HeapWorkOptions, type HeapWriteOptions } from "./heap-tools.js";
import { installHostModule } from "./host-module.js";
import { Emitter } from "./events.js";
import { GraftError, ScriptError } from "./errors.js";
import { CompileError } from "../runtime/compile/index.js";
import { ScriptClass, ScriptValue } from "./script-value.js";
import { ValueInspector } from "../runtime/inspect/value-inspector.js";
import { ScriptConsole } from "./script-console.js";
import type { Inspector } from "./inspector/index.js";
import type { FindSubclassesOptions, InspectOptions, GcResult, LeakReport, ReloadError, ReloadOptions, ReloadReport, RetainerPath, RuntimeEvent, RuntimeEventMap, RuntimeOptions } from "./types.js";

const DEFAULT_MEMORY_LIMIT = 256 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 1000;
/**
 * How long the watcher waits after a lone change before reloading: nothing (a save applies
 * as soon as it is seen). A change of another file close behind starts a batch that waits
 * for 100 ms of quiet (runtime/files/watcher.ts), so a `git checkout` reloads as one.
 */
const DEFAULT_DEBOUNCE_MS = 0;
const DEFAULT_ERROR_DELAY_MS = 200;

/** `runtime.heap`: graft's heap tools (V2, H1, H3 in docs/rules.md), each after a full GC where it says so. */
export interface RuntimeHeap {
  /** Runs a full cycle collection now; returns the live GC object counts before and after. */
  gc(): GcResult;
  /**
   * Retired and superseded class versions still alive after a full GC, with what holds them.
   * `options.onProgress` hears each phase (gc, read, paths, done) synchronously during the
   * call; an aborted `options.signal` makes it throw the signal's reason between phases or
   * chunks of objects.
   */
  leaks(options?: HeapWorkOptions): LeakReport[];
  /** Every live object whose prototype chain includes `cls.prototype`, after a full GC. */
  findInstances(cls: ScriptClass | ScriptValue): ScriptValue[];
  /** Shortest paths from GC roots to `value` (the host's own hold included, last). */
  retainers(value: ScriptValue): RetainerPath[];
  /** Every live GC object and its references; `options` as for leaks() (phases read, done). */
  snapshot(options?: HeapWorkOptions): HeapGraph;
  /**
   * Writes a Chrome DevTools .heapsnapshot file. The heap is read before this returns (the
   * only part that stops the VM); the file is written while the host runs, with progress and
   * a way to stop it (`options`).
   */
  write(path: string, options?: HeapWriteOptions): Promise<void>;
  /** Live instances per class name, most first, after a full GC; graft's own objects only with `{ internal: true }`. */
  topClasses(limit?: number, options?: { internal?: boolean }): ClassCount[];
}

/** The `file` of a ScriptError position inside code given to evaluate(). */
export const EVALUATED_CODE = "(evaluated code)";

/** Creates a runtime, loads every script of `options.scripts` and, with `watch`, starts watching. */
export async function createRuntime(options: RuntimeOptions): Promise<GraftRuntime> {
  return GraftRuntime.create(options);
}

/**
 * The host's handle on graft: one QuickJS VM, one context per script, live class patching.
 */
export class GraftRuntime {
  /** The report of the initial load. */
  initialReport!: ReloadReport;
  private readonly events = new Emitter<RuntimeEventMap>();
  private onError: ((error: ReloadError) => void) | undefined;
  private watched: WatchedReloads | undefined;
  private disposed = false;
  /** DevTools inspectors serving this runtime (closed with it), and what they hear of reported errors. */
  private readonly inspectors = new Set<Inspector>();
  private readonly errorTaps = new Set<(error: ReloadError) => void>();
  /** @internal */ heapTools!: HeapTools;
  /** @internal Scripts' console calls, printed and handed to inspectors; `values` reads VM values for DevTools. */
  scriptConsole!: ScriptConsole;
  /** Heap inspection (V2, H1 in docs/rules.md): every live VM object, leaks, and DevTools snapshots. */
  readonly heap: RuntimeHeap;

  /** @internal The VM and everything made in it: the world, replaced whole when a crashed VM is restarted. */
  vm!: Vm;
  /** @internal */ kernelContext!: QuickJSContext;
  /** @internal */ kernel!: Kernel;
  /** @internal */ engine!: ReloadEngine;
  /** @internal */ bridge!: Bridge;
  /** @internal */ scheduler!: Scheduler;
  private world!: World;
  /** The restarted world while it loads the files on disk (reloadOnCrash). */
  private loadingRestart: World | undefined;

  private constructor(
    readonly root: string,
    world: World,
    private readonly options: RuntimeOptions,
    private readonly owner: WorldOwner,
  ) {
    this.enter(world);
    const tools = (): HeapTools => this.heapTools;
    this.heap = {
      gc: () => (this.assertAlive(), tools().gc()),
      leaks: (options?: HeapWorkOptions) => (this.assertAlive(), tools().leaks(options)),
      findInstances: (cls: ScriptClass | ScriptValue) => (this.assertAlive(), tools().findInstances(cls)),
      retainers: (value: ScriptValue) => (this.assertAlive(), tools().retainers(value)),
      snapshot: (options?: HeapWorkOptions) => (this.assertAlive(), tools().snapshot(options)),
      write: (path: string, options?: HeapWriteOptions) => (this.assertAlive(), tools().write(path, options)),
      topClasses: (limit?: number, options?: { internal?: boolean }) => (this.assertAlive(), tools().topClasses(limit, options)),
    };
  }

  /** Makes `world` the one every call goes to. */
  private enter(world: World): void {
    this.world = world;
    this.vm = world.vm;
    this.kernelContext = world.kernelContext;
    this.kernel = world.kernel;
    this.engine = world.engine;
    this.bridge = world.bridge;
    this.scheduler = world.scheduler;
    this.heapTools = world.heapTools;
    this.scriptConsole = world.scriptConsole;
  }

  /** Whether `world` is this runtime's current one (a replaced world's reports are not this runtime's). */
  private worldIs(world: World): boolean {
    return this.world === world;
  }

  static async create(options: RuntimeOptions): Promise<GraftRuntime> {
    validateOptions(options);
    const root = path.resolve(options.scripts);
    const info = await stat(root).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new GraftError(`scripts folder '${options.scripts}' (${root}) does not exist or is not a folder; create it or fix the 'scripts' option`);
    }
    let runtime: GraftRuntime | undefined;
    const owner: WorldOwner = {
      asyncFailure: (world, failure) => runtime?.worldIs(world) && runtime.reportAsyncFailure(failure),
      internalFailure: (world, what, error) => runtime?.worldIs(world) && runtime.reportInternalFailure(what, error),
      crashed: (world) => runtime?.worldIs(world) && runtime.vmCrashed(),
    };
    const world = await buildWorld(options, root, owner);
    runtime = new GraftRuntime(root, world, options, owner);
    runtime.onError = options.onError;
    try {
      runtime.initialReport = await runtime.engine.loadAll();
      runtime.announce(runtime.initialReport);
      if (options.watch) await runtime.startWatching(options.debounce ?? DEFAULT_DEBOUNCE_MS, options.errorDelay ?? DEFAULT_ERROR_DELAY_MS);
    } catch (error) {
      runtime.dispose();
      throw error;
    }
    return runtime;
  }

  private async startWatching(debounceMs: number, errorDelayMs: number): Promise<void> {
    this.watched = new WatchedReloads({
      root: this.root,
      debounceMs,
      errorDelayMs,
      reload: (files, midWrite) => this.engine.reload(files, { midWrite }),
      failures: () => this.engine.failures(),
      loadedUnder: (folder) => this.engine.files().filter((file) => file.startsWith(`${folder}/`)),
      announce: (report) => this.announce(report),
      reportUnprompted: (error) => this.reportUnprompted(error),
      isDisposed: () => this.disposed,
    });
    await this.watched.start();
  }

  /** Loaded scripts, as sorted relative paths. */
  files(): string[] {
    this.assertAlive();
    return this.engine.files();
  }

  /** Scripts on disk that are not running, with why (syntax error, missing import, ...). */
  failures(): ReloadError[] {
    return this.engine.failures();
  }

  /** A script's exports, each a ScriptValue (classes as ScriptClass). */
  exports(file: string): Record<string, ScriptValue> {
    this.assertAlive();
    file = scriptName(file);
    this.assertLoaded(file);
    const namespace = this.bridge.adopt(this.kernel.namespaceOf(file), `exports('${file}')`);
    try {
      const result: Record<string, ScriptValue> = {};
      const handle = namespace.referenceHandle(this.bridge, "exports");
      for (const key of this.kernel.namespaceKeys(file)) {
        result[key] = this.bridge.callGuarded(() => this.kernel.tryCall("get", handle, this.bridge.propertyKey(key)), `exports('${file}').${key}`);
      }
      return result;
    } finally {
      namespace.dispose();
    }
  }

  /** The class `name` defined at the top level of `file`; or one "file#Name" reference, as findSubclasses takes. */
  getClass(reference: string): ScriptClass;
  getClass(file: string, name: string): ScriptClass;
  getClass(file: string, name?: string): ScriptClass {
    if (name === undefined && typeof file === "string" && file.includes("#")) return this.classByReference(file);
    if (typeof name !== "string") throw new GraftError(`getClass(file, name) needs a script path and a class name, or one "file#ClassName" reference such as "commands/base.ts#Command"; got ${describeArgument(file)}${name === undefined ? "" : ` and ${describeArgument(name)}`}`);
    this.assertAlive();
    if (typeof file === "string") file = scriptName(file);
    this.assertLoaded(file);
    const handle = this.kernel.getClass(file, name);
    if (!handle) {
      const known = this.kernel.classNames(file);
      throw new GraftError(`${file} defines no top-level class '${name}' (it defines: ${known.length ? known.join(", ") : "none"})`);
    }
    return this.bridge.adopt(handle, `getClass('${file}', '${name}')`) as ScriptClass;
  }

  /**
   * Every class of every script that extends `base` (directly or not), in stable order:
   * by file path, then definition order; retired ones last when asked for.
   */
  findSubclasses(base: ScriptClass | string, options: FindSubclassesOptions = {}): ScriptClass[] {
    this.assertAlive();
    const baseClass = typeof base === "string" ? this.classByReference(base) : base;
    try {
      const handles = this.kernel.findSubclasses(baseClass.referenceHandle(this.bridge, "findSubclasses"), options.inclusive ?? false, options.includeRetired ?? false);
      const found = handles.map((handle) => this.bridge.adopt(handle, "findSubclasses()") as ScriptClass);
      if (!options.dynamic) return found;
      // Classes made at run time (inside functions, by eval) are found by enumerating the heap;
      // the ones found already are left out by address (one isSame call into the VM per pair was quadratic).
      for (const extra of this.heapTools.dynamicSubclasses(baseClass, options.inclusive ?? false, options.includeRetired ?? false, found)) found.push(extra as ScriptClass);
      return found;
    } finally {
      if (typeof base === "string") baseClass.dispose();
    }
  }

  private classByReference(reference: string): ScriptClass {
    const hash = reference.lastIndexOf("#");
    if (hash <= 0) throw new GraftError(`'${reference}' is not a class reference: write it as "file#ClassName", e.g. "commands/base.ts#Command"`);
    return this.getClass(reference.slice(0, hash), reference.slice(hash + 1));
  }

  /**
   * Reloads the given files (or every changed file): one transaction. What the watcher calls.
   * `force`: re-run the files even if their text did not change (every file, without `files`).
   */
  async reload(files?: string[], options: ReloadOptions = {}): Promise<ReloadReport> {
    this.assertAlive();
    if (typeof options !== "object" || options === null || (options.force !== undefined && typeof options.force !== "boolean")) {
      throw new GraftError(`reload(files, options): options is { force?: boolean }; got ${describeArgument(options)}`);
    }
    const paths = files === undefined ? (options.force ? this.engine.everyScript() : undefined) : this.existingScripts(this.requestedScripts(files));
    let report: ReloadReport;
    try {
      report = await this.engine.reload(await paths, { force: options.force === true });
    } catch (error) {
      // Disposed meanwhile (by the host, or by a host function the reloading script called).
      if (this.disposed) throw new GraftError("the runtime was disposed while this reload was under way; nothing was applied");
      throw error;
    }
    this.announce(report);
    return report;
  }

  /** reload()'s files as paths relative to the scripts folder; anything that is not a script is a GraftError. */
  private requestedScripts(files: unknown): string[] {
    if (!Array.isArray(files)) {
      throw new GraftError(`reload(files) takes an array of script paths relative to the scripts folder, e.g. reload(["commands/look.ts"]), or nothing to reload every file that changed; got ${describeArgument(files)}`);
    }
    return files.map((file: unknown, index) => {
      if (typeof file !== "string" || file === "") throw new GraftError(`reload(files): entry ${index + 1} is ${describeArgument(file)}, not a script path such as "commands/look.ts"`);
      const relative = path.isAbsolute(file) ? toRelative(this.root, file) : file;
      const problem = scriptPathProblem(this.root, relative);
      if (problem) throw new GraftError(`reload(files): '${file}' cannot be reloaded: ${problem}`);
      // One file, one name: "sub/../a.ts", "./a.ts" and "a.ts" are the same script.
      return scriptName(relative);
    });
  }

  /**
   * A path that is neither on disk nor known to graft (loaded, or failing) is a typo: a
   * GraftError naming it, not an empty report that reads as "nothing changed".
   */
  private async existingScripts(files: string[]): Promise<string[]> {
    const missing: string[] = [];
    for (const file of files) {
      if (this.engine.isKnown(file)) continue;
      const found = await stat(path.join(this.root, file)).catch(() => undefined);
      if (!found?.isFile()) missing.push(file);
    }
    if (missing.length > 0) {
      const names = missing.map((file) => `'${file}'`).join(", ");
      throw new GraftError(
        `reload(files): ${names} ${missing.length === 1 ? "is" : "are"} not on disk in ${this.root} and not loaded; check the spelling (paths are relative to the scripts folder; runtime.files() lists the loaded ones)`,
      );
    }
    return files;
  }

  /** @internal An error of script code the event loop ran: the "error" event (stderr if nobody listens). */
  reportAsyncFailure(failure: AsyncFailure): void {
    if (this.disposed) return;
    const error = describeAsyncFailure(failure, {
      mapError: (dumped) => this.engine.mapError(dumped),
      sourceOf: (file) => this.engine.sourceOf(file),
      timeout: this.vm.options.timeout,
    });
    this.reportUnprompted(error);
  }

  /**
   * The VM crashed (a WebAssembly trap, see runtime/vm/wasm-traps.ts): called inside the call that
   * trapped. Timers stop and host-side waits are told now; the "error" event follows once that
   * call has unwound. Every later call throws the crash's GraftError.
   */
  private vmCrashed(): void {
    if (this.disposed) return;
    this.scheduler.close();
    this.bridge.abandon();
    const error = this.vm.crashError();
    const crashed = this.world;
    // A VM restarted from disk that crashes while loading would crash again at every restart.
    const again = this.loadingRestart === crashed;
    queueMicrotask(() => {
      // During createRuntime the crash is its rejection: nobody could listen yet.
      if (this.disposed || this.initialReport === undefined || !this.worldIs(crashed)) return;
      const message = again ? `the VM that graft restarted crashed while it loaded the files on disk, so graft does not restart it again: ${error.message}` : error.message;
      this.reportUnprompted({ file: crashed.vm.crashedIn ?? "", message, text: `${message}.`, origin: "vm" });
      if (this.options.reloadOnCrash && !again) void this.restart(crashed);
    });
  }

  /**
   * reloadOnCrash: a new VM loaded from the files on disk replaces the crashed one (every
   * script's state is lost; the host's ScriptValues of the old one keep throwing its crash
   * error). Its load is announced like any reload (the "reload" event); a restarted VM that
   * crashes while loading is not restarted again (that error is reported instead).
   */
  private async restart(crashed: World): Promise<void> {
    let world: World;
    try {
      world = await buildWorld(this.options, this.root, this.owner);
    } catch (error) {
      if (!this.disposed) this.reportInternalFailure("restart the crashed VM", error);
      return;
    }
    if (this.disposed || !this.worldIs(crashed)) {
      releaseWorld(world);
      return;
    }
    this.enter(world);
    this.loadingRestart = world;
    world.vm.restartsOnCrash = false;
    try {
      const report = await world.engine.loadAll();
      if (this.disposed || !this.worldIs(world)) return;
      world.vm.restartsOnCrash = true;
      this.announce(report);
    } catch (error) {
      if (!this.disposed && this.worldIs(world) && world.vm.crashed === undefined) this.reportInternalFailure("load the scripts into the restarted VM", error);
    } finally {
      this.loadingRestart = undefined;
    }
  }

  /** @internal Something graft does outside any host call failed (settling a host promise, releasing dropped values). */
  reportInternalFailure(what: string, error: unknown): void {
    if (this.disposed) return;
    const message = `graft could not ${what}: ${error instanceof Error ? error.message : String(error)}`;
    this.reportUnprompted({ file: "", message, text: `${message}.`, origin: "vm" });
  }

  /** An error no host call is waiting for: to onError and the "error" event, or stderr if nobody listens. */
  private reportUnprompted(error: ReloadError): void {
    if (!this.onError && !this.events.has("error")) console.error(`graft: ${error.text}`);
    this.reportError(error);
  }

  /** One error to `onError` and the "error" event. */
  private reportError(error: ReloadError): void {
    if (this.onError) {
      try {
        this.onError(error);
      } catch (thrown) {
        console.error("graft: the onError option threw", thrown);
      }
    }
    this.events.emit("error", error);
    for (const tap of this.errorTaps) tap(error);
  }

  /** @internal Sees every error reported, without silencing the stderr fallback as an "error" listener would. */
  tapErrors(tap: (error: ReloadError) => void): () => void {
    this.errorTaps.add(tap);
    return () => this.errorTaps.delete(tap);
  }

  private announce(report: ReloadReport): void {
    this.heapTools.noteContexts();
    this.watched?.dropUnseen(report);
    for (const error of report.errors) this.reportError(error);
    if (report.files.length > 0 || report.removed.length > 0 || report.recovered.length > 0 || report.errors.length > 0) this.events.emit("reload", report);
    // Opt-in: a full GC and heap walk after each reload that replaced something (a file
    // version's classes or its top-level functions).
    const replaced = report.files.length > 0 || report.rerun.length > 0 || report.removed.length > 0 || report.patched.length > 0 || report.retired.length > 0;
    if (this.events.has("leak") && replaced) {
      const leaks = this.leaks();
      if (leaks.length > 0) this.events.emit("leak", leaks);
    }
  }

  /** Listens to an event (RuntimeEventMap says what each listener receives); returns the unsubscribe function. */
  on<E extends RuntimeEvent>(event: E, listener: (payload: RuntimeEventMap[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** @deprecated Use `runtime.heap.gc()` (kept for one version). */
  gc(): GcResult {
    this.assertAlive();
    return this.heapTools.gc();
  }

  /** @deprecated Use `runtime.heap.findInstances(cls)` (kept for one version). */
  findInstances(cls: ScriptClass | ScriptValue): ScriptValue[] {
    this.assertAlive();
    return this.heapTools.findInstances(cls);
  }

  /** @deprecated Use `runtime.heap.retainers(value)` (kept for one version). */
  retainers(value: ScriptValue): RetainerPath[] {
    this.assertAlive();
    return this.heapTools.retainers(value);
  }

  /** @deprecated Use `runtime.heap.leaks()` (kept for one version). */
  leaks(options?: HeapWorkOptions): LeakReport[] {
    this.assertAlive();
    return this.heapTools.leaks(options);
  }

  /**
   * Runs code inside the running version of a script's own module scope, as a REPL would:
   * it sees the file's top-level bindings (classes, functions, variables) and its imports,
   * and returns the completion value. TypeScript for `.ts` files. Declarations it makes stay
   * local to the one evaluation (strict eval); assign to `globalThis` to keep something.
   */
  evaluate(file: string, code: string): ScriptValue {
    this.assertAlive();
    if (typeof file !== "string" || typeof code !== "string") throw new GraftError("evaluate(file, code) needs a loaded script's path and a string of code");
    file = scriptName(file);
    this.assertLoaded(file);
    let compiled: string;
    try {
      compiled = this.engine.compileForScope(file, code);
    } catch (error) {
      if (!(error instanceof CompileError)) throw error;
      const where = error.position ? ` at line ${error.position.line}, column ${error.position.column} of the evaluated code` : "";
      const position = error.position ? { ...error.position, file: EVALUATED_CODE } : undefined;
      throw new ScriptError(`SyntaxError: ${error.message.replace(/^syntax error: /, "")}${where}`, "SyntaxError", `    at ${EVALUATED_CODE}`, position);
    }
    const context = this.kernelContext;
    const fileHandle = context.newString(file);
    const codeHandle = context.newString(compiled);
    try {
      return this.bridge.callGuarded(() => this.kernel.tryCall("evaluateIn", fileHandle, codeHandle), `evaluate('${file}')`);
    } finally {
      fileHandle.dispose();
      codeHandle.dispose();
    }
  }

  /** Serves the Chrome DevTools Protocol for this runtime, as `node --inspect` does (README: Attach Chrome DevTools); dispose() closes it. */
  async inspect(options: InspectOptions = {}): Promise<Inspector> {
    this.assertAlive();
    const inspector = await (await import("./inspector/index.js")).startInspector(this, options);
    if (this.disposed) throw (await inspector.close(), new GraftError("the runtime was disposed while its inspector was starting"));
    this.inspectors.add(inspector);
    inspector.onClose(() => this.inspectors.delete(inspector));
    return inspector;
  }

  get alive(): boolean {
    return !this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.events.clear();
    for (const inspector of this.inspectors) void inspector.close();
    this.inspectors.clear();
    void this.watched?.close();
    // Timers stop and host-side waits are told first: nothing may enter the VM from here on.
    this.scheduler.close();
    this.bridge.closing = true;
    if (this.vm.busy) {
      // Called from inside a call into the VM (a host function a script is running, a timer
      // callback's): the VM is freed once that call has unwound; meanwhile nothing new enters it.
      this.vm.closing = true;
      queueMicrotask(() => {
        try {
          this.freeVm();
        } catch (error) {
          // Nobody waits for this microtask: an exception here would end the host process.
          console.error("graft: freeing the VM of a disposed runtime failed", error);
        }
      });
      return;
    }
    this.freeVm();
  }

  private freeVm(): void {
    releaseWorld(this.world);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private assertAlive(): void {
    if (this.disposed) throw new GraftError("this graft runtime has been disposed");
    if (this.vm.crashed !== undefined) throw this.vm.crashError();
  }

  private assertLoaded(file: string): void {
    if (!this.engine.isLoaded(file)) {
      const failure = this.engine.failures().find((error) => error.file === file);
      throw new GraftError(failure ? `${file} is not loaded: ${failure.message}` : `no script '${file}' is loaded (loaded: ${this.engine.files().join(", ") || "none"})`);
    }
  }
}

/** Frees a world's VM; a crashed VM is not entered again: its WebAssembly instance is dropped whole. */
function releaseWorld(world: World): void {
  if (world.vm.crashed !== undefined) return;
  // The bridge, engine, timers, kernel, kernel context and VM, in the reverse order of making.
  world.parts.dispose();
}
