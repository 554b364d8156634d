import { codeFrame } from "./script-errors.js";
import { reaches } from "./dependency-order.js";
import { HOST_MODULE } from "./candidate.js";
import type { ReloadError, ReloadReport, SourcePosition } from "./reload-report.js";

/** A script on disk that does not run as it is there: not at all, or an earlier version of it. */
export interface Pending {
  error: ReloadError;
  /** Its text when it failed; undefined when it could not be read as a script. */
  source: string | undefined;
  /** It is tried again once one of these files changes (applied or deleted after `epoch`)... */
  retryOn: string[];
  epoch: number;
  /** ...or at the next reload whatever changed (its batch rolled back, or an import was missing). */
  retryAlways: boolean;
}

/** What the ledger reads of the running files. */
export interface RunningState {
  isRunning(file: string): boolean;
  /** Commits so far. */
  epoch(): number;
}

/** A file of a batch that failed, as the ledger accounts for it. */
export interface BatchMember {
  path: string;
  dependencies: string[];
  /** Its text on disk (undefined: unreadable). */
  source: string | undefined;
}

/**
 * Every script that does not run as it is on disk, with why (`failures()`), and every text
 * a designer reads about a failure: one function per situation, the same at start-up, at a
 * reload and at a retry.
 */
export class FailureLedger {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly running: RunningState) {}

  get(file: string): Pending | undefined {
    return this.pending.get(file);
  }

  has(file: string): boolean {
    return this.pending.has(file);
  }

  /** The file runs as it is on disk (or is gone from it): nothing pending. */
  clear(file: string): void {
    this.pending.delete(file);
  }

  get size(): number {
    return this.pending.size;
  }

  files(): string[] {
    return [...this.pending.keys()];
  }

  entries(): [string, Pending][] {
    return [...this.pending];
  }

  failures(): ReloadError[] {
    return [...this.pending.keys()].sort().map((file) => ({ ...this.pending.get(file)!.error, running: this.running.isRunning(file) }));
  }

  /** `file` does not run as `source` reads: it waits for `retryOn` to change, or (`retryAlways`) for any reload. */
  hold(file: string, error: ReloadError, source: string | undefined, retryOn: string[], retryAlways: boolean): void {
    // A missing import may appear under any of the names it resolves to: tried at every reload (a resolve costs little).
    const missingImport = error.message.startsWith("cannot find '");
    this.pending.set(file, {
      error,
      source,
      retryOn: retryOn.filter((dependency) => dependency !== HOST_MODULE && dependency !== file),
      epoch: this.running.epoch(),
      retryAlways: retryAlways || missingImport,
    });
  }

  /**
   * Holds a failure and reports it. A retry reports only news: a file that fails as it
   * failed before is not reported again.
   */
  record(report: ReloadReport, error: ReloadError, source: string | undefined, retryOn: string[], retrying: boolean): void {
    const before = this.pending.get(error.file);
    if (!retrying || before === undefined || before.error.message !== error.message) report.errors.push(error);
    this.hold(error.file, error, source, retryOn, false);
  }

  // The texts, one per situation.

  /** A failure at a place in the script: where, the code frame, what to do, and what runs meanwhile. */
  errorAt(file: string, source: string, message: string, position: SourcePosition | undefined, hint: string): ReloadError {
    const where = position ? `${position.file}:${position.line}:${position.column}` : file;
    const frame = position && source ? codeFrame(source, position.line, position.column) : undefined;
    const text = `${where}: ${message}\n${frame ? frame + "\n" : ""}${hint}; ${this.whileBroken(file)}.`;
    return { file, message, position, frame, text };
  }

  /** The file cannot be read as a script (binary, huge, not UTF-8). */
  unreadable(file: string, reason: string, hint: string): ReloadError {
    return { file, message: reason, text: `${file}: ${reason}.\n${hint}; ${this.whileBroken(file)}.` };
  }

  /** `file` cannot run until `dependency`, which fails, does. */
  waitingOn(file: string, dependency: string): ReloadError {
    const running = this.running.isRunning(file);
    const message = `${running ? "not applied" : "not loaded"}: it imports ${dependency}, which ${this.running.isRunning(dependency) ? "fails as it is on disk" : "failed to load"}`;
    const text = `${file}: ${message}.\nFix ${dependency} (see its error); ${file} ${running ? "is applied" : "loads"} as soon as it does, and ${running ? "meanwhile its previous version keeps running" : "is not loaded until then"}.`;
    return { file, message, text };
  }

  /** `file` imports `dependency`, which was deleted. */
  importDeleted(file: string, dependency: string): ReloadError {
    const message = `${this.running.isRunning(file) ? "not applied" : "not loaded"}: it imports ${dependency}, which was deleted`;
    return { file, message, text: `${file}: ${message}.\nRestore ${dependency} or remove the import; ${this.whileBroken(file)}.` };
  }

  /** A running file re-run because an import changed failed: its own error, and why it ran. */
  rerunFailed(error: ReloadError, changed: string): ReloadError {
    return { ...error, text: `${error.text}\n${error.file} was re-run because it imports ${changed}, which changed: a fresh load would run it with the new version.` };
  }

  /** `file` changed, and `importer`, re-run with its new version, failed. */
  importerFailed(file: string, importer: string): ReloadError {
    const message = `not applied: ${importer} imports it and failed with its new version`;
    return { file, message, text: `${file}: ${message}.\nFix ${importer} (see its error); ${this.whileBroken(file)}.` };
  }

  /** `file` was in a batch that rolled back because of files it does not import. */
  rolledBack(file: string, culprits: string[]): ReloadError {
    const message = `not applied: its batch rolled back because ${culprits.join(", ")} failed`;
    const text = `${file}: ${message}; it does not import ${culprits.length === 1 ? "it" : "them"}, and is tried again at the next reload; ${this.whileBroken(file)}.`;
    return { file, message, text };
  }

  /** A deletion rolled back with its batch. */
  deletionRolledBack(file: string, culprits: string[]): ReloadError {
    const message = `deleted, but not removed yet: its batch rolled back because ${culprits.join(", ")} failed`;
    return { file, message, text: `${file}: ${message}; it is removed at the next reload, and meanwhile its last version keeps running.` };
  }

  /** What runs meanwhile: the previous version, or (at start-up, or for a new file) nothing of it. */
  private whileBroken(file: string): string {
    return this.running.isRunning(file) ? "the previous version keeps running" : `${file} is not loaded until then`;
  }

  /**
   * A batch that failed changes nothing that runs; every file of it is accounted for: the
   * culprits with their errors (reported), files importing a culprit as waiting on it, the
   * files a failed re-run needed as not applied because of it, the others as rolled back
   * with the batch (tried again at the next reload), deletions as not done yet.
   */
  batchFailed(
    errors: ReloadError[],
    edits: BatchMember[],
    reruns: ReadonlySet<string>,
    removed: string[],
    importsOf: (file: string) => string[],
    /** A culprit's text as it failed (on disk, or its running version for a re-run). */
    culpritSource: (file: string) => string | undefined,
    report: ReloadReport,
  ): void {
    const culprits = new Map<string, ReloadError>();
    for (const error of errors) if (!culprits.has(error.file)) culprits.set(error.file, error);
    const edited = new Set(edits.map((member) => member.path));
    for (const [file, error] of culprits) {
      const changed = importsOf(file).find((dependency) => edited.has(dependency)) ?? importsOf(file).find((dependency) => dependency !== HOST_MODULE) ?? "a file";
      const reported = reruns.has(file) ? this.rerunFailed(error, changed) : error;
      report.errors.push(reported);
      this.hold(file, reported, culpritSource(file), importsOf(file), false);
    }
    const names = [...culprits.keys()];
    for (const member of edits) {
      const file = member.path;
      if (culprits.has(file)) continue;
      const culprit = names.find((other) => reaches(file, other, importsOf));
      if (culprit !== undefined) {
        this.hold(file, this.waitingOn(file, culprit), member.source, [culprit, ...member.dependencies], false);
        continue;
      }
      // A re-run file failing with the new versions it imports: they wait for it. (A file failing in its own new text is its own problem.)
      const needs = names.find((other) => reruns.has(other) && reaches(other, file, importsOf));
      if (needs !== undefined) {
        this.hold(file, this.importerFailed(file, needs), member.source, [needs, ...member.dependencies], false);
        continue;
      }
      this.hold(file, this.rolledBack(file, names), member.source, member.dependencies, true);
    }
    // A deletion rolled back with the batch: the file runs on (listed) until the next reload removes it.
    for (const file of removed) this.hold(file, this.deletionRolledBack(file, names), undefined, [], true);
  }

  /**
   * A file (or import cycle) loaded as its own transaction failed, at start-up or at a retry:
   * the culprit with its error; if the culprit was a running importer re-run with the group's
   * new versions, the group's files as not applied because of it; else as waiting on it.
   */
  groupFailed(report: ReloadReport, error: ReloadError, group: BatchMember[], rerunCulpritSource: string | undefined, retrying: boolean): void {
    const culprit = error.file;
    const names = group.map((member) => member.path);
    const rerunCulprit = rerunCulpritSource !== undefined;
    if (rerunCulprit) this.record(report, this.rerunFailed(error, names.join(", ")), rerunCulpritSource, names, retrying);
    for (const member of group) {
      if (member.path === culprit) this.record(report, error, member.source, member.dependencies, retrying);
      else if (rerunCulprit) this.record(report, this.importerFailed(member.path, culprit), member.source, [culprit, ...member.dependencies], retrying);
      else this.record(report, this.waitingOn(member.path, culprit), member.source, [culprit, ...member.dependencies], retrying);
    }
  }

  /** After a commit that deleted files: the files that import them keep running, waiting for them. */
  orphaned(orphans: [string, string][], runningSource: (file: string) => string | undefined, report: ReloadReport): void {
    for (const [file, lost] of orphans) {
      (report.warnings ??= []).push(`${file} imports ${lost}, which was deleted: its imports of it now read undefined`);
      this.hold(file, this.importDeleted(file, lost), runningSource(file), [lost], false);
    }
  }
}
