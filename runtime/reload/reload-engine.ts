import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { compileScript, compileSnippet, CompileError, type CompileOptions, type CompiledScript, type SourceMapper } from "../compile/index.js";
import { compileInParallel, scriptOf, type CompileOutcome } from "../compile/parallel-compile.js";
import { PreparedContexts } from "./prepared-contexts.js";
import { cycleGroups, dependencyOrder, describeCycle, reaches } from "./dependency-order.js";
import { ModuleLinker, type StarExport } from "./module-link.js";
import { ImporterIndex } from "./importer-index.js";
import { Kernel, VmCallError, type KernelCommitReport } from "../kernel/kernel.js";
import { listScripts, readScript, resolveSpecifier, scriptExists, type ReadOutcome } from "../files/script-files.js";
import { isJsonModule } from "../compile/json-module.js";
import { importTypeProblem } from "./import-types.js";
import { codeFrame, evaluatedName, explainVmError, mapVmError, type MappedError } from "./script-errors.js";
import { HostStackOverflow, VmOutOfMemory, type Vm } from "../vm/vm.js";
import { timerOwner, type Scheduler, type TimerOwner } from "../async/scheduler.js";
import type { ClassPatch, ReloadError, ReloadReport, SourcePosition } from "./reload-report.js";

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
  /** Its text on disk (an edit, or a retry), or its running version re-run because an import of it changed (R13). */
  role: "edit" | "rerun";
  /** What the script's `export *` add, resolved when the batch is linked. */
  starExports: StarExport[];
  /** Set when the file is on an import cycle: the cycle, for errors of reads before a module ran. */
  cycle?: string;
}

/** A script on disk that does not run as it is there: not at all, or an earlier version of it. */
interface Pending {
  error: ReloadError;
  /** Its text when it failed; undefined when it could not be read as a script. */
  source: string | undefined;
  /** It is tried again once one of these files changes (applied or deleted after `epoch`)... */
  retryOn: string[];
  epoch: number;
  /** ...or at the next reload whatever changed (its batch rolled back, or an import was missing). */
  retryAlways: boolean;
}

type TransactionOutcome = { committed: true } | { committed: false; error: ReloadError };

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
  /** The files of `loaded` that import each file. */
  private readonly importers = new ImporterIndex();
  /** Files on disk that do not run as they are there (failed, waiting, or an edit that failed), with why. */
  private readonly pending = new Map<string, Pending>();
  /** Commits so far; and for each file, the commit that last applied (or deleted) it. */
  private epoch = 0;
  private readonly changedAt = new Map<string, number>();
  private readonly attempts = new Map<string, number>();
  private readonly mappers = new Map<string, { file: string; mapper: SourceMapper }>();
  private readonly mapperOrder = new Map<string, string[]>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Contexts made while compile workers compile a big load (see loadInOrder). */
  private readonly prepared: PreparedContexts;
  private disposed = false;

  constructor(
    private readonly vm: Vm,
    private readonly kernel: Kernel,
    readonly root: string,
    private readonly scheduler: Scheduler,
    private readonly compileOptions: CompileOptions = {},
    /**
     * The live instances of a class (given its prototype) as one VM array the caller owns, or
     * undefined when there are none: the host's heap reader, for giving live instances the
     * fields a new version adds.
     */
    private readonly instanceFinder: (prototype: QuickJSHandle) => QuickJSHandle | undefined = () => undefined,
  ) {
    this.prepared = new PreparedContexts(vm, scheduler);
  }

  files(): string[] {
    return [...this.loaded.keys()].sort();
  }

  isLoaded(file: string): boolean {
    return this.loaded.has(file);
  }

  /**
   * Every script on disk that does not run as it is there, with why: not loaded at all, or
   * (`running: true`) running an earlier version because its newest text failed.
   */
  failures(): ReloadError[] {
    return [...this.pending.keys()].sort().map((file) => ({ ...this.pending.get(file)!.error, running: this.loaded.has(file) }));
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
   */
  reload(paths?: string[], options: { force?: boolean } = {}): Promise<ReloadReport> {
    return this.serialized(async () => {
      const started = performance.now();
      const report = emptyReport();
      const force = options.force === true;
      const requested = paths ? [...new Set(paths.map(normalizePath))] : await this.changedOnDisk();
      const failed = await this.applyBatch(requested, report, force, paths === undefined);
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
  private async applyBatch(requested: string[], report: ReloadReport, force: boolean, changedOnly: boolean): Promise<Set<string>> {
    const edits = new Map<string, Candidate>();
    const removed: string[] = [];
    const recovered: string[] = [];
    const errors: ReloadError[] = [];
    const sources = new Map<string, string>();
    const outcomes = await Promise.all(requested.map(async (file) => [file, await this.readSettled(file)] as const));
    for (const [file, outcome] of outcomes) {
      const running = this.loaded.get(file);
      const pending = this.pending.get(file);
      if (outcome.kind === "missing") {
        if (running) removed.push(file);
        else this.pending.delete(file);
        continue;
      }
      // A JSON file is a module once a script imports it (that pulls it in): until then, its saves are not graft's business.
      if (isJsonModule(file) && !running && !pending) continue;
      if (outcome.kind === "source") sources.set(file, outcome.source);
      // reload() of everything that changed: a file failing as it is on disk has not changed (retries take care of it).
      if (changedOnly && !force && pending && outcome.kind === "source" && pending.source === outcome.source) continue;
      if (outcome.kind === "source" && running?.script.source === outcome.source && !force) {
        // A broken edit undone: the file reads as its running version again.
        if (pending && pending.source !== outcome.source) recovered.push(file);
        // Unchanged and healthy: nothing to do. (A running file failing as it is on disk is tried again.)
        if (!pending || pending.source !== outcome.source) continue;
      }
      const candidate = this.candidateFrom(file, outcome, errors, "edit");
      if (candidate) edits.set(file, candidate);
    }
    if (errors.length === 0 && (edits.size > 0 || removed.length > 0)) {
      await this.pullPendingImports(edits, removed, errors, sources);
    }
    // A broken edit undone runs as it reads on disk: re-run like any running file that imports the batch.
    if (errors.length === 0) for (const file of recovered) this.pending.delete(file);
    const { reruns, orphans } = errors.length === 0 ? this.dependentsOf(edits, removed) : { reruns: [], orphans: [] };
    if (errors.length > 0) {
      this.batchFailed(errors, edits, reruns, removed, sources, report);
      return new Set([...edits.keys(), ...removed, ...errors.map((error) => error.file)]);
    }
    report.recovered.push(...recovered);
    if (edits.size === 0 && removed.length === 0) return new Set();
    const all = new Map([...edits, ...reruns.map((candidate) => [candidate.path, candidate] as const)]);
    const { order, cycles } = dependencyOrder([...all.keys()].sort(), (file) => all.get(file)!.dependencies);
    this.declareCycleExports(all, cycles);
    const outcome = await this.transaction(order.map((file) => all.get(file)!), removed.sort(), report);
    if (outcome.committed) {
      this.orphaned(orphans, report);
      return new Set();
    }
    this.batchFailed([outcome.error], edits, reruns, removed, sources, report);
    return new Set([...edits.keys(), ...removed, ...reruns.map((candidate) => candidate.path)]);
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
        const error = this.resolveImports(candidate, edits, removed);
        if (error) {
          errors.push(error);
          continue;
        }
        for (const dependency of candidate.dependencies) {
          if (dependency === HOST_MODULE || edits.has(dependency) || (this.loaded.has(dependency) && !this.pending.has(dependency))) continue;
          const outcome = await readScript(this.root, dependency);
          if (outcome.kind === "source") sources.set(dependency, outcome.source);
          const pulled = this.candidateFrom(dependency, outcome, errors, "edit");
          if (pulled) edits.set(dependency, pulled);
          else if (outcome.kind !== "missing") errors.push(this.waitingError(candidate.path, dependency));
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
    const reruns: Candidate[] = [];
    const orphans: [string, string][] = [];
    const inBatch = new Set(edits.keys());
    const gone = new Set(removed);
    // What decides for a file does not change as the batch grows: each is looked at once.
    const decided = new Set<string>();
    const reached = [...inBatch, ...gone];
    while (reached.length > 0) {
      for (const file of this.importers.importersOf(reached.pop()!)) {
        if (decided.has(file) || inBatch.has(file) || gone.has(file)) continue;
        decided.add(file);
        const entry = this.loaded.get(file)!;
        // Its running version (what files importing it see) stays; they are not re-run for it.
        const lost = entry.dependencies.find((dependency) => gone.has(dependency));
        if (lost !== undefined) {
          orphans.push([file, lost]);
          continue;
        }
        // Its newest text failed: re-running the old text would hide that; the retry after the batch tries the new one.
        const pending = this.pending.get(file);
        if (pending && pending.source !== entry.script.source) continue;
        // A file importing one that is not running (it failed) stays as it is until that one runs.
        if (entry.dependencies.some((dependency) => dependency !== HOST_MODULE && !this.loaded.has(dependency) && !inBatch.has(dependency))) continue;
        reruns.push({ path: file, script: entry.script, dependencies: entry.dependencies, attempt: this.nextAttempt(file), role: "rerun", starExports: [] });
        inBatch.add(file);
        reached.push(file);
      }
    }
    return { reruns, orphans };
  }

  /** After a commit that deleted files: the files that import them keep running, waiting for them. */
  private orphaned(orphans: [string, string][], report: ReloadReport): void {
    for (const [file, lost] of orphans) {
      (report.warnings ??= []).push(`${file} imports ${lost}, which was deleted: its imports of it now read undefined`);
      this.setPending(file, this.waitingError(file, lost, "was deleted"), this.loaded.get(file)?.script.source, [lost], false);
    }
  }

  /**
   * A batch that failed changes nothing that runs; every file of it is accounted for in
   * failures(): the culprit with its error, files importing it as waiting on it, the
   * files it needed as not applied because of it, the others as rolled back with the
   * batch (tried again at the next reload).
   */
  private batchFailed(errors: ReloadError[], edits: Map<string, Candidate>, reruns: Candidate[], removed: string[], sources: Map<string, string>, report: ReloadReport): void {
    const culprits = new Map<string, ReloadError>();
    for (const error of errors) if (!culprits.has(error.file)) culprits.set(error.file, error);
    const rerunFiles = new Set(reruns.map((candidate) => candidate.path));
    // The batch may have failed before its imports were resolved: who imports the culprit decides the messages.
    for (const candidate of edits.values()) if (candidate.dependencies.length === 0) this.resolveImports(candidate, edits, []);
    const all = new Map<string, Candidate>([...edits, ...reruns.map((candidate) => [candidate.path, candidate] as const)]);
    const importsOf = (file: string): string[] => all.get(file)?.dependencies ?? this.loaded.get(file)?.dependencies ?? [];
    for (const [file, error] of culprits) {
      const running = this.loaded.get(file)?.script.source;
      const text = rerunFiles.has(file)
        ? `${error.text}\n${file} was re-run because it imports ${this.changedImport(file, importsOf, edits)}, which changed: a fresh load would run it with the new version.`
        : error.text;
      report.errors.push({ ...error, text });
      this.setPending(file, { ...error, text }, sources.get(file) ?? running, importsOf(file), false);
    }
    for (const candidate of edits.values()) {
      const file = candidate.path;
      if (culprits.has(file)) continue;
      const source = sources.get(file) ?? candidate.script.source;
      const culprit = [...culprits.keys()].find((other) => reaches(file, other, importsOf));
      if (culprit !== undefined) {
        this.setPending(file, this.waitingError(file, culprit), source, [culprit, ...candidate.dependencies], false);
        continue;
      }
      // A re-run file failing with the new versions it imports: they wait for it. (A file failing in its own new text is its own problem.)
      const needs = [...culprits.keys()].find((other) => rerunFiles.has(other) && reaches(other, file, importsOf));
      if (needs !== undefined) {
        const message = `not applied: ${needs} imports it and failed with its new version`;
        const text = `${file}: ${message}.\nFix ${needs} (see its error); ${this.whileBroken(file)}.`;
        this.setPending(file, { file, message, text }, source, [needs, ...candidate.dependencies], false);
        continue;
      }
      const names = [...culprits.keys()].join(", ");
      const message = `not applied: its batch rolled back because ${names} failed`;
      const text = `${file}: ${message}; it does not import ${culprits.size === 1 ? "it" : "them"}, and is tried again at the next reload; ${this.whileBroken(file)}.`;
      this.setPending(file, { file, message, text }, source, candidate.dependencies, true);
    }
    // A deletion rolled back with the batch: the file runs on (listed) until the next reload removes it.
    for (const file of removed) {
      const message = `deleted, but not removed yet: its batch rolled back because ${[...culprits.keys()].join(", ")} failed`;
      const text = `${file}: ${message}; it is removed at the next reload, and meanwhile its last version keeps running.`;
      this.setPending(file, { file, message, text }, undefined, [], true);
    }
  }

  /** The import of `file` that put it in the batch (for the message of a re-run that failed). */
  private changedImport(file: string, importsOf: (file: string) => string[], edits: Map<string, Candidate>): string {
    return importsOf(file).find((dependency) => edits.has(dependency)) ?? importsOf(file).find((dependency) => dependency !== HOST_MODULE) ?? "a file";
  }

  /**
   * Files on disk that are not running as they are there get another try when something
   * they depend on changed, when their text changed, or when their batch rolled back. Each
   * file (an import cycle: its files) is its own transaction, in import order, as at start-up.
   * The files of a batch that just failed wait for a later reload (R12: none of it applies).
   */
  private async retryPending(report: ReloadReport, justFailed: Set<string>): Promise<void> {
    for (let round = 0; round < 100 && this.pending.size > 0; round++) {
      const sources = new Map<string, string>();
      const selected = new Set<string>();
      const removals: string[] = [];
      for (const [file, pending] of [...this.pending]) {
        if (justFailed.has(file)) continue;
        const outcome = await readScript(this.root, file);
        if (outcome.kind === "missing") {
          if (this.loaded.has(file)) removals.push(file);
          else this.pending.delete(file);
          continue;
        }
        if (outcome.kind === "source") sources.set(file, outcome.source);
        const textChanged = outcome.kind === "source" ? outcome.source !== pending.source : pending.source !== undefined;
        // An import applied since it failed, or one whose broken edit was undone in this reload (it runs as before, and now reads so on disk).
        const importBack = pending.retryOn.some((dependency) => (this.changedAt.get(dependency) ?? 0) > pending.epoch || report.recovered.includes(dependency));
        if (pending.retryAlways || textChanged || importBack) selected.add(file);
      }
      // What waits on a selected file is tried after it, in the same round.
      for (let grew = true; grew; ) {
        grew = false;
        for (const [file, pending] of this.pending) {
          if (!selected.has(file) && !justFailed.has(file) && sources.has(file) && pending.retryOn.some((dependency) => selected.has(dependency))) {
            selected.add(file);
            grew = true;
          }
        }
      }
      const removedNow = removals.length > 0 && (await this.removeFiles(removals.sort(), report));
      if (selected.size === 0 && !removedNow) return;
      const progressed = await this.loadInOrder([...selected].sort(), sources, report, true);
      if (!progressed && !removedNow) return;
    }
  }

  /** Files deleted on disk that still run (their deletion rolled back with a batch): removed now. */
  private async removeFiles(files: string[], report: ReloadReport): Promise<boolean> {
    const { orphans } = this.dependentsOf(new Map(), files);
    const outcome = await this.transaction([], files, report);
    if (outcome.committed) this.orphaned(orphans, report);
    return outcome.committed;
  }

  /**
   * Compiles, resolves and evaluates files one transaction per file (per import cycle), in
   * import order; a file whose import is not running waits on it. Start-up, and retries.
   * Returns whether anything was applied.
   */
  private async loadInOrder(paths: string[], sources: Map<string, string>, report: ReloadReport, retrying: boolean): Promise<boolean> {
    const candidates = new Map<string, Candidate>();
    const errors: ReloadError[] = [];
    const read = new Map<string, ReadOutcome>();
    for (const file of paths) {
      const source = sources.get(file);
      read.set(file, source !== undefined ? { kind: "source", source } : await readScript(this.root, file));
    }
    const compiled = await this.compileOnWorkers(read);
    this.assertNotDisposed();
    for (const [file, outcome] of read) {
      const candidate = this.candidateFrom(file, outcome, errors, "edit", compiled?.get(file));
      if (candidate) candidates.set(file, candidate);
    }
    for (const candidate of candidates.values()) {
      const error = this.resolveImports(candidate, candidates, []);
      if (error) {
        errors.push(error);
        candidates.delete(candidate.path);
        continue;
      }
      // JSON files load when imported (they have no imports of their own): added as the loop goes.
      for (const dependency of candidate.dependencies) {
        if (!isJsonModule(dependency) || candidates.has(dependency) || this.loaded.has(dependency) || read.has(dependency)) continue;
        const outcome = await readScript(this.root, dependency);
        read.set(dependency, outcome);
        if (outcome.kind === "source") sources.set(dependency, outcome.source);
        const pulled = this.candidateFrom(dependency, outcome, errors, "edit");
        if (pulled) candidates.set(dependency, pulled);
      }
    }
    for (const error of errors) this.record(report, error, sources.get(error.file), [], retrying, false);
    const { order, cycles } = dependencyOrder([...candidates.keys()], (file) => candidates.get(file)?.dependencies ?? []);
    const groups = cycleGroups(cycles);
    const groupMembers = new Map<number, string[]>();
    for (const file of order) {
      const group = groups.get(file);
      if (group === undefined) continue;
      const members = groupMembers.get(group);
      if (members) members.push(file);
      else groupMembers.set(group, [file]);
    }
    this.declareCycleExports(candidates, cycles);
    const done = new Set<string>();
    const rerunHere = new Set<string>();
    let progressed = false;
    for (const file of order) {
      if (done.has(file)) continue;
      // Re-run already in this pass (with a file it imports), and unchanged: nothing new to try.
      if (rerunHere.has(file) && candidates.get(file)!.script.source === this.loaded.get(file)?.script.source) continue;
      const group = groups.get(file);
      const members = group === undefined ? [file] : groupMembers.get(group)!;
      // A cycle loads where its last file comes in import order: by then, every file its
      // files import from outside it has loaded (a post-order puts some before its first file).
      if (members[members.length - 1] !== file) continue;
      for (const member of members) done.add(member);
      const inGroup = new Set(members);
      const batch = members.map((member) => candidates.get(member)!);
      const blocked = batch
        .flatMap((candidate) => candidate.dependencies.map((dependency) => [candidate, dependency] as const))
        .find(([, dependency]) => dependency !== HOST_MODULE && !inGroup.has(dependency) && (!this.loaded.has(dependency) || this.pending.has(dependency)));
      if (blocked) {
        for (const candidate of batch) this.record(report, this.waitingError(candidate.path, blocked[1]), candidate.script.source, [blocked[1], ...candidate.dependencies], retrying, false);
        continue;
      }
      const edits = new Map(batch.map((candidate) => [candidate.path, candidate] as const));
      const { reruns } = this.dependentsOf(edits, []);
      for (const candidate of reruns) rerunHere.add(candidate.path);
      // The group in its own order (a cycle evaluates as ES would), then what imports it.
      const rerunsByPath = new Map(reruns.map((candidate) => [candidate.path, candidate] as const));
      const rerunOrder = dependencyOrder([...rerunsByPath.keys()].sort(), (path) => rerunsByPath.get(path)!.dependencies).order;
      const outcome = await this.transaction([...batch, ...rerunOrder.map((path) => rerunsByPath.get(path)!)], [], report);
      if (outcome.committed) {
        progressed = true;
        continue;
      }
      const culprit = outcome.error.file;
      const rerunCulprit = reruns.some((candidate) => candidate.path === culprit);
      if (rerunCulprit) {
        const text = `${outcome.error.text}\n${culprit} was re-run because it imports ${members.join(", ")}, which changed: a fresh load would run it with the new version.`;
        this.record(report, { ...outcome.error, text }, this.loaded.get(culprit)?.script.source, members, retrying, false);
      }
      for (const candidate of batch) {
        if (candidate.path === culprit) {
          this.record(report, outcome.error, candidate.script.source, candidate.dependencies, retrying, false);
        } else if (rerunCulprit) {
          const message = `not applied: ${culprit} imports it and failed with its new version`;
          this.record(report, { file: candidate.path, message, text: `${candidate.path}: ${message}.\nFix ${culprit} (see its error); ${this.whileBroken(candidate.path)}.` }, candidate.script.source, [culprit, ...candidate.dependencies], retrying, false);
        } else {
          this.record(report, this.waitingError(candidate.path, culprit), candidate.script.source, [culprit, ...candidate.dependencies], retrying, false);
        }
      }
    }
    // Contexts made for files that did not get to run (they failed to compile, or wait on a failed import).
    this.prepared.disposeAll();
    return progressed;
  }

  /**
   * Records a failure of start-up or of a retry. A retry reports only news: a file that
   * fails as it failed before is not reported again.
   */
  private record(report: ReloadReport, error: ReloadError, source: string | undefined, retryOn: string[], retrying: boolean, retryAlways: boolean): void {
    const before = this.pending.get(error.file);
    if (!retrying || before === undefined || before.error.message !== error.message) report.errors.push(error);
    this.setPending(error.file, error, source, retryOn, retryAlways);
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

  /** Every script on disk, and every file graft knows (for a forced reload of everything). */
  async everyScript(): Promise<string[]> {
    return this.changedOnDisk();
  }

  private async changedOnDisk(): Promise<string[]> {
    const onDisk = await listScripts(this.root);
    return [...new Set([...onDisk, ...this.loaded.keys(), ...this.pending.keys()])].sort();
  }

  /**
   * Many scripts at once (start-up) compile on worker threads, each file's context made here
   * meanwhile; undefined when they compile here (few scripts, one core, or graft running
   * from its sources). The outcomes by file.
   */
  private async compileOnWorkers(read: Map<string, ReadOutcome>): Promise<Map<string, CompileOutcome> | undefined> {
    const jobs = [...read].flatMap(([file, outcome]) => (outcome.kind === "source" ? [{ file, source: outcome.source }] : []));
    const compiling = compileInParallel(jobs, this.compileOptions);
    if (!compiling) return undefined;
    this.prepared.prepare(jobs.map((job) => job.file));
    // A worker that could not start or died: the scripts compile here instead.
    const outcomes = await compiling.catch(() => undefined);
    return outcomes && new Map(jobs.map((job, index) => [job.file, outcomes[index]!]));
  }

  /** A read script as a compiled candidate; undefined if it is missing or failed (the error is collected). */
  private candidateFrom(file: string, outcome: ReadOutcome, errors: ReloadError[], role: Candidate["role"], compiled?: CompileOutcome): Candidate | undefined {
    if (outcome.kind === "missing") return undefined;
    if (outcome.kind === "invalid") {
      errors.push({ file, message: outcome.reason, text: `${file}: ${outcome.reason}.\n${outcome.hint}; ${this.whileBroken(file)}.` });
      return undefined;
    }
    const attempt = this.nextAttempt(file);
    try {
      const script = compiled ? scriptOf(compiled) : compileScript(file, outcome.source, this.compileOptions);
      return { path: file, script, dependencies: [], attempt, role, starExports: [] };
    } catch (error) {
      if (!(error instanceof CompileError)) throw error;
      errors.push(this.errorAt(file, outcome.source, error.message, error.position, error.hint));
      return undefined;
    }
  }

  private nextAttempt(file: string): number {
    const attempt = (this.attempts.get(file) ?? 0) + 1;
    this.attempts.set(file, attempt);
    return attempt;
  }

  /** Resolves a candidate's imports against the scripts on disk (minus those being deleted); the error if one is missing. */
  private resolveImports(candidate: Candidate, batch: ReadonlyMap<string, unknown>, removed: string[]): ReloadError | undefined {
    // What is on disk, as a fresh load would see it (a file deleted but still running is gone).
    const exists = (file: string): boolean => !removed.includes(file) && (batch.has(file) || scriptExists(this.root, file));
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
        return this.errorAt(candidate.path, candidate.script.source, message, candidate.script.positionOf(site.offset), hint);
      }
      const typeProblem = importTypeProblem(site.specifier, site.type, resolved);
      if (typeProblem) return this.errorAt(candidate.path, candidate.script.source, typeProblem.message, candidate.script.positionOf(site.offset), typeProblem.hint);
      candidate.dependencies.push(resolved);
    }
    return undefined;
  }

  private declareCycleExports(candidates: Map<string, Candidate>, cycles: string[][]): void {
    this.assertNotDisposed();
    for (const cycle of cycles) {
      for (const file of new Set(cycle)) {
        const candidate = candidates.get(file);
        if (candidate) candidate.cycle = `${describeCycle(cycle)}; move the use out of top-level code or break the cycle`;
      }
    }
  }

  /**
   * Evaluates a batch in one kernel transaction. Returns true when it committed. A file
   * that awaits at top level is waited for (bounded by the timeout) before the next one
   * runs; meanwhile only timers of the batch's new versions fire.
   */
  private async transaction(batch: Candidate[], removed: string[], report: ReloadReport): Promise<TransactionOutcome> {
    this.assertNotDisposed();
    const linked = this.link(batch);
    if (linked.error) return { committed: false, error: linked.error };
    batch = linked.batch;
    const newContexts = new Map<string, QuickJSContext>();
    const registered: string[] = [];
    const owners = batch.map((entry) => timerOwner(entry.path, entry.attempt));
    let awaited = false;
    const abort = (failure: ReloadError): TransactionOutcome => {
      this.kernel.rollback();
      // The failed versions' timers go; the running versions' stay.
      this.scheduler.cancelOwned(owners);
      for (const context of newContexts.values()) context.dispose();
      for (const mapperName of registered) this.mappers.delete(mapperName);
      return { committed: false, error: failure };
    };
    this.kernel.begin();
    try {
      // A new file on a cycle has its export names before any file of the cycle runs
      // (`import * as ns` of it has all its keys); reading them before it runs explains the cycle.
      for (const candidate of batch) {
        if (candidate.cycle === undefined || this.loaded.has(candidate.path)) continue;
        const names = [...candidate.script.exportNames, ...candidate.starExports.map((entry) => entry.name)];
        this.kernel.declareExports(candidate.path, names, candidate.cycle);
      }
      // Link every file of the batch before any evaluates, as ES does: in an import cycle,
      // each module's hoisted functions and re-exports are readable before the others run.
      for (const [index, candidate] of batch.entries()) {
        const name = evaluatedName(candidate.path, candidate.attempt);
        this.mappers.set(name, { file: candidate.path, mapper: candidate.script.mapper });
        registered.push(name);
        let context = this.loaded.get(candidate.path)?.context;
        if (!context) {
          context = this.prepared.take(candidate.path);
          if (!context) {
            context = this.vm.newContext();
            this.scheduler.install(context, candidate.path);
          }
          newContexts.set(candidate.path, context);
        }
        const failure = this.scheduler.runOwnedBy(owners[index]!, () => this.instantiate(context, candidate, name));
        if (failure) return abort(failure);
      }
      for (const [index, candidate] of batch.entries()) {
        const started = Date.now();
        const evaluation = this.scheduler.runOwnedBy(owners[index]!, () => this.evaluate(candidate));
        let failure = evaluation.failure;
        if (evaluation.pending) {
          awaited = true;
          failure = await this.awaitTopLevel(evaluation.pending, candidate, owners[index]!, owners.slice(0, index + 1), started);
          this.assertNotDisposed();
        }
        if (failure) return abort(failure);
      }
      const migrationFailure = this.migrateInstances(batch);
      if (migrationFailure) {
        this.kernel.rollback();
        this.scheduler.cancelOwned(owners);
        for (const context of newContexts.values()) context.dispose();
        for (const mapperName of registered) this.mappers.delete(mapperName);
        return { committed: false, error: migrationFailure };
      }
      for (const file of removed) this.kernel.removeFile(file);
      const committed = this.kernel.commit();
      this.applyCommit(batch, removed, newContexts, committed, report);
      for (const { candidate, error } of linked.unlinked) {
        (report.warnings ??= []).push(`${candidate.path} was not re-run: ${error.message}; its previous version keeps running`);
        this.setPending(candidate.path, error, candidate.script.source, candidate.dependencies, false);
      }
      return { committed: true };
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

  /**
   * Before commit, inside the transaction: the live instances of each class whose new version
   * adds instance fields get them (each initialiser run with `this` = the instance), and a new
   * or changed migration hook runs on each. Returns the first failure (the batch then rolls back).
   */
  private migrateInstances(batch: Candidate[]): ReloadError | undefined {
    const classes = this.kernel.pendingMigrations();
    try {
      for (const cls of classes) {
        const info = this.kernel.classInfo(cls)!;
        const candidate = batch.find((entry) => entry.path === info.file)!;
        const { source } = candidate.script;
        let instances: QuickJSHandle | undefined;
        try {
          instances = this.findInstancesOf(cls);
        } catch (error) {
          return this.errorAt(info.file, source, `graft could not find the live instances of ${info.name} to migrate: ${error instanceof Error ? error.message : String(error)}`, undefined, "reload again; if it persists, report it");
        }
        try {
          const failed = this.kernel.migrate(cls, instances);
          if (failed) {
            const message = `the initialiser of the new field ${failed.field} of ${info.name} threw on a live instance: ${failed.thrown}`;
            return this.errorAt(info.file, source, message, candidate.script.strippedPosition(failed.offset), "fix the initialiser (it runs with `this` = each live instance that lacks the field), or give old instances the field in a migration hook");
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
    const prototype = this.kernel.context.getProp(cls, "prototype");
    try {
      return this.instanceFinder(prototype);
    } finally {
      prototype.dispose();
    }
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
  private link(batch: Candidate[]): { error?: ReloadError; batch: Candidate[]; unlinked: { candidate: Candidate; error: ReloadError }[] } {
    const unlinked: { candidate: Candidate; error: ReloadError }[] = [];
    for (;;) {
      const inBatch = new Map(batch.map((candidate) => [candidate.path, candidate]));
      const linker = new ModuleLinker((file) => {
        const entry = inBatch.get(file) ?? this.loaded.get(file);
        return entry && { entries: entry.script.entries, dependencies: entry.dependencies };
      }, HOST_MODULE);
      const failing: Candidate[] = [];
      for (const candidate of batch) {
        const result = linker.link(candidate.path);
        candidate.starExports = result.starExports;
        const found = result.errors[0];
        if (!found) continue;
        const { script } = candidate;
        const hint = "export the name from that file, or import one it exports";
        const error = this.errorAt(candidate.path, script.source, `syntax error: ${found.message}`, script.positionOf(found.offset), hint);
        if (candidate.role !== "rerun") return { error, batch, unlinked };
        unlinked.push({ candidate, error });
        failing.push(candidate);
      }
      // Without them, the others link against their running versions: link again.
      if (failing.length === 0) return { batch, unlinked };
      batch = batch.filter((candidate) => !failing.includes(candidate));
    }
  }

  /** Compiles a file's module function in its context and links it (its exports become readable). */
  private instantiate(context: QuickJSContext, candidate: Candidate, name: string): ReloadError | undefined {
    const { path: file, script } = candidate;
    let moduleFunction: QuickJSHandle | undefined;
    try {
      this.vm.guard(() => {
        const evaluated = context.evalCode(script.code, name, { type: "global", strict: true });
        if (evaluated.error) {
          const dumped = this.vm.describeThrown(context, evaluated.error);
          evaluated.error.dispose();
          throw new VmCallError(dumped);
        }
        moduleFunction = evaluated.value;
        this.kernel.instantiateModule(file, candidate.attempt, moduleFunction, candidate.dependencies, candidate.starExports);
      });
      return undefined;
    } catch (error) {
      if (error instanceof HostStackOverflow) {
        return this.errorAt(file, script.source, error.message, undefined, "look for unbounded recursion, or data nested thousands of levels deep");
      }
      // Compiling it ran out of memory (VmOutOfMemory) or failed: the file's failure.
      if (!(error instanceof VmCallError) && !(error instanceof VmOutOfMemory)) throw error;
      return this.vmFailure(file, script.source, error.vmError);
    } finally {
      moduleFunction?.dispose();
      this.vm.drainJobs();
    }
  }

  /** Evaluates one linked file: its failure, or the promise of its top-level await still running. */
  private evaluate(candidate: Candidate): { failure?: ReloadError; pending?: QuickJSHandle } {
    const { path: file, script } = candidate;
    try {
      const result = this.vm.guard(() => this.kernel.evaluateModule(file));
      if (script.topLevelAwait) return { pending: result };
      result.dispose();
      return {};
    } catch (error) {
      if (error instanceof HostStackOverflow) {
        return { failure: this.errorAt(file, script.source, error.message, undefined, "look for unbounded recursion, or data nested thousands of levels deep") };
      }
      // The module's own code ran out of memory (VmOutOfMemory) or threw: the file's failure.
      if (!(error instanceof VmCallError) && !(error instanceof VmOutOfMemory)) throw error;
      return { failure: this.vmFailure(file, script.source, error.vmError, candidate.cycle) };
    } finally {
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
  vmFailure(file: string, source: string, dumped: unknown, cycle?: string): ReloadError {
    const mapped = this.mapError(this.vm.asInterrupted(dumped));
    let { message, hint } = explainVmError(mapped, this.vm);
    // A binding read before its module ran: on a cycle, that is what the designer must change.
    if (cycle !== undefined && mapped.name === "ReferenceError" && /not initiali[sz]ed/.test(mapped.message)) {
      message += ` (${cycle.split(";")[0]})`;
      hint = cycle.slice(cycle.indexOf(";") + 2);
    }
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
    this.epoch++;
    for (const candidate of batch) {
      const context = this.loaded.get(candidate.path)?.context ?? newContexts.get(candidate.path)!;
      const owner = timerOwner(candidate.path, candidate.attempt);
      this.loaded.set(candidate.path, { path: candidate.path, context, script: candidate.script, dependencies: candidate.dependencies, owner });
      this.importers.set(candidate.path, candidate.dependencies);
      this.pending.delete(candidate.path);
      this.changedAt.set(candidate.path, this.epoch);
      if (candidate.role === "rerun") report.rerun.push(candidate.path);
      this.rememberMapper(candidate.path, evaluatedName(candidate.path, candidate.attempt));
      report.files.push(candidate.path);
    }
    for (const file of removed) {
      const entry = this.loaded.get(file)!;
      this.loaded.delete(file);
      this.importers.delete(file);
      this.pending.delete(file);
      this.changedAt.set(file, this.epoch);
      // Objects of the file keep its realm alive by reference count; this drops graft's own.
      entry.context.dispose();
      report.removed.push(file);
    }
    // A re-run file's classes are patched with themselves: only what changed is news (a static recomputed, a new base).
    const rerun = new Set(batch.filter((candidate) => candidate.role === "rerun").map((candidate) => candidate.path));
    report.patched.push(...committed.patched.filter((patch) => !rerun.has(patch.file) || patchChanges(patch)));
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

  private setPending(file: string, error: ReloadError, source: string | undefined, retryOn: string[], retryAlways: boolean): void {
    // A missing import may appear under any of the names it resolves to: tried at every reload (a resolve costs little).
    const missingImport = error.message.startsWith("cannot find '");
    this.pending.set(file, { error, source, retryOn: retryOn.filter((dependency) => dependency !== HOST_MODULE && dependency !== file), epoch: this.epoch, retryAlways: retryAlways || missingImport });
  }

  /** `file` cannot run until `dependency` does. */
  private waitingError(file: string, dependency: string, why = "failed"): ReloadError {
    const running = this.loaded.has(file);
    const message = `${running ? "not applied" : "not loaded"}: it imports ${dependency}, which ${why === "failed" ? (this.loaded.has(dependency) ? "fails as it is on disk" : "failed to load") : why}`;
    const text = why === "failed"
      ? `${file}: ${message}.\nFix ${dependency} (see its error); ${file} ${running ? "is applied" : "loads"} as soon as it does, and ${running ? "meanwhile its previous version keeps running" : "is not loaded until then"}.`
      : `${file}: ${message}.\nRestore ${dependency} or remove the import; ${this.whileBroken(file)}.`;
    return { file, message, text };
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
  }
}

function normalizePath(file: string): string {
  return file.split("\\").join("/").replace(/^\.\//, "");
}

function emptyReport(): ReloadReport {
  return { ok: true, files: [], rerun: [], removed: [], recovered: [], patched: [], retired: [], errors: [], durationMs: 0 };
}

function patchChanges(patch: ClassPatch): boolean {
  const { prototype, static: statics } = patch;
  return patch.created || patch.newBase !== undefined || [prototype, statics].some((changes) => changes.added.length + changes.changed.length + changes.removed.length > 0);
}
