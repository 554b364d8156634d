import { CompileError, type CompileOptions } from "../compile/index.js";
import { compileInParallel, compileRemembered, PARALLEL_COMPILE_MIN_SCRIPTS, scriptOf, type CompileOutcome } from "../compile/parallel-compile.js";
import { cachedCompile } from "../compile/compile-cache.js";
import { describeCycle } from "./dependency-order.js";
import { readScript, resolveSpecifier, scriptExists, type ReadOutcome } from "../files/script-files.js";
import { importTypeProblem } from "./import-types.js";
import type { PreparedContexts } from "./prepared-contexts.js";
import type { FailureLedger } from "./failure-ledger.js";
import type { ReloadError } from "./reload-report.js";
import { HOST_MODULE, type Candidate } from "./candidate.js";
import { isJsonModule } from "../compile/json-module.js";

/** An emptied script is re-read this many times, this far apart, before it is applied. */
const EMPTY_FILE_RETRIES = 10;
const EMPTY_FILE_RETRY_MS = 3;

/**
 * From the scripts on disk to candidates a transaction can run: reads (re-reading a file
 * caught half-written), compiles (on worker threads for a big load), numbers each attempt,
 * resolves imports against what a fresh load would see. Failures are collected as the
 * ledger words them.
 */
export class CandidateReader {
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly root: string,
    private readonly compileOptions: CompileOptions,
    private readonly ledger: FailureLedger,
    /** Contexts made while compile workers compile a big load. */
    private readonly prepared: PreparedContexts,
    /** The running text of a file, if it runs. */
    private readonly runningSource: (file: string) => string | undefined,
  ) {}

  /**
   * Reads a file; if it reads as empty (and is not an empty script already running), it is
   * most likely being written (created or truncated, then written; a new file reads as empty
   * between its creation and its first write: an empty script is rarely meant), so it is
   * read again shortly before being believed. `midWrite`: the watcher saw the file only
   * through the OS's first event of a save, and the write's own event follows: read as
   * empty, it is left to that event (undefined) instead of read again after a pause.
   */
  async readSettled(file: string, midWrite = false): Promise<ReadOutcome | undefined> {
    let outcome = await readScript(this.root, file);
    const empty = (): boolean => outcome.kind === "source" && outcome.source.trim() === "" && this.runningSource(file)?.trim() !== "";
    if (midWrite && empty()) return undefined;
    for (let attempt = 0; attempt < EMPTY_FILE_RETRIES && empty(); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, EMPTY_FILE_RETRY_MS));
      outcome = await readScript(this.root, file);
    }
    return outcome;
  }

  /**
   * A failing file read for a retry, which no event of its own asked for: read as empty while
   * its failing or running text is not, it is most likely mid-write (truncated, then written)
   * and is left to its write's own event (undefined) instead of run empty.
   */
  async readForRetry(file: string, failingText: string | undefined): Promise<ReadOutcome | undefined> {
    const outcome = await readScript(this.root, file);
    const known = failingText ?? this.runningSource(file) ?? "";
    return outcome.kind === "source" && outcome.source.trim() === "" && known.trim() !== "" ? undefined : outcome;
  }

  /**
   * Many scripts at once (start-up) compile on worker threads, each file's context made here
   * meanwhile; texts this process compiled before are taken from its compile cache. The
   * outcomes by file; the files left out compile here, one by one (few scripts, one core,
   * graft running from its sources, or a worker that failed).
   */
  async compileOnWorkers(read: Map<string, ReadOutcome>): Promise<Map<string, CompileOutcome>> {
    const known = new Map<string, CompileOutcome>();
    const jobs: { file: string; source: string }[] = [];
    for (const [file, outcome] of read) {
      if (outcome.kind !== "source") continue;
      const cached = cachedCompile(file, outcome.source, this.compileOptions);
      if (cached) known.set(file, cached);
      else jobs.push({ file, source: outcome.source });
    }
    const compiling = compileInParallel(jobs, this.compileOptions);
    // Contexts made in one go, QuickJS's collector held off meanwhile (see PreparedContexts),
    // whether the workers compile or the compile cache answered.
    if (compiling || known.size >= PARALLEL_COMPILE_MIN_SCRIPTS) this.prepared.prepare([...known.keys(), ...jobs.map((job) => job.file)]);
    if (!compiling) return known;
    // Then this thread compiles too; a worker that could not start or died: the scripts compile here instead.
    const outcomes = await compiling.finish().catch(() => undefined);
    if (outcomes) jobs.forEach((job, index) => known.set(job.file, outcomes[index]!));
    return known;
  }

  /**
   * The candidates of a start-up or retry: each file read (unless its text is in `sources`),
   * compiled (compileOnWorkers) and resolved against the scripts on disk; a JSON file one of
   * them imports joins them (it loads when imported). Failures are collected; `sources`
   * gains the texts read.
   */
  async loadCandidates(paths: string[], sources: Map<string, string>, isLoaded: (file: string) => boolean): Promise<{ candidates: Map<string, Candidate>; errors: ReloadError[] }> {
    const candidates = new Map<string, Candidate>();
    const errors: ReloadError[] = [];
    const read = new Map<string, ReadOutcome>();
    for (const file of paths) {
      const source = sources.get(file);
      read.set(file, source !== undefined ? { kind: "source", source } : await readScript(this.root, file));
    }
    const compiled = await this.compileOnWorkers(read);
    for (const [file, outcome] of read) {
      const candidate = this.candidateFrom(file, outcome, errors, "edit", compiled.get(file));
      if (candidate) candidates.set(file, candidate);
    }
    for (const candidate of candidates.values()) {
      const error = this.resolveImports(candidate, candidates, []);
      if (error) {
        errors.push(error);
        candidates.delete(candidate.path);
        continue;
      }
      for (const dependency of candidate.dependencies) {
        if (!isJsonModule(dependency) || candidates.has(dependency) || isLoaded(dependency) || read.has(dependency)) continue;
        const outcome = await readScript(this.root, dependency);
        read.set(dependency, outcome);
        if (outcome.kind === "source") sources.set(dependency, outcome.source);
        const pulled = this.candidateFrom(dependency, outcome, errors, "edit");
        if (pulled) candidates.set(dependency, pulled);
      }
    }
    return { candidates, errors };
  }

  /** A read script as a compiled candidate; undefined if it is missing or failed (the error is collected). */
  candidateFrom(file: string, outcome: ReadOutcome, errors: ReloadError[], role: Candidate["role"], compiled?: CompileOutcome): Candidate | undefined {
    if (outcome.kind === "missing") return undefined;
    if (outcome.kind === "invalid") {
      errors.push(this.ledger.unreadable(file, outcome.reason, outcome.hint));
      return undefined;
    }
    const attempt = this.nextAttempt(file);
    try {
      const script = scriptOf(compiled ?? compileRemembered({ file, source: outcome.source }, this.compileOptions));
      return { path: file, script, dependencies: [], attempt, role, starExports: [] };
    } catch (error) {
      if (!(error instanceof CompileError)) throw error;
      errors.push(this.ledger.errorAt(file, outcome.source, error.message, error.position, error.hint));
      return undefined;
    }
  }

  nextAttempt(file: string): number {
    const attempt = (this.attempts.get(file) ?? 0) + 1;
    this.attempts.set(file, attempt);
    return attempt;
  }

  /** Resolves a candidate's imports against the scripts on disk (minus those being deleted); the error if one is missing. */
  resolveImports(candidate: Candidate, batch: ReadonlyMap<string, unknown>, removed: string[]): ReloadError | undefined {
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
        return this.ledger.errorAt(candidate.path, candidate.script.source, message, candidate.script.positionOf(site.offset), hint);
      }
      const typeProblem = importTypeProblem(site.specifier, site.type, resolved);
      if (typeProblem) return this.ledger.errorAt(candidate.path, candidate.script.source, typeProblem.message, candidate.script.positionOf(site.offset), typeProblem.hint);
      candidate.dependencies.push(resolved);
    }
    return undefined;
  }

  declareCycleExports(candidates: Map<string, Candidate>, cycles: string[][]): void {
    for (const cycle of cycles) {
      for (const file of new Set(cycle)) {
        const candidate = candidates.get(file);
        if (candidate) candidate.cycle = `${describeCycle(cycle)}; move the use out of top-level code or break the cycle`;
      }
    }
  }
}
