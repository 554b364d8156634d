import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { compileSnippet, type CompileOptions } from "../compile/index.js";
import { PreparedContexts } from "./prepared-contexts.js";
import { dependencyOrder } from "./dependency-order.js";
import { ImporterIndex } from "./importer-index.js";
import type { Kernel, KernelCommitReport } from "../kernel/kernel.js";
import { listScripts, scriptName, readScript, type ReadOutcome } from "../files/script-files.js";
import { isJsonModule } from "../compile/json-module.js";
import { DynamicImports } from "./dynamic-imports.js";
import { CandidateReader } from "./candidate-reader.js";
import { evaluatedName, type MappedError } from "./script-errors.js";
import type { Vm } from "../vm/vm.js";
import { timerOwner, type Scheduler } from "../async/scheduler.js";
import { reportCommit, type ReloadError, type ReloadReport } from "./reload-report.js";
import { HOST_MODULE, type Candidate, type LoadedFile } from "./candidate.js";
import { FailureLedger } from "./failure-ledger.js";
import { SourceMapRegistry } from "./source-maps.js";
import { TransactionExecutor, type TransactionOutcome } from "./executor.js";
import { planLoad, planReruns, planRetries, stepAction, transactionOrder, type PlanStep, type PlanView } from "./planner.js";
import type { CompiledModule } from "../compile/index.js";

export { HOST_MODULE } from "./candidate.js";

/**
 * Loads scripts and applies edits as transactions (R1–R3, R9–R12): compile, resolve,
 * evaluate every changed file in dependency order inside one kernel transaction, then
 * commit, or roll everything back and report what failed and where.
 */
export class ReloadEngine {
  private readonly loaded = new Map<string, LoadedFile>();
  /** The files of `loaded` that import each file. */
  private readonly importers = new ImporterIndex();
  /** Commits so far; and for each file, the commit that last applied (or deleted) it. */
  private epoch = 0;
  private readonly changedAt = new Map<string, number>();
  /** Files on disk that do not run as they are there (failed, waiting, or an edit that failed), with why. */
  private readonly ledger: FailureLedger = new FailureLedger({
    isRunning: (file) => this.loaded.has(file),
    epoch: () => this.epoch,
  });
  private readonly reader: CandidateReader;
  private readonly maps = new SourceMapRegistry();
  private readonly executor: TransactionExecutor;
  /** Scripts' import(): who imported what that way counts as an importer here. */
  private readonly dynamic: DynamicImports;
  /** What the planner reads of the running files and the ledger. */
  private readonly planView: PlanView = {
    running: (file) => {
      const entry = this.loaded.get(file);
      if (!entry) return undefined;
      const { script } = entry;
      return {
        dependencies: entry.dependencies,
        dynamicImports: [...this.dynamic.importers.importsOf(file)],
        source: script.source,
        exportNames: script.exportNames,
        mayReadImportsAtTopLevel: script.mayReadImportsAtTopLevel,
        reexportsNamespaces: reexportsNamespaces(script),
      };
    },
    // import() counts as importing (R13): a file that imported a changed file that way re-runs as well.
    importersOf: (file) => [...this.importers.importersOf(file), ...this.dynamic.importers.importersOf(file)],
    failing: (file) => this.ledger.get(file),
  };
  private queue: Promise<unknown> = Promise.resolve();
  /** Contexts made while compile workers compile a big load (see loadInOrder). */
  private readonly prepared: PreparedContexts;
  private disposed = false;

  constructor(
    vm: Vm,
    kernel: Kernel,
    readonly root: string,
    scheduler: Scheduler,
    compileOptions: CompileOptions = {},
    /**
     * The live instances of a class (given its prototype) as one VM array the caller owns, or
     * undefined when there are none: the host's heap reader, for giving live instances the
     * fields a new version adds.
     */
    instanceFinder: (prototype: QuickJSHandle) => QuickJSHandle | undefined = () => undefined,
  ) {
    this.prepared = new PreparedContexts(vm, scheduler);
    this.reader = new CandidateReader(root, compileOptions, this.ledger, this.prepared, (file) => this.loaded.get(file)?.script.source);
    this.executor = new TransactionExecutor({
      vm,
      kernel,
      scheduler,
      prepared: this.prepared,
      maps: this.maps,
      ledger: this.ledger,
      running: (file) => this.loaded.get(file),
      instanceFinder,
      assertNotDisposed: () => this.assertNotDisposed(),
      isDisposed: () => this.disposed,
    });
    this.dynamic = new DynamicImports({
      root,
      vm,
      kernel,
      executor: this.executor,
      running: (file) => this.loaded.get(file),
      failed: (file) => this.ledger.get(file)?.error,
      loadAlone: (file) => this.loadForImport(file),
      prepare: (file, inTransaction) => this.prepareImport(file, inTransaction),
      hold: (error, source, dependencies) => this.ledger.hold(error.file, error, source, dependencies, true),
      isDisposed: () => this.disposed,
    });
  }

  files(): string[] {
    return [...this.loaded.keys()].sort();
  }

  isLoaded(file: string): boolean {
    return this.loaded.has(file);
  }

  /** Whether graft knows `file`: it runs, or it is on the failure ledger (as failures() lists it). */
  isKnown(file: string): boolean {
    return this.loaded.has(file) || this.ledger.has(file);
  }

  /**
   * Every script on disk that does not run as it is there, with why: not loaded at all, or
   * (`running: true`) running an earlier version because its newest text failed.
   */
  failures(): ReloadError[] {
    return this.ledger.failures();
  }

  /** REPL code made ready for the running version of `file`'s own scope. Throws CompileError. */
  compileForScope(file: string, code: string): string {
    const entry = this.loaded.get(file);
    if (!entry) throw new Error(`graft: ${file} is not loaded`);
    return compileSnippet(entry.script, code);
  }

  /** A running top-level class's source as written (types stripped), for `String(C)`. */
  classSourceOf(file: string, name: string): string | undefined {
    return this.loaded.get(file)?.script.classSources[name];
  }

  /** Names the running version of `file` binds at its top level that graft knows of: its exports, classes and imports (for completions). */
  scopeNamesOf(file: string): string[] {
    const script = this.loaded.get(file)?.script;
    return script ? [...new Set([...script.exportNames, ...script.classNames, ...Object.keys(script.importedBindings)])].sort() : [];
  }

  /** The running version of `file` (the number in its evaluated name), or undefined when it is not loaded. */
  versionOf(file: string): number | undefined {
    const owner = this.loaded.get(file)?.owner;
    return owner === undefined ? undefined : Number(owner.slice(owner.lastIndexOf("#") + 1));
  }

  sourceOf(file: string): string | undefined {
    return this.loaded.get(file)?.script.source;
  }

  /** Every script context, by file, for the heap tools. */
  contexts(): Map<string, QuickJSContext> {
    return new Map([...this.loaded].map(([file, entry]) => [file, entry.context]));
  }

  mapError(dumped: unknown): MappedError {
    return this.maps.mapError(dumped);
  }

  /** A position in evaluated code (by the name QuickJS saw) as "file:line" as written. */
  locate(evaluatedName: string, line: number, column: number): string | undefined {
    return this.maps.locate(evaluatedName, line, column);
  }

  /** Loads every script of the folder: each file (or import cycle) is its own transaction, in import order. */
  loadAll(): Promise<ReloadReport> {
    return this.serialized(async () => {
      const started = performance.now();
      const paths = await listScripts(this.root);
      const report = emptyReport();
      const sources = new Map<string, string>();
      for (const file of paths) {
        const outcome = await readScript(this.root, file);
        if (outcome.kind === "source") sources.set(file, outcome.source);
      }
      await this.loadInOrder(paths, sources, report, false);
      report.ok = report.errors.length === 0;
      report.durationMs = performance.now() - started;
      return report;
    });
  }

  /**
   * Reloads the given files (relative paths), or every file that changed on disk. The
   * batch is one transaction: all of it applies, or none of it. With `force`, files whose
   * text did not change are re-run too. Once a batch has applied, files that were waiting
   * (on a file that changed, or rolled back with an earlier batch) are tried again.
   * `midWrite`: files the watcher saw only through the OS's first event (CandidateReader.readSettled).
   */
  reload(paths?: string[], options: { force?: boolean; midWrite?: ReadonlySet<string> } = {}): Promise<ReloadReport> {
    return this.serialized(async () => {
      const started = performance.now();
      const report = emptyReport();
      const force = options.force === true;
      const requested = paths ? [...new Set(paths.map(normalizePath))] : await this.changedOnDisk();
      const failed = await this.applyBatch(requested, report, force, paths === undefined, false, options.midWrite);
      await this.retryPending(report, failed);
      report.ok = report.errors.length === 0;
      report.durationMs = performance.now() - started;
      return report;
    });
  }

  /**
   * The requested batch, as one transaction with the files it needs and the files that
   * import it. Returns the files of the batch if it failed (they wait for a later reload).
   */
  private async applyBatch(requested: string[], report: ReloadReport, force: boolean, changedOnly: boolean, imported = false, midWrite?: ReadonlySet<string>): Promise<Set<string>> {
    const edits = new Map<string, Candidate>();
    const removed: string[] = [];
    const recovered: string[] = [];
    const errors: ReloadError[] = [];
    const sources = new Map<string, string>();
    const outcomes = await Promise.all(requested.map(async (file) => [file, await this.reader.readSettled(file, midWrite?.has(file) === true)] as const));
    for (const [file, outcome] of outcomes) {
      if (outcome === undefined) continue; // caught mid-write: the write's own event brings the text
      const running = this.loaded.get(file);
      const pending = this.ledger.get(file);
      if (outcome.kind === "missing") {
        if (running) removed.push(file);
        else this.ledger.clear(file);
        continue;
      }
      // A JSON file is a module once a script imports it (that pulls it in): until then, its saves are not graft's business.
      if (isJsonModule(file) && !running && !pending && !imported) continue;
      if (outcome.kind === "source") sources.set(file, outcome.source);
      // reload() of everything that changed: a file failing as it is on disk has not changed (retries take care of it).
      if (changedOnly && !force && pending && outcome.kind === "source" && pending.source === outcome.source) continue;
      if (outcome.kind === "source" && running?.script.source === outcome.source && !force) {
        // A broken edit undone: the file reads as its running version again.
        if (pending && pending.source !== outcome.source) recovered.push(file);
        // Unchanged and healthy: nothing to do. (A running file failing as it is on disk is tried again.)
        if (!pending || pending.source !== outcome.source) continue;
      }
      const candidate = this.reader.candidateFrom(file, outcome, errors, "edit");
      if (candidate) edits.set(file, candidate);
    }
    if (errors.length === 0 && (edits.size > 0 || removed.length > 0)) {
      await this.pullPendingImports(edits, removed, errors, sources);
    }
    // A broken edit undone runs as it reads on disk: re-run like any running file that imports the batch.
    if (errors.length === 0) for (const file of recovered) this.ledger.clear(file);
    if (errors.length > 0) {
      this.batchFailed(errors, edits, [], removed, sources, report);
      return new Set([...edits.keys(), ...removed, ...errors.map((error) => error.file)]);
    }
    report.recovered.push(...recovered);
    if (edits.size === 0 && removed.length === 0) return new Set();
    return (await this.execute([{ kind: "batch", files: [...edits.keys()], removed, needs: [] }], edits, sources, report, false)).failed;
  }

  /**
   * Imports of the batch that are on disk but not running as they are there (they failed,
   * or their newest edit failed) join the batch: a file never runs against an import that
   * is missing or stale. Resolves every candidate's imports; errors are collected.
   */
  private async pullPendingImports(edits: Map<string, Candidate>, removed: string[], errors: ReloadError[], sources: Map<string, string>): Promise<void> {
    const resolved = new Set<string>();
    for (;;) {
      const next = [...edits.values()].filter((candidate) => !resolved.has(candidate.path));
      if (next.length === 0) return;
      for (const candidate of next) {
        resolved.add(candidate.path);
        const error = this.reader.resolveImports(candidate, edits, removed);
        if (error) {
          errors.push(error);
          continue;
        }
        for (const dependency of candidate.dependencies) {
          if (dependency === HOST_MODULE || edits.has(dependency) || (this.loaded.has(dependency) && !this.ledger.has(dependency))) continue;
          const outcome = await readScript(this.root, dependency);
          if (outcome.kind === "source") sources.set(dependency, outcome.source);
          const pulled = this.reader.candidateFrom(dependency, outcome, errors, "edit");
          if (pulled) edits.set(dependency, pulled);
          else if (outcome.kind !== "missing") errors.push(this.ledger.waitingOn(candidate.path, dependency));
        }
      }
    }
  }

  /**
   * Files running now that import a file of the batch (directly or through others) are
   * re-run in the same transaction, as a fresh load would compute their top-level values
   * from the new exports (R13). A file that imports one being deleted cannot run as it is:
   * it keeps its running version and is listed as waiting for the deleted file.
   */
  private dependentsOf(edits: Map<string, Candidate>, removed: string[]): { reruns: Candidate[]; orphans: [string, string][] } {
    const changed = [...edits.values()].map((candidate) => ({ path: candidate.path, exportNames: candidate.script.exportNames, reexportsNamespaces: reexportsNamespaces(candidate.script) }));
    const { reruns, orphans } = planReruns(this.planView, changed, removed);
    return {
      reruns: reruns.map((file) => {
        const entry = this.loaded.get(file)!;
        return { path: file, script: entry.script, dependencies: entry.dependencies, attempt: this.reader.nextAttempt(file), role: "rerun", starExports: [] };
      }),
      orphans,
    };
  }



  /**
   * Files on disk that are not running as they are there get another try when something
   * they depend on changed, when their text changed, or when their batch rolled back. Each
   * file (an import cycle: its files) is its own transaction, in import order, as at start-up.
   * The files of a batch that just failed wait for a later reload (R12: none of it applies).
   */
  private async retryPending(report: ReloadReport, justFailed: Set<string>): Promise<void> {
    for (let round = 0; round < 100 && this.ledger.size > 0; round++) {
      const onDisk = new Map<string, ReadOutcome>();
      for (const file of this.ledger.files()) {
        const outcome = justFailed.has(file) ? undefined : await this.reader.readForRetry(file, this.ledger.get(file)?.source);
        if (outcome) onDisk.set(file, outcome);
      }
      const plan = planRetries(this.ledger.entries(), onDisk, {
        justFailed,
        isRunning: (file) => this.loaded.has(file),
        changedSince: (file, epoch) => (this.changedAt.get(file) ?? 0) > epoch || report.recovered.includes(file),
      });
      for (const file of plan.forgotten) this.ledger.clear(file);
      const removal: PlanStep = { kind: "removal", files: [], removed: plan.removals, needs: [] };
      const removedNow = plan.removals.length > 0 && (await this.execute([removal], new Map(), new Map(), report, true)).progressed;
      if (plan.retries.length === 0 && !removedNow) return;
      const sources = new Map([...onDisk].flatMap(([file, outcome]) => (outcome.kind === "source" ? [[file, outcome.source] as const] : [])));
      const progressed = await this.loadInOrder(plan.retries, sources, report, true);
      if (!progressed && !removedNow) return;
    }
  }


  /**
   * Loads files (start-up, retries): read, compiled and resolved (CandidateReader), planned
   * a step per file or import cycle in import order (planLoad), then executed. Returns
   * whether anything was applied.
   */
  private async loadInOrder(paths: string[], sources: Map<string, string>, report: ReloadReport, retrying: boolean): Promise<boolean> {
    const { candidates, errors } = await this.reader.loadCandidates(paths, sources, (file) => this.loaded.has(file));
    this.assertNotDisposed();
    for (const error of errors) this.ledger.record(report, error, sources.get(error.file), [], retrying);
    const plan = planLoad([...candidates.keys()], (file) => candidates.get(file)!.dependencies);
    this.reader.declareCycleExports(candidates, plan.cycles);
    this.dynamic.loadedIntoTransaction.clear();
    // Start-up: its steps share kernel transactions (TransactionExecutor.beginGroup); a retry's may re-run running files.
    if (!retrying) this.executor.beginGroup((committed) => reportCommit(report, committed, NO_RERUNS));
    let progressed: boolean;
    try {
      ({ progressed } = await this.execute(plan.steps, candidates, sources, report, retrying));
    } finally {
      if (!retrying) this.executor.endGroup();
    }
    // Contexts made for files that did not get to run (they failed to compile, or wait on a failed import).
    this.prepared.disposeAll();
    return progressed;
  }

  /**
   * The loop start-up, reload and retry share: each planned step runs as one transaction with
   * the running files that re-run with it (planReruns, ordered by transactionOrder), or its
   * files wait (stepAction); the ledger accounts for what failed. Returns whether anything
   * was applied, and the files of a batch that failed (they wait for a later reload).
   */
  private async execute(steps: PlanStep[], candidates: ReadonlyMap<string, Candidate>, sources: ReadonlyMap<string, string>, report: ReloadReport, retrying: boolean): Promise<{ progressed: boolean; failed: Set<string> }> {
    const rerunHere = new Set<string>();
    const runningAsCandidate = (file: string): boolean => candidates.get(file)?.script.source === this.loaded.get(file)?.script.source;
    const view = {
      runsAsOnDisk: (file: string) => this.loaded.has(file) && !this.ledger.has(file),
      // Re-run already in this plan (with a file it imports), or loaded by an import() into a transaction of it, and unchanged.
      ranInThisPlan: (file: string) => (rerunHere.has(file) || this.dynamic.loadedIntoTransaction.has(file)) && runningAsCandidate(file),
    };
    let progressed = false;
    const failed = new Set<string>();
    for (const step of steps) {
      const action = stepAction(step, view);
      if (action.kind === "skip") continue;
      const own = step.files.map((file) => candidates.get(file)!);
      if (action.kind === "wait") {
        for (const candidate of own) this.ledger.record(report, this.ledger.waitingOn(candidate.path, action.on), candidate.script.source, [action.on, ...candidate.dependencies], retrying);
        continue;
      }
      const edits = new Map(own.map((candidate) => [candidate.path, candidate] as const));
      const { reruns, orphans } = this.dependentsOf(edits, step.removed);
      for (const candidate of reruns) rerunHere.add(candidate.path);
      const all = new Map([...edits, ...reruns.map((candidate) => [candidate.path, candidate] as const)]);
      const { order, cycles } = transactionOrder(step, reruns.map((candidate) => candidate.path), (file) => this.importsOf(file, all.get(file)!));
      this.assertNotDisposed();
      if (step.kind !== "group") this.reader.declareCycleExports(all, cycles);
      const outcome = await this.transaction(order.map((file) => all.get(file)!), [...step.removed].sort(), report);
      if (outcome.committed) {
        this.ledger.orphaned(orphans, (file) => this.loaded.get(file)?.script.source, report);
        progressed = true;
        continue;
      }
      if (step.kind === "batch") {
        this.batchFailed([outcome.error], edits, reruns, step.removed, sources, report);
        for (const file of [...edits.keys(), ...step.removed, ...reruns.map((candidate) => candidate.path)]) failed.add(file);
      } else if (step.kind === "group") {
        const group = own.map((candidate) => ({ path: candidate.path, dependencies: candidate.dependencies, source: candidate.script.source }));
        const rerunCulprit = reruns.find((candidate) => candidate.path === outcome.error.file);
        this.ledger.groupFailed(report, outcome.error, group, rerunCulprit && this.loaded.get(rerunCulprit.path)?.script.source, retrying);
      }
      // A removal that rolled back: its files still run, and are removed at a later reload's retries.
    }
    return { progressed, failed };
  }

  /** Every script on disk, and every file graft knows (for a forced reload of everything). */
  async everyScript(): Promise<string[]> {
    return this.changedOnDisk();
  }

  private async changedOnDisk(): Promise<string[]> {
    const onDisk = await listScripts(this.root);
    return [...new Set([...onDisk, ...this.loaded.keys(), ...this.ledger.files()])].sort();
  }

  /** The script whose context is at `pointer` (a JSContext in VM memory). */
  fileOfContext(pointer: number | undefined): string | undefined {
    if (pointer === undefined) return undefined;
    for (const [file, entry] of this.loaded) {
      if ((entry.context as unknown as { ctx: { value: number } }).ctx.value === pointer) return file;
    }
    return undefined;
  }

  /**
   * Runs a planned transaction (TransactionExecutor); if it committed, the new versions run:
   * recorded here, with the report of what changed.
   */
  private async transaction(batch: Candidate[], removed: string[], report: ReloadReport): Promise<TransactionOutcome> {
    const outcome = await this.executor.run(batch, removed);
    if (!outcome.committed) return outcome;
    this.applyCommit(outcome.batch, removed, outcome.contexts, outcome.kernel, report);
    for (const { candidate, error } of outcome.unlinked) {
      (report.warnings ??= []).push(`${candidate.path} was not re-run: ${error.message}; its previous version keeps running`);
      this.ledger.hold(candidate.path, error, candidate.script.source, candidate.dependencies, false);
    }
    return outcome;
  }

  /** A batch that failed: its files resolved (it may have failed before), then accounted for by the ledger. */
  private batchFailed(errors: ReloadError[], edits: Map<string, Candidate>, reruns: Candidate[], removed: string[], sources: ReadonlyMap<string, string>, report: ReloadReport): void {
    // The batch may have failed before its imports were resolved: who imports the culprit decides the messages.
    for (const candidate of edits.values()) if (candidate.dependencies.length === 0) this.reader.resolveImports(candidate, edits, []);
    const all = new Map<string, Candidate>([...edits, ...reruns.map((candidate) => [candidate.path, candidate] as const)]);
    const importsOf = (file: string): string[] => all.get(file)?.dependencies ?? this.loaded.get(file)?.dependencies ?? [];
    const members = [...edits.values()].map((candidate) => ({ path: candidate.path, dependencies: candidate.dependencies, source: sources.get(candidate.path) ?? candidate.script.source }));
    const culpritSource = (file: string): string | undefined => sources.get(file) ?? this.loaded.get(file)?.script.source;
    this.ledger.batchFailed(errors, members, new Set(reruns.map((candidate) => candidate.path)), removed, importsOf, culpritSource, report);
  }

  private applyCommit(
    batch: Candidate[],
    removed: string[],
    newContexts: Map<string, QuickJSContext>,
    committed: KernelCommitReport,
    report: ReloadReport,
  ): void {
    this.epoch++;
    for (const candidate of batch) {
      const context = this.loaded.get(candidate.path)?.context ?? newContexts.get(candidate.path)!;
      const owner = timerOwner(candidate.path, candidate.attempt);
      this.loaded.set(candidate.path, { path: candidate.path, context, script: candidate.script, dependencies: candidate.dependencies, owner });
      this.importers.set(candidate.path, candidate.dependencies);
      this.ledger.clear(candidate.path);
      this.changedAt.set(candidate.path, this.epoch);
      if (candidate.role === "rerun") report.rerun.push(candidate.path);
      this.maps.committed(candidate.path, evaluatedName(candidate.path, candidate.attempt));
      report.files.push(candidate.path);
    }
    for (const file of removed) {
      const entry = this.loaded.get(file)!;
      this.loaded.delete(file);
      this.importers.delete(file);
      this.dynamic.importers.deleteImporter(file);
      this.ledger.clear(file);
      this.changedAt.set(file, this.epoch);
      // Objects of the file keep its realm alive by reference count; this drops graft's own.
      entry.context.dispose();
      report.removed.push(file);
    }
    reportCommit(report, committed, new Set(batch.filter((candidate) => candidate.role === "rerun").map((candidate) => candidate.path)));
  }

  /** What a file of a batch runs after: its imports, and the files it imported with import() (as it did the first time). */
  private importsOf(file: string, candidate: Candidate): string[] {
    const dynamic = this.dynamic.importers.importsOf(file);
    return dynamic.size === 0 ? candidate.dependencies : [...candidate.dependencies, ...dynamic];
  }

  /** import() of a file that does not run, outside a transaction: a reload of it alone, after those under way. */
  private loadForImport(file: string): Promise<void> {
    return this.serialized(async () => {
      if (this.loaded.has(file) || this.ledger.has(file)) return;
      const report = emptyReport();
      const failed = await this.applyBatch([file], report, false, false, true);
      await this.retryPending(report, failed);
    }).catch(() => undefined); // disposed meanwhile: nothing to answer
  }

  /** A file import() loads into the transaction under way, with the imports of it that do not run: compiled, resolved, in import order. */
  private async prepareImport(file: string, inTransaction: (file: string) => boolean): Promise<Candidate[] | ReloadError> {
    const errors: ReloadError[] = [];
    const added = new Map<string, Candidate>();
    const queue = [file];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (added.has(next) || inTransaction(next)) continue;
      const candidate = this.reader.candidateFrom(next, await readScript(this.root, next), errors, "edit");
      if (!candidate) return errors[0] ?? this.ledger.errorAt(next, "", `cannot find ${next}`, undefined, "it was deleted while it loaded");
      const error = this.reader.resolveImports(candidate, added, []);
      if (error) return error;
      added.set(next, candidate);
      for (const dependency of candidate.dependencies) {
        if (dependency !== HOST_MODULE && !(this.loaded.has(dependency) && !this.ledger.has(dependency))) queue.push(dependency);
      }
    }
    return dependencyOrder([...added.keys()], (path) => added.get(path)!.dependencies).order.map((path) => added.get(path)!);
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.disposed) throw new Error("graft: the runtime has been disposed");
      return work();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Reads and compiles happen between awaits: the host may dispose the runtime meanwhile. */
  private assertNotDisposed(): void {
    if (this.disposed) throw new Error("graft: the runtime was disposed while this reload was under way; nothing was applied");
  }

  /** Waits for reloads under way, then drops every context. */
  async dispose(): Promise<void> {
    await this.queue;
    this.disposeNow();
  }

  disposeNow(): void {
    this.disposed = true;
    this.prepared.disposeAll();
    for (const entry of this.loaded.values()) entry.context.dispose();
    this.loaded.clear();
    this.importers.clear();
    this.dynamic.importers.clear();
  }
}

const NO_RERUNS: ReadonlySet<string> = new Set();

function normalizePath(file: string): string {
  return scriptName(file);
}

function emptyReport(): ReloadReport {
  return { ok: true, files: [], rerun: [], removed: [], recovered: [], patched: [], retired: [], errors: [], durationMs: 0 };
}

/** `export *` or `export * as ns`: the names (or the namespace object) it exports follow another file's. */
function reexportsNamespaces(script: CompiledModule): boolean {
  return script.entries.stars.length > 0 || script.entries.indirect.some((entry) => entry.importName === "*");
}
