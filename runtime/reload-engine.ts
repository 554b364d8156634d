import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { compileScript, compileSnippet, CompileError, type CompiledScript, type SourceMapper } from "./compile/index.js";
import { dependencyOrder, describeCycle } from "./dependency-order.js";
import { Kernel, VmCallError, type KernelCommitReport } from "./kernel/kernel.js";
import { listScripts, readScript, resolveSpecifier, type ReadOutcome } from "./script-files.js";
import { codeFrame, evaluatedName, mapVmError, type MappedError } from "./script-errors.js";
import { HostStackOverflow, VmOutOfMemory, type Vm } from "./vm.js";
import { formatBytes } from "./format-bytes.js";
import { timerOwner, type Scheduler, type TimerOwner } from "./async/scheduler.js";
import type { ReloadError, ReloadReport, SourcePosition } from "./reload-report.js";

/** The module name scripts import host functions from. */
export const HOST_MODULE = "host";

interface LoadedFile {
  path: string;
  context: QuickJSContext;
  script: CompiledScript;
  /** Resolved dependencies, in `__graft.require(i)` order. */
  dependencies: string[];
  /** Owns the timers this version's top-level code created. */
  owner: TimerOwner;
}

interface Candidate {
  path: string;
  script: CompiledScript;
  dependencies: string[];
  attempt: number;
}

/** An emptied script is re-read this many times, this far apart, before it is applied. */
const EMPTY_FILE_RETRIES = 10;
const EMPTY_FILE_RETRY_MS = 3;

/** Source maps kept per file, for stacks of code that still runs from older versions. */
const VERSIONS_KEPT_PER_FILE = 16;

/**
 * Loads scripts and applies edits as transactions (R1–R3, R9–R12): compile, resolve,
 * evaluate every changed file in dependency order inside one kernel transaction, then
 * commit, or roll everything back and report what failed and where.
 */
export class ReloadEngine {
  private readonly loaded = new Map<string, LoadedFile>();
  /** Files on disk that are not running, with the reason. */
  private readonly failed = new Map<string, ReloadError>();
  /** Of those, the ones that failed only for want of another file (missing or broken import). */
  private readonly waiting = new Set<string>();
  private readonly attempts = new Map<string, number>();
  /** Loaded files whose newest edit on disk failed to apply. */
  private readonly stale = new Set<string>();
  private readonly mappers = new Map<string, { file: string; mapper: SourceMapper }>();
  private readonly mapperOrder = new Map<string, string[]>();
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly vm: Vm,
    private readonly kernel: Kernel,
    readonly root: string,
    private readonly scheduler: Scheduler,
  ) {}

  files(): string[] {
    return [...this.loaded.keys()].sort();
  }

  isLoaded(file: string): boolean {
    return this.loaded.has(file);
  }

  failures(): ReloadError[] {
    return [...this.failed.values()];
  }

  /** REPL code made ready for the running version of `file`'s own scope. Throws CompileError. */
  compileForScope(file: string, code: string): string {
    const entry = this.loaded.get(file);
    if (!entry) throw new Error(`graft: ${file} is not loaded`);
    return compileSnippet(entry.script, code);
  }

  sourceOf(file: string): string | undefined {
    return this.loaded.get(file)?.script.source;
  }

  /** Every script context, by file, for the heap tools. */
  contexts(): Map<string, QuickJSContext> {
    return new Map([...this.loaded].map(([file, entry]) => [file, entry.context]));
  }

  mapError(dumped: unknown): MappedError {
    return mapVmError(dumped, (name) => this.mappers.get(name));
  }

  /** A position in evaluated code (by the name QuickJS saw) as "file:line" as written. */
  locate(evaluatedName: string, line: number, column: number): string | undefined {
    const found = this.mappers.get(evaluatedName);
    if (!found) return undefined;
    return `${found.file}:${found.mapper.original({ line, column }).line}`;
  }

  /** Loads every script of the folder: each file is its own transaction, in import order. */
  loadAll(): Promise<ReloadReport> {
    return this.serialized(async () => {
      const started = performance.now();
      const paths = await listScripts(this.root);
      const report = emptyReport();
      const candidates = await this.prepare(paths, report);
      const { order, cycles } = dependencyOrder(
        [...candidates.keys()],
        (file) => candidates.get(file)?.dependencies ?? [],
      );
      this.declareCycleExports(candidates, cycles);
      for (const file of order) {
        const candidate = candidates.get(file)!;
        const broken = candidate.dependencies.find((dependency) => this.failed.has(dependency));
        if (broken !== undefined) {
          this.fail(report, dependencyFailure(file, broken), true);
          continue;
        }
        await this.transaction([candidate], [], report);
      }
      report.ok = report.errors.length === 0;
      report.durationMs = performance.now() - started;
      return report;
    });
  }

  /**
   * Reloads the given files (relative paths), or every file that changed on disk. The
   * batch is one transaction: all of it applies, or none of it.
   */
  reload(paths?: string[]): Promise<ReloadReport> {
    return this.serialized(async () => {
      const started = performance.now();
      const report = emptyReport();
      const requested = paths ? [...new Set(paths.map(normalizePath))] : await this.changedOnDisk();
      await this.applyBatch(requested, report);
      if (report.errors.length === 0) {
        await this.retryStaleFiles(report);
        await this.retryWaitingFiles(report);
      }
      report.ok = report.errors.length === 0;
      report.durationMs = performance.now() - started;
      return report;
    });
  }

  private async applyBatch(requested: string[], report: ReloadReport): Promise<void> {
    const candidates = new Map<string, Candidate>();
    const removed: string[] = [];
    const outcomes = await Promise.all(requested.map(async (file) => [file, await this.readSettled(file)] as const));
    const reverted: string[] = [];
    for (const [file, outcome] of outcomes) {
      if (outcome.kind === "source" && this.loaded.get(file)?.script.source === outcome.source) {
        // A broken edit undone: the file reads as its running version again.
        if (this.stale.has(file)) reverted.push(file);
        continue;
      }
      const candidate = this.candidateFrom(file, outcome, report);
      if (candidate === "missing") {
        if (this.loaded.has(file)) removed.push(file);
        this.forgetFailure(file);
      } else if (candidate) {
        candidates.set(file, candidate);
      }
    }
    if (report.errors.length === 0) this.resolveAll(candidates, removed, report);
    if (report.errors.length === 0 && (candidates.size > 0 || removed.length > 0)) {
      const { order, cycles } = dependencyOrder([...candidates.keys()].sort(), (file) => candidates.get(file)!.dependencies);
      this.declareCycleExports(candidates, cycles);
      await this.transaction(order.map((file) => candidates.get(file)!), removed.sort(), report);
    }
    if (report.errors.length > 0) {
      for (const file of requested) if (this.loaded.has(file)) this.stale.add(file);
    } else {
      for (const file of requested) this.stale.delete(file);
      report.recovered.push(...reverted);
    }
  }

  /**
   * Reads a file; if a loaded, non-empty script reads as empty, it is most likely being
   * written (truncate, then write), so it is read again shortly before being believed.
   */
  private async readSettled(file: string): Promise<ReadOutcome> {
    let outcome = await readScript(this.root, file);
    for (let attempt = 0; attempt < EMPTY_FILE_RETRIES; attempt++) {
      const wasEmpty = outcome.kind === "source" && outcome.source.trim() === "";
      if (!wasEmpty || !this.loaded.get(file)?.script.source.trim()) break;
      await new Promise((resolve) => setTimeout(resolve, EMPTY_FILE_RETRY_MS));
      outcome = await readScript(this.root, file);
    }
    return outcome;
  }

  /**
   * Loaded files whose last edit failed are tried again after a batch succeeds: a batch
   * split by the watcher (a file arriving before the file it imports) still converges.
   */
  private async retryStaleFiles(report: ReloadReport): Promise<void> {
    if (this.stale.size === 0) return;
    const retry = emptyReport();
    await this.applyBatch([...this.stale].sort(), retry);
    if (retry.errors.length > 0) return; // already reported when the edit first failed
    report.files.push(...retry.files);
    report.removed.push(...retry.removed);
    report.recovered.push(...retry.recovered);
    report.patched.push(...retry.patched);
    report.retired.push(...retry.retired);
  }

  private async changedOnDisk(): Promise<string[]> {
    const onDisk = await listScripts(this.root);
    return [...new Set([...onDisk, ...this.loaded.keys(), ...this.failed.keys()])].sort();
  }

  /**
   * Files that failed only because a dependency was missing or broken get another chance;
   * files broken in themselves wait for their own next edit instead of being recompiled here.
   */
  private async retryWaitingFiles(report: ReloadReport): Promise<void> {
    const waiting = [...this.waiting];
    if (waiting.length === 0) return;
    const candidates = await this.prepare(waiting, emptyReport());
    const { order } = dependencyOrder([...candidates.keys()], (file) => candidates.get(file)?.dependencies ?? []);
    for (const file of order) {
      const candidate = candidates.get(file)!;
      if (candidate.dependencies.every((dependency) => dependency === HOST_MODULE || this.loaded.has(dependency))) {
        const retry = emptyReport();
        if (await this.transaction([candidate], [], retry)) {
          report.files.push(...retry.files);
          report.patched.push(...retry.patched);
        }
      }
    }
  }

  /** Reads, compiles and resolves files; failures are recorded, the rest returned. */
  private async prepare(paths: string[], report: ReloadReport): Promise<Map<string, Candidate>> {
    const candidates = new Map<string, Candidate>();
    for (const file of paths) {
      const candidate = this.candidateFrom(file, await readScript(this.root, file), report);
      if (candidate && candidate !== "missing") candidates.set(file, candidate);
    }
    const resolveReport = emptyReport();
    this.resolveAll(candidates, [], resolveReport);
    for (const error of resolveReport.errors) {
      candidates.delete(error.file);
      this.fail(report, error, true);
    }
    return candidates;
  }

  /** A read script as a compiled candidate; "missing" if it is gone; undefined if it failed (recorded). */
  private candidateFrom(file: string, outcome: ReadOutcome, report: ReloadReport): Candidate | "missing" | undefined {
    if (outcome.kind === "missing") return "missing";
    if (outcome.kind === "invalid") {
      this.fail(report, { file, message: outcome.reason, text: `${file}: ${outcome.reason}.\n${outcome.hint}; ${this.whileBroken(file)}.` });
      return undefined;
    }
    return this.compile(file, outcome.source, report);
  }

  private compile(file: string, source: string, report: ReloadReport): Candidate | undefined {
    const attempt = (this.attempts.get(file) ?? 0) + 1;
    this.attempts.set(file, attempt);
    try {
      const script = compileScript(file, source);
      return { path: file, script, dependencies: [], attempt };
    } catch (error) {
      if (!(error instanceof CompileError)) throw error;
      this.fail(report, this.errorAt(file, source, error.message, error.position, error.hint));
      return undefined;
    }
  }

  /** Resolves every candidate's imports against the files that will exist after the batch. */
  private resolveAll(candidates: Map<string, Candidate>, removed: string[], report: ReloadReport): void {
    const exists = (file: string): boolean => (this.loaded.has(file) || candidates.has(file) || this.failed.has(file)) && !removed.includes(file);
    for (const candidate of candidates.values()) {
      candidate.dependencies = [];
      for (const site of candidate.script.imports) {
        if (site.specifier === HOST_MODULE) {
          candidate.dependencies.push(HOST_MODULE);
          continue;
        }
        const resolved = resolveSpecifier(candidate.path, site.specifier, exists);
        if (resolved === undefined) {
          const relative = site.specifier.startsWith("./") || site.specifier.startsWith("../");
          const message = relative
            ? `cannot find '${site.specifier}' imported by ${candidate.path}`
            : `'${site.specifier}' cannot be imported: scripts may import other scripts by relative path and "${HOST_MODULE}"`;
          const hint = relative
            ? `no script matches it (extension optional: .ts, .js, .mjs); create the file or fix the path`
            : `Node modules, the file system and the network are not available to scripts; ask the host to expose what you need through "${HOST_MODULE}"`;
          this.fail(report, this.errorAt(candidate.path, candidate.script.source, message, site.position, hint), true);
          break;
        }
        candidate.dependencies.push(resolved);
      }
    }
    // A file that imports one being deleted in this batch breaks: refuse the deletion's dependents.
    for (const [file, entry] of this.loaded) {
      if (candidates.has(file) || removed.includes(file)) continue;
      const lost = entry.dependencies.find((dependency) => removed.includes(dependency));
      if (lost !== undefined) {
        report.warnings ??= [];
        report.warnings.push(`${file} imports ${lost}, which was deleted: its imports of it now read undefined`);
      }
    }
  }

  private declareCycleExports(candidates: Map<string, Candidate>, cycles: string[][]): void {
    this.assertNotDisposed();
    for (const cycle of cycles) {
      for (const file of new Set(cycle)) {
        const candidate = candidates.get(file);
        if (candidate && !this.loaded.has(file)) {
          this.kernel.declareExports(file, candidate.script.exportNames, `${describeCycle(cycle)}; move the use out of top-level code or break the cycle`);
        }
      }
    }
  }

  /**
   * Evaluates a batch in one kernel transaction. Returns true when it committed. A file
   * that awaits at top level is waited for (bounded by the timeout) before the next one
   * runs; meanwhile only timers of the batch's new versions fire.
   */
  private async transaction(batch: Candidate[], removed: string[], report: ReloadReport): Promise<boolean> {
    this.assertNotDisposed();
    const newContexts = new Map<string, QuickJSContext>();
    const registered: string[] = [];
    const owners = batch.map((entry) => timerOwner(entry.path, entry.attempt));
    let awaited = false;
    this.kernel.begin();
    try {
      for (const [index, candidate] of batch.entries()) {
        const name = evaluatedName(candidate.path, candidate.attempt);
        this.mappers.set(name, { file: candidate.path, mapper: candidate.script.mapper });
        registered.push(name);
        let context = this.loaded.get(candidate.path)?.context;
        if (!context) {
          context = this.vm.newContext();
          newContexts.set(candidate.path, context);
          this.scheduler.install(context, candidate.path);
        }
        const started = Date.now();
        const evaluation = this.scheduler.runOwnedBy(owners[index]!, () => this.evaluate(context, candidate, name));
        let failure = evaluation.failure;
        if (evaluation.pending) {
          awaited = true;
          failure = await this.awaitTopLevel(evaluation.pending, candidate, owners[index]!, owners.slice(0, index + 1), started);
          this.assertNotDisposed();
        }
        if (failure) {
          this.kernel.rollback();
          // The failed versions' timers go; the running versions' stay.
          this.scheduler.cancelOwned(owners);
          for (const context of newContexts.values()) context.dispose();
          for (const mapperName of registered) this.mappers.delete(mapperName);
          this.fail(report, failure);
          for (const other of batch) {
            if (other !== candidate && !this.loaded.has(other.path)) {
              this.failed.set(other.path, dependencyFailure(other.path, candidate.path));
              this.waiting.add(other.path);
            }
          }
          return false;
        }
      }
      for (const file of removed) this.kernel.removeFile(file);
      const committed = this.kernel.commit();
      this.applyCommit(batch, removed, newContexts, committed, report);
      return true;
    } catch (error) {
      // Disposed while awaiting: the VM is gone, nothing to undo in it.
      if (!this.disposed) {
        this.kernel.rollback();
        this.scheduler.cancelOwned(owners);
        for (const context of newContexts.values()) context.dispose();
      }
      throw error;
    } finally {
      if (awaited && !this.disposed) this.scheduler.release();
    }
  }

  /** Evaluates one file: its failure, or the promise of its top-level await still running. */
  private evaluate(context: QuickJSContext, candidate: Candidate, name: string): { failure?: ReloadError; pending?: QuickJSHandle } {
    const { path: file, script } = candidate;
    let moduleFunction: QuickJSHandle | undefined;
    try {
      const result = this.vm.guard(() => {
        const evaluated = context.evalCode(script.code, name, { type: "global", strict: true });
        if (evaluated.error) {
          const dumped = this.vm.describeThrown(context, evaluated.error);
          evaluated.error.dispose();
          throw new VmCallError(dumped);
        }
        moduleFunction = evaluated.value;
        return this.kernel.runModule(file, candidate.attempt, moduleFunction, candidate.dependencies);
      });
      if (script.topLevelAwait) return { pending: result };
      result.dispose();
      return {};
    } catch (error) {
      if (error instanceof HostStackOverflow) {
        return { failure: this.errorAt(file, script.source, error.message, undefined, "look for unbounded recursion, or data nested thousands of levels deep") };
      }
      // The module's own code ran out of memory (VmOutOfMemory) or threw: the file's failure.
      if (!(error instanceof VmCallError) && !(error instanceof VmOutOfMemory)) throw error;
      return { failure: this.vmFailure(file, script.source, error.vmError) };
    } finally {
      moduleFunction?.dispose();
      this.vm.drainJobs();
    }
  }

  /**
   * Waits for a file's top-level await, at most the timeout from when its evaluation
   * started. Meanwhile timers the file creates are its version's, and only the timers of
   * versions in this transaction fire (the file may wait on them). Takes `promise`.
   */
  private awaitTopLevel(promise: QuickJSHandle, candidate: Candidate, owner: TimerOwner, firing: TimerOwner[], started: number): Promise<ReloadError | undefined> {
    const { path: file, script } = candidate;
    const timeout = this.vm.options.timeout;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (failure: ReloadError | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.scheduler.endOwnership();
        resolve(failure);
      };
      // Ref'd on purpose: a reload waiting on a script's own (unref'd) timer keeps the host alive.
      const timer = setTimeout(() => {
        const message = `top-level await did not settle within the timeout of ${timeout} ms`;
        finish({
          file,
          message,
          text: `${file}: ${message}; the reload was rolled back.\nLook for an await on something that never settles, or move slow work out of the top level; the previous version keeps running.`,
        });
      }, Math.max(0, started + timeout - Date.now()));
      this.scheduler.holdExcept(firing);
      this.scheduler.beginOwnership(owner);
      try {
        this.scheduler.whenSettled(promise, {
          settled: (fulfilled, result) => finish(fulfilled ? undefined : this.vmFailure(file, script.source, this.vm.describeThrown(this.kernel.context, result))),
          closed: () => finish(undefined),
        });
      } finally {
        promise.dispose();
      }
    });
  }

  /** Builds the designer-facing error for a VM exception during evaluation. */
  vmFailure(file: string, source: string, dumped: unknown): ReloadError {
    const mapped = this.mapError(dumped);
    const { message, hint } = explainVmError(mapped, this.vm);
    const position = mapped.position;
    const positionSource = position && position.file !== file ? this.sourceOf(position.file) ?? "" : source;
    const error = this.errorAt(file, positionSource, message, position, hint);
    if (mapped.stack) error.text += `\n${mapped.stack}`;
    return error;
  }

  /** The script whose context is at `pointer` (a JSContext in VM memory). */
  fileOfContext(pointer: number | undefined): string | undefined {
    if (pointer === undefined) return undefined;
    for (const [file, entry] of this.loaded) {
      if ((entry.context as unknown as { ctx: { value: number } }).ctx.value === pointer) return file;
    }
    return undefined;
  }

  private errorAt(file: string, source: string, message: string, position: SourcePosition | undefined, hint: string): ReloadError {
    const where = position ? `${position.file}:${position.line}:${position.column}` : file;
    const frame = position && source ? codeFrame(source, position.line, position.column) : undefined;
    const text = `${where}: ${message}\n${frame ? frame + "\n" : ""}${hint}; ${this.whileBroken(file)}.`;
    return { file, message, position, frame, text };
  }

  /** What runs meanwhile: the previous version, or (at start-up, or for a new file) nothing of it. */
  private whileBroken(file: string): string {
    return this.loaded.has(file) ? "the previous version keeps running" : `${file} is not loaded until then`;
  }

  private applyCommit(
    batch: Candidate[],
    removed: string[],
    newContexts: Map<string, QuickJSContext>,
    committed: KernelCommitReport,
    report: ReloadReport,
  ): void {
    // import.meta.hot.dispose callbacks ran in the kernel's commit; then the replaced versions' timers go.
    const replaced = [...batch.map((candidate) => candidate.path), ...removed].map((file) => this.loaded.get(file)?.owner);
    this.scheduler.cancelOwned(replaced.filter((owner): owner is TimerOwner => owner !== undefined));
    for (const candidate of batch) {
      const context = this.loaded.get(candidate.path)?.context ?? newContexts.get(candidate.path)!;
      const owner = timerOwner(candidate.path, candidate.attempt);
      this.loaded.set(candidate.path, { path: candidate.path, context, script: candidate.script, dependencies: candidate.dependencies, owner });
      this.forgetFailure(candidate.path);
      this.rememberMapper(candidate.path, evaluatedName(candidate.path, candidate.attempt));
      report.files.push(candidate.path);
    }
    for (const file of removed) {
      const entry = this.loaded.get(file)!;
      this.loaded.delete(file);
      // Objects of the file keep its realm alive by reference count; this drops graft's own.
      entry.context.dispose();
      report.removed.push(file);
    }
    report.patched.push(...committed.patched);
    report.retired.push(...committed.retired);
    for (const disposeError of committed.disposeErrors) {
      (report.warnings ??= []).push(`import.meta.hot.dispose callback of ${disposeError.file} threw: ${disposeError.message}`);
    }
  }

  private rememberMapper(file: string, name: string): void {
    const names = this.mapperOrder.get(file) ?? [];
    names.push(name);
    while (names.length > VERSIONS_KEPT_PER_FILE) this.mappers.delete(names.shift()!);
    this.mapperOrder.set(file, names);
  }

  /** Records a failure; a file not running is remembered, as waiting on others or broken itself. */
  private fail(report: ReloadReport, error: ReloadError, waitsOnOthers = false): void {
    report.errors.push(error);
    if (this.loaded.has(error.file)) return;
    this.failed.set(error.file, error);
    if (waitsOnOthers) this.waiting.add(error.file);
    else this.waiting.delete(error.file);
  }

  private forgetFailure(file: string): void {
    this.failed.delete(file);
    this.waiting.delete(file);
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
    for (const entry of this.loaded.values()) entry.context.dispose();
    this.loaded.clear();
  }
}

function normalizePath(file: string): string {
  return file.split("\\").join("/").replace(/^\.\//, "");
}

function emptyReport(): ReloadReport {
  return { ok: true, files: [], removed: [], recovered: [], patched: [], retired: [], errors: [], durationMs: 0 };
}

function dependencyFailure(file: string, dependency: string): ReloadError {
  const message = `not loaded: it imports ${dependency}, which failed to load`;
  return { file, message, text: `${file}: ${message}.\nFix ${dependency}; ${file} loads as soon as it does.` };
}

/** What went wrong in words a designer can act on. */
function explainVmError(mapped: MappedError, vm: Vm): { message: string; hint: string } {
  const text = `${mapped.name}: ${mapped.message}`;
  if (mapped.name === "InternalError" && mapped.message === "interrupted" && vm.timedOut) {
    return {
      message: `timed out: the script ran longer than ${vm.options.timeout} ms and was stopped`,
      hint: "look for an infinite loop or very long computation at this line",
    };
  }
  // With no memory left QuickJS cannot build the error object and throws null.
  if (mapped.message === "out of memory" || (vm.memoryExhausted && mapped.stack === "" && (mapped.message === "null" || mapped.message === "undefined"))) {
    return {
      message: `out of memory: the script went over the VM memory limit (${formatBytes(vm.options.memoryLimit)})`,
      hint: "look for an unbounded array, string or object growing here",
    };
  }
  if (/stack overflow|Maximum call stack/i.test(mapped.message)) {
    return { message: `${text} (unbounded recursion?)`, hint: "look for a function that calls itself without an end condition" };
  }
  if (mapped.name === "SyntaxError") return { message: text, hint: "fix the syntax and save again" };
  return { message: text, hint: "fix the error and save again" };
}
