import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { ModuleLinker } from "./module-link.js";
import { typeScriptExports, type TypeScriptExports } from "../compile/type-exports.js";
import { resolveSpecifier } from "../files/script-files.js";
import type { LinkedTypeScriptExports } from "./module-link.js";
import type { CompiledScript } from "../compile/index.js";
import { VmCallError, type Kernel, type KernelCommitReport } from "../kernel/kernel.js";
import { evaluatedName, explainVmError } from "./script-errors.js";
import { HostStackOverflow, VmOutOfMemory, type Vm } from "../vm/vm.js";
import { timerOwner, type Scheduler, type TimerOwner } from "../async/scheduler.js";
import type { PreparedContexts } from "./prepared-contexts.js";
import type { SourceMapRegistry } from "./source-maps.js";
import type { FailureLedger } from "./failure-ledger.js";
import { HOST_MODULE, type Candidate, type LoadedFile } from "./candidate.js";
import type { ReloadError } from "./reload-report.js";

/** What the executor works with, given at construction. */
export interface ExecutorParts {
  vm: Vm;
  kernel: Kernel;
  scheduler: Scheduler;
  /** Contexts made ahead of a big load (taken before making new ones). */
  prepared: PreparedContexts;
  maps: SourceMapRegistry;
  /** Writes the texts of failures. */
  ledger: FailureLedger;
  /** The running version of a file, if any. */
  running(file: string): LoadedFile | undefined;
  /**
   * The live instances of a class (given its prototype) as one VM array the caller owns, or
   * undefined when there are none: for giving live instances the fields a new version adds.
   */
  instanceFinder(prototype: QuickJSHandle): QuickJSHandle | undefined;
  /** Throws if the runtime was disposed while the transaction awaited. */
  assertNotDisposed(): void;
  isDisposed(): boolean;
}

/** A re-run file left out of its transaction because it no longer links (it keeps its running version). */
export interface Unlinked {
  candidate: Candidate;
  error: ReloadError;
}

export type TransactionOutcome =
  | {
      committed: true;
      /** The files that ran (without those left out, `unlinked`), in order. */
      batch: Candidate[];
      /** Contexts made for new files, now theirs. */
      contexts: Map<string, QuickJSContext>;
      kernel: KernelCommitReport;
      unlinked: Unlinked[];
    }
  | { committed: false; error: ReloadError };

/**
 * The transaction under way, for the import() calls its scripts make (dynamic-imports.ts):
 * they wait for a file of it to evaluate, or, while it waits on a top-level await, load a
 * file not running yet into it (it commits, or rolls back, with the batch).
 */
interface OpenRun {
  files: Map<string, Candidate>;
  evaluated: Set<string>;
  /** It waits on a top-level await. */
  waiting: boolean;
  /** Files loaded into it by import(), after the batch's own. */
  added: Candidate[];
  owners: TimerOwner[];
  contexts: Map<string, QuickJSContext>;
  registered: string[];
  /** A file loaded into it failed while it evaluated: its half-run version cannot be taken out, so the transaction fails. */
  failure?: ReloadError;
  /** Told when a file of it has evaluated (error undefined), or when it ended without (the error). */
  watchers: { file: string; done: (error: ReloadError | undefined) => void }[];
  ended: (() => void)[];
}

/**
 * A start-up's steps share kernel transactions (see beginGroup): the one open now, and
 * where its report goes when it commits.
 */
interface StartupGroup {
  /** A kernel transaction holds the group's last steps (begun by the first since the last commit). */
  open: boolean;
  /** Steps in it. */
  steps: number;
  committed: (report: KernelCommitReport) => void;
}

/**
 * Steps of a start-up in one kernel transaction at most: its commit (one VM call, under the
 * time budget) grows with them, and this keeps it to a few milliseconds.
 */
export const GROUP_STEPS = 64;

/** What a step of a start-up group reports: its kernel news come with the group's commit. */
const NEWS_AT_GROUP_COMMIT: KernelCommitReport = Object.freeze({ patched: [], retired: [], disposeErrors: [], disposers: 0 }) as unknown as KernelCommitReport;

/**
 * Runs one planned transaction against the kernel (R3, R12, A3): link every file, then
 * instantiate each in its context, then evaluate each in order (awaiting a top-level await,
 * bounded by the timeout), migrate live instances, and commit; or roll everything back and
 * say which file failed and why. The caller records what committed.
 */
export class TransactionExecutor {
  /** Each compiled version's TypeScript exports, types included (read when linking first asks). */
  private readonly typeExports = new WeakMap<CompiledScript, TypeScriptExports>();
  private open: OpenRun | undefined;
  private group: StartupGroup | undefined;

  constructor(private readonly parts: ExecutorParts) {}

  /** Where `file` is in the transaction under way: evaluated, still to evaluate, or not in one. */
  stateOf(file: string): "evaluated" | "pending" | undefined {
    if (!this.open?.files.has(file)) return undefined;
    return this.open.evaluated.has(file) ? "evaluated" : "pending";
  }

  /** The context a file of the transaction under way runs in (new files' contexts are not the engine's yet). */
  contextOf(file: string): QuickJSContext | undefined {
    return this.open?.contexts.get(file);
  }

  /** A transaction is under way; `waiting`: it waits on a top-level await (files can be added to it). */
  get openState(): "waiting" | "running" | undefined {
    return this.open && (this.open.waiting ? "waiting" : "running");
  }

  /** Calls `done` once `file` of the open transaction has evaluated, or with the error that ended it first. */
  whenEvaluated(file: string, done: (error: ReloadError | undefined) => void): void {
    if (this.open) this.open.watchers.push({ file, done });
    else done(undefined);
  }

  /** Calls `then` once the transaction under way has ended (at once if none is). */
  afterTransaction(then: () => void): void {
    if (this.open) this.open.ended.push(then);
    else then();
  }

  /**
   * Adds files (in import order) to the transaction waiting on a top-level await: linked
   * with its files, instantiated and evaluated now (a top-level await of theirs waited for,
   * within the timeout); they commit with it. A failure before they run changes nothing;
   * one while they run fails the transaction too. Returns the failure.
   */
  async addToOpen(candidates: Candidate[]): Promise<ReloadError | undefined> {
    const open = this.open;
    if (!open?.waiting) throw new Error("graft: no transaction waits for files to be added");
    const { vm, scheduler, maps } = this.parts;
    const linked = this.link([...open.files.values(), ...candidates]);
    if (linked.error) return linked.error;
    for (const candidate of candidates) {
      open.files.set(candidate.path, candidate);
      open.added.push(candidate);
      const name = evaluatedName(candidate.path, candidate.attempt);
      maps.register(name, candidate.path, candidate.script.mapper);
      open.registered.push(name);
      const context = vm.newContext();
      scheduler.install(context, candidate.path);
      open.contexts.set(candidate.path, context);
      const owner = timerOwner(candidate.path, candidate.attempt);
      open.owners.push(owner);
      scheduler.alsoFiring(owner);
      const failure = scheduler.runOwnedBy(owner, () => this.instantiate(context, candidate, name)) ?? (await this.evaluateAdded(candidate, owner));
      if (this.open !== open) return failure ?? this.parts.ledger.errorAt(candidate.path, "", "its transaction ended while it loaded", undefined, "load it again");
      if (failure) {
        open.failure ??= failure;
        return failure;
      }
      this.evaluatedIn(open, candidate.path);
    }
    return undefined;
  }

  private evaluatedIn(open: OpenRun, file: string): void {
    open.evaluated.add(file);
    const ready = open.watchers.filter((watcher) => watcher.file === file);
    open.watchers = open.watchers.filter((watcher) => watcher.file !== file);
    for (const watcher of ready) watcher.done(undefined);
  }

  /** Evaluates a file added to the open transaction, waiting for its top-level await (within the timeout). */
  private evaluateAdded(candidate: Candidate, owner: TimerOwner): Promise<ReloadError | undefined> {
    const evaluation = this.parts.scheduler.runOwnedBy(owner, () => this.evaluate(candidate));
    if (!evaluation.pending) return Promise.resolve(evaluation.failure);
    return this.settleWithin(evaluation.pending, candidate, this.parts.vm.options.timeout, "it was loaded by import() into a reload, which was rolled back.\nLook for an await on something that never settles, or move slow work out of the top level.", () => {});
  }

  /**
   * Start-up: until endGroup, the steps that run new files only (no top-level await, nothing
   * running replaced, nothing removed) share one kernel transaction, GROUP_STEPS at most, each
   * behind a savepoint: a step that fails is rolled back to its savepoint alone, and one
   * commit serves them all (per file, begin and commit were ~10 % of a start-up). To the
   * engine each step has committed as it returns (it records the files as running), and the
   * kernel's news of the group come to `committed` at its commit. Between the steps of an open
   * group no host code runs but the engine's (no timer fires: nothing awaits but promise
   * jobs), so nothing sees the kernel's records of them uncommitted. Any other step commits
   * the group first, and runs as a transaction of its own.
   */
  beginGroup(committed: (report: KernelCommitReport) => void): void {
    this.group = { open: false, steps: 0, committed };
  }

  /** Commits what the group holds, and ends it. */
  endGroup(): void {
    try {
      if (!this.parts.isDisposed()) this.commitGroup();
    } finally {
      this.group = undefined;
    }
  }

  /** Commits the group's open kernel transaction, if any; its report goes to the group's listener. */
  private commitGroup(): void {
    const group = this.group;
    if (!group?.open) return;
    group.open = false;
    group.steps = 0;
    let committed: KernelCommitReport;
    try {
      committed = this.parts.kernel.commit();
    } catch (error) {
      // The engine recorded the group's files as running: a start-up that cannot commit them fails whole.
      this.parts.kernel.rollback();
      throw error;
    }
    group.committed(committed);
  }

  /** Whether a step can join the start-up group: new files only, none awaiting at top level, nothing removed. */
  private joinsGroup(batch: Candidate[], removed: string[]): boolean {
    return this.group !== undefined && removed.length === 0 && batch.every((candidate) => !candidate.script.topLevelAwait && this.parts.running(candidate.path) === undefined);
  }

  async run(batch: Candidate[], removed: string[]): Promise<TransactionOutcome> {
    const open: OpenRun = { files: new Map(), evaluated: new Set(), waiting: false, added: [], owners: [], contexts: new Map(), registered: [], watchers: [], ended: [] };
    this.open = open;
    let outcome: TransactionOutcome | undefined;
    try {
      outcome = await this.runOpen(open, batch, removed);
      return outcome;
    } finally {
      this.open = undefined;
      const error = outcome && !outcome.committed ? outcome.error : undefined;
      for (const watcher of open.watchers) watcher.done(error ?? this.parts.ledger.errorAt(watcher.file, "", "its reload ended before it ran", undefined, "load it again"));
      for (const then of open.ended) then();
    }
  }

  private async runOpen(open: OpenRun, batch: Candidate[], removed: string[]): Promise<TransactionOutcome> {
    const { vm, kernel, scheduler, prepared, maps } = this.parts;
    this.parts.assertNotDisposed();
    const linked = this.link(batch);
    if (linked.error) return { committed: false, error: linked.error };
    batch = linked.batch;
    for (const candidate of batch) open.files.set(candidate.path, candidate);
    const { contexts, registered, owners } = open;
    owners.push(...batch.map((entry) => timerOwner(entry.path, entry.attempt)));
    let awaited = false;
    const undo = (): void => {
      rollback();
      // The failed versions' timers go; the running versions' stay.
      scheduler.cancelOwned(owners);
      for (const context of contexts.values()) context.dispose();
      for (const name of registered) maps.forget(name);
    };
    const abort = (error: ReloadError): TransactionOutcome => {
      undo();
      return { committed: false, error };
    };
    const group = this.joinsGroup(batch, removed) ? this.group : undefined;
    // Where a step of a start-up group rolls back to (undefined: a transaction of its own).
    let savepoint: number | undefined;
    if (group) {
      if (group.open) savepoint = kernel.savepoint();
      else {
        kernel.begin();
        group.open = true;
        savepoint = 0;
      }
    } else {
      this.commitGroup();
      kernel.begin();
    }
    const rollback = (): void => {
      if (savepoint === undefined) kernel.rollback();
      else kernel.rollbackTo(savepoint);
    };
    try {
      // A new file on a cycle has its export names before any file of the cycle runs
      // (`import * as ns` of it has all its keys); reading them before it runs explains the cycle.
      for (const candidate of batch) {
        if (candidate.cycle === undefined || this.parts.running(candidate.path)) continue;
        const typeOnly = new Set(candidate.typeOnly);
        const names = [...candidate.script.exportNames.filter((name) => !typeOnly.has(name)), ...candidate.starExports.map((entry) => entry.name)];
        kernel.declareExports(candidate.path, names, candidate.cycle);
      }
      // Link every file of the batch before any evaluates, as ES does: in an import cycle,
      // each module's hoisted functions and re-exports are readable before the others run.
      for (const [index, candidate] of batch.entries()) {
        const name = evaluatedName(candidate.path, candidate.attempt);
        maps.register(name, candidate.path, candidate.script.mapper);
        registered.push(name);
        let context = this.parts.running(candidate.path)?.context;
        if (!context) {
          context = prepared.take(candidate.path);
          if (!context) {
            context = vm.newContext();
            scheduler.install(context, candidate.path);
          }
          contexts.set(candidate.path, context);
        }
        const made = context;
        const failure = scheduler.runOwnedBy(owners[index]!, () => this.instantiate(made, candidate, name));
        if (failure) return abort(failure);
      }
      for (const [index, candidate] of batch.entries()) {
        const started = Date.now();
        const evaluation = scheduler.runOwnedBy(owners[index]!, () => this.evaluate(candidate));
        let failure = evaluation.failure;
        if (evaluation.pending) {
          awaited = true;
          open.waiting = true;
          failure = await this.awaitTopLevel(evaluation.pending, candidate, owners[index]!, owners.slice(0, index + 1), started);
          open.waiting = false;
          this.parts.assertNotDisposed();
        }
        failure ??= open.failure;
        if (failure) return abort(failure);
        this.evaluatedIn(open, candidate.path);
      }
      if (open.failure) return abort(open.failure);
      if (group) {
        // New files' classes are all new: no live instance to migrate, no version replaced.
        if (++group.steps >= GROUP_STEPS) this.commitGroup();
        return { committed: true, batch, contexts, kernel: NEWS_AT_GROUP_COMMIT, unlinked: linked.unlinked };
      }
      batch = [...batch, ...open.added];
      const migrationFailure = this.migrateInstances(batch);
      if (migrationFailure) return abort(migrationFailure);
      for (const file of removed) kernel.removeFile(file);
      const committed = kernel.commit();
      // import.meta.hot.dispose callbacks ran in the kernel's commit; then the replaced versions' timers go.
      const replaced = [...batch.map((candidate) => candidate.path), ...removed].map((file) => this.parts.running(file)?.owner);
      scheduler.cancelOwned(replaced.filter((owner): owner is TimerOwner => owner !== undefined));
      return { committed: true, batch, contexts, kernel: committed, unlinked: linked.unlinked };
    } catch (error) {
      // Disposed while awaiting: the VM is gone, nothing to undo in it.
      if (!this.parts.isDisposed()) {
        // A group's whole transaction, earlier steps too: the start-up fails with this error.
        kernel.rollback();
        if (group) group.open = false;
        scheduler.cancelOwned(owners);
        for (const context of contexts.values()) context.dispose();
      }
      throw error;
    } finally {
      if (awaited && !this.parts.isDisposed()) scheduler.release();
    }
  }

  /** Builds the designer-facing error for a VM exception during evaluation. */
  vmFailure(file: string, source: string, dumped: unknown, cycle?: string): ReloadError {
    const { vm, maps, ledger } = this.parts;
    const mapped = maps.mapError(vm.asInterrupted(dumped));
    let { message, hint } = explainVmError(mapped, vm);
    // A binding read before its module ran: on a cycle, that is what the designer must change.
    if (cycle !== undefined && mapped.name === "ReferenceError" && /not initiali[sz]ed/.test(mapped.message)) {
      message += ` (${cycle.split(";")[0]})`;
      hint = cycle.slice(cycle.indexOf(";") + 2);
    }
    const position = mapped.position;
    const positionSource = position && position.file !== file ? this.parts.running(position.file)?.script.source ?? "" : source;
    const error = ledger.errorAt(file, positionSource, message, position, hint);
    if (mapped.stack) error.text += `\n${mapped.stack}`;
    return error;
  }

  /**
   * Resolves the imports and re-exports of a batch against what will run (ES's link-time
   * ResolveExport): a name a module does not export, or exports ambiguously through
   * `export *`, is a SyntaxError of the importer before anything runs. Records each file's
   * `export *` names. An edited file that fails to link fails the batch (its error). A
   * file only re-run because an import changed, and that no longer links (the name it
   * imports is gone), is left out and keeps its running version, as a fresh load would
   * fail that file alone (`unlinked`).
   */
  private link(batch: Candidate[]): { error?: ReloadError; batch: Candidate[]; unlinked: Unlinked[] } {
    const unlinked: Unlinked[] = [];
    for (;;) {
      const inBatch = new Map(batch.map((candidate) => [candidate.path, candidate]));
      const linker = new ModuleLinker((file) => {
        const entry = inBatch.get(file) ?? this.parts.running(file);
        const exists = (candidate: string): boolean => inBatch.has(candidate) || this.parts.running(candidate) !== undefined;
        return entry && { entries: entry.script.entries, dependencies: entry.dependencies, typeScriptExports: () => this.linkedTypeScriptExports(entry.script, exists) };
      }, HOST_MODULE);
      const failing: Candidate[] = [];
      for (const candidate of batch) {
        const result = linker.link(candidate.path);
        candidate.starExports = result.starExports;
        candidate.typeOnly = result.typeOnly;
        const found = result.errors[0];
        if (!found) continue;
        const { script } = candidate;
        const hint = found.hint ?? "export the name from that file, or import one it exports";
        const error = this.parts.ledger.errorAt(candidate.path, script.source, `syntax error: ${found.message}`, script.positionOf(found.offset), hint);
        if (candidate.role !== "rerun") return { error, batch, unlinked };
        unlinked.push({ candidate, error });
        failing.push(candidate);
      }
      // Without them, the others link against their running versions: link again.
      if (failing.length === 0) return { batch, unlinked };
      batch = batch.filter((candidate) => !failing.includes(candidate));
    }
  }

  /** Every name a script's TypeScript source exports, types included: read once per compiled version, when linking first asks. */
  private linkedTypeScriptExports(script: CompiledScript, exists: (file: string) => boolean): LinkedTypeScriptExports {
    const { names, typeStars } = this.typeScriptExportsOf(script);
    if (typeStars.length === 0) return { names, typeStars: [] };
    const resolved: LinkedTypeScriptExports["typeStars"] = [];
    for (const star of typeStars) {
      const file = resolveSpecifier(script.file, star.specifier, exists);
      if (file !== undefined) resolved.push({ ...star, file });
    }
    return { names, typeStars: resolved };
  }

  private typeScriptExportsOf(script: CompiledScript): TypeScriptExports {
    let exports = this.typeExports.get(script);
    if (!exports) {
      exports = typeScriptExports(script.file, script.source);
      this.typeExports.set(script, exports);
    }
    return exports;
  }

  /** Compiles a file's module function in its context and links it (its exports become readable). */
  private instantiate(context: QuickJSContext, candidate: Candidate, name: string): ReloadError | undefined {
    const { vm, kernel } = this.parts;
    const { path: file, script } = candidate;
    let moduleFunction: QuickJSHandle | undefined;
    try {
      vm.guard(() => {
        const evaluated = context.evalCode(script.code, name, { type: "global", strict: true });
        if (evaluated.error) {
          const dumped = vm.describeThrown(context, evaluated.error);
          evaluated.error.dispose();
          throw new VmCallError(dumped);
        }
        moduleFunction = evaluated.value;
        kernel.instantiateModule(file, candidate.attempt, moduleFunction, candidate.dependencies, candidate.starExports, candidate.typeOnly ?? []);
      }, `compiling ${file}`);
      return undefined;
    } catch (error) {
      if (error instanceof HostStackOverflow) return this.stackOverflow(file, script.source, error);
      // Compiling it ran out of memory (VmOutOfMemory) or failed: the file's failure.
      if (!(error instanceof VmCallError) && !(error instanceof VmOutOfMemory)) throw error;
      return this.vmFailure(file, script.source, error.vmError);
    } finally {
      moduleFunction?.dispose();
      vm.drainJobs();
    }
  }

  /** Evaluates one linked file: its failure, or the promise of its top-level await still running. */
  private evaluate(candidate: Candidate): { failure?: ReloadError; pending?: QuickJSHandle } {
    const { vm, kernel } = this.parts;
    const { path: file, script } = candidate;
    try {
      const result = vm.guard(() => kernel.evaluateModule(file), `the top level of ${file}`);
      if (script.topLevelAwait) return { pending: result };
      result.dispose();
      return {};
    } catch (error) {
      if (error instanceof HostStackOverflow) return { failure: this.stackOverflow(file, script.source, error) };
      // The module's own code ran out of memory (VmOutOfMemory) or threw: the file's failure.
      if (!(error instanceof VmCallError) && !(error instanceof VmOutOfMemory)) throw error;
      return { failure: this.vmFailure(file, script.source, error.vmError, candidate.cycle) };
    } finally {
      vm.drainJobs();
    }
  }

  private stackOverflow(file: string, source: string, error: HostStackOverflow): ReloadError {
    return this.parts.ledger.errorAt(file, source, error.message, undefined, "look for unbounded recursion, or data nested thousands of levels deep");
  }

  /**
   * Waits for a file's top-level await, at most the timeout from when its evaluation
   * started. Meanwhile timers the file creates are its version's, and only the timers of
   * versions in this transaction fire (the file may wait on them). Takes `promise`.
   */
  private awaitTopLevel(promise: QuickJSHandle, candidate: Candidate, owner: TimerOwner, firing: TimerOwner[], started: number): Promise<ReloadError | undefined> {
    const { vm, scheduler } = this.parts;
    scheduler.holdExcept(firing);
    scheduler.beginOwnership(owner);
    return this.settleWithin(promise, candidate, Math.max(0, started + vm.options.timeout - Date.now()), "the reload was rolled back.\nLook for an await on something that never settles, or move slow work out of the top level; the previous version keeps running.", () => scheduler.endOwnership());
  }

  /**
   * Resolves with the file's failure once its top-level promise settles (undefined when it
   * fulfils or the VM closes), or with a timeout failure after `waitMs`, whose text goes on
   * with `whatHappened`; `onEnd` runs once, before resolving. Takes `promise`.
   */
  private settleWithin(promise: QuickJSHandle, candidate: Candidate, waitMs: number, whatHappened: string, onEnd: () => void): Promise<ReloadError | undefined> {
    const { vm, kernel, scheduler } = this.parts;
    const { path: file, script } = candidate;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (failure: ReloadError | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        onEnd();
        resolve(failure);
      };
      // Ref'd on purpose: a reload waiting on a script's own (unref'd) timer keeps the host alive.
      const timer = setTimeout(() => {
        const message = `top-level await did not settle within the timeout of ${vm.options.timeout} ms`;
        finish({ file, message, text: `${file}: ${message}; ${whatHappened}` });
      }, waitMs);
      try {
        scheduler.whenSettled(promise, {
          settled: (fulfilled, result) => finish(fulfilled ? undefined : this.vmFailure(file, script.source, vm.describeThrown(kernel.context, result))),
          closed: () => finish(undefined),
        });
      } finally {
        promise.dispose();
      }
    });
  }

  /**
   * Before commit, inside the transaction: the live instances of each class whose new version
   * adds instance fields get them (each initialiser run with `this` = the instance), and a new
   * or changed migration hook runs on each. Returns the first failure (the batch then rolls back).
   */
  private migrateInstances(batch: Candidate[]): ReloadError | undefined {
    const { kernel, ledger } = this.parts;
    const classes = kernel.pendingMigrations();
    try {
      for (const cls of classes) {
        const info = kernel.classInfo(cls)!;
        const candidate = batch.find((entry) => entry.path === info.file)!;
        const { source } = candidate.script;
        let instances: QuickJSHandle | undefined;
        try {
          instances = this.findInstancesOf(cls);
        } catch (error) {
          return ledger.errorAt(info.file, source, `graft could not find the live instances of ${info.name} to migrate: ${error instanceof Error ? error.message : String(error)}`, undefined, "reload again; if it persists, report it");
        }
        try {
          const failed = kernel.migrate(cls, instances);
          if (failed) {
            const message = `the initialiser of the new field ${failed.field} of ${info.name} threw on a live instance: ${failed.thrown}`;
            return ledger.errorAt(info.file, source, message, candidate.script.strippedPosition(failed.offset), "fix the initialiser (it runs with `this` = each live instance that lacks the field), or give old instances the field in a migration hook");
          }
        } catch (error) {
          if (!(error instanceof VmCallError) && !(error instanceof VmOutOfMemory)) throw error;
          return this.vmFailure(info.file, source, error.vmError);
        } finally {
          instances?.dispose();
        }
      }
      return undefined;
    } finally {
      for (const cls of classes) cls.dispose();
    }
  }

  private findInstancesOf(cls: QuickJSHandle): QuickJSHandle | undefined {
    const prototype = this.parts.kernel.context.getProp(cls, "prototype");
    try {
      return this.parts.instanceFinder(prototype);
    } finally {
      prototype.dispose();
    }
  }
}
