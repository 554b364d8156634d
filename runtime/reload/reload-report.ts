/**
 * What a load or reload reports: the reload engine builds these, the host API hands them to
 * the host as they are (host-api/types.ts re-exports them).
 */

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
  /** True when this reload created the class (first definition). */
  created: boolean;
  prototype: MemberChanges;
  static: MemberChanges;
  /** Set when `extends` changed: the new base's name. */
  newBase?: string;
  /**
   * Instance fields the new version added, and how many live instances were given them
   * (each field's initialiser run with `this` = the instance).
   */
  fields?: { added: string[]; instances: number };
}

export interface RetiredClass {
  file: string;
  name: string;
  version: number;
}

export interface ReloadError {
  file: string;
  message: string;
  /** Position in the script as written, when known. */
  position?: SourcePosition;
  /** A few lines of source around the position, with a caret. */
  frame?: string;
  /** The full error text: what, where, what to do. */
  text: string;
  /**
   * Set when the error did not come from loading a script: code the event loop ran (a timer
   * callback, a microtask, or a promise job: async function, then-callback), the file
   * watcher failing ("watcher"; `file` is the path it names, or ""), or a reload the watcher
   * started that failed as a whole ("reload"; `file` is the first file of the batch), or the
   * VM crashing ("vm": a WebAssembly trap; every later call throws a GraftError, and the
   * runtime must be disposed and created again).
   */
  origin?: "setTimeout" | "setInterval" | "queueMicrotask" | "promise job" | "watcher" | "reload" | "vm";
  /** In `failures()`: true when an earlier version of the file keeps running (its newest text failed). */
  running?: boolean;
}

export interface ReloadReport {
  ok: boolean;
  /** Files re-evaluated, in the order they ran. */
  files: string[];
  /**
   * Of those, the files that did not change but import one that did (directly or through
   * others): re-run so that their top-level values are computed from the new exports, as a
   * fresh load would (R13). Their classes are patched in place; instances are kept.
   */
  rerun: string[];
  /** Files that were deleted (their classes retired). */
  removed: string[];
  /**
   * Files whose last edit had failed and that now read as their running version again (the
   * broken edit was undone): nothing re-ran, and they are fine again.
   */
  recovered: string[];
  patched: ClassPatch[];
  retired: RetiredClass[];
  errors: ReloadError[];
  /** Things that did not stop the reload but deserve a look. */
  warnings?: string[];
  durationMs: number;
}

/** What a kernel commit changed, as a report says it. */
export interface CommitNews {
  patched: ClassPatch[];
  retired: RetiredClass[];
  disposeErrors: { file: string; message: string }[];
}

/**
 * Adds a commit's news to a report. A re-run file's classes (`rerun`) are patched with
 * themselves: only what changed is news (a static recomputed, a new base).
 */
export function reportCommit(report: ReloadReport, committed: CommitNews, rerun: ReadonlySet<string>): void {
  report.patched.push(...committed.patched.filter((patch) => !rerun.has(patch.file) || patchChanges(patch)));
  report.retired.push(...committed.retired);
  for (const disposeError of committed.disposeErrors) {
    (report.warnings ??= []).push(`import.meta.hot.dispose callback of ${disposeError.file} threw: ${disposeError.message}`);
  }
}

function patchChanges(patch: ClassPatch): boolean {
  const { prototype, static: statics } = patch;
  return patch.created || patch.newBase !== undefined || [prototype, statics].some((changes) => changes.added.length + changes.changed.length + changes.removed.length > 0);
}
