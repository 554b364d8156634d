import { HOST_MODULE } from "./candidate.js";
import type { Pending } from "./failure-ledger.js";
import type { ReadOutcome } from "../files/script-files.js";
import { dependencyOrder } from "./dependency-order.js";

/** What the planner needs of a running version: plain data, no VM. */
export interface RunningModule {
  /** Resolved imports (HOST_MODULE for the host's). */
  dependencies: readonly string[];
  /** Files it imported with `import()` so far: what it holds of them may come from any time, so it re-runs when they change. */
  dynamicImports?: readonly string[];
  source: string;
  exportNames: readonly string[];
  /** Its top level may read an import while it evaluates (compile/top-level-reads.ts). */
  mayReadImportsAtTopLevel: boolean;
  /** It re-exports whole namespaces (`export *`, `export * as ns`): what it exports follows its imports. */
  reexportsNamespaces: boolean;
}

/** A file of the batch: its new text's exports. */
export interface ChangedModule {
  path: string;
  exportNames: readonly string[];
  reexportsNamespaces: boolean;
}

/** The planner's view of the runtime: the running graph and the failure ledger. */
export interface PlanView {
  running(file: string): RunningModule | undefined;
  importersOf(file: string): Iterable<string>;
  /** Undefined when the file runs as it is on disk; else the text of its newest failure (undefined: unreadable). */
  failing(file: string): { source: string | undefined } | undefined;
}

export interface RerunPlan {
  /** Running files re-run in the batch's transaction (R13), in the order they were found. */
  reruns: string[];
  /** Running files that import a file being deleted, with it: they keep running, waiting for it. */
  orphans: [string, string][];
}

/**
 * Which running files re-run with a batch (R13): a file that imports a changed one re-runs
 * when a fresh load could compute something different at its top level, that is when its
 * top level may read an import while it evaluates, or when what the changed file exports
 * (its names) changed. A file that only declares functions and methods reading the import
 * later is left running: its live bindings read the new values. A re-run file is changed
 * in turn for the files that import it. Files whose newest text failed, or that import a
 * file that does not run, stay as they are; files importing a deleted one are orphans.
 */
export function planReruns(view: PlanView, changed: readonly ChangedModule[], removed: readonly string[]): RerunPlan {
  const reruns: string[] = [];
  const orphans: [string, string][] = [];
  const inBatch = new Map<string, boolean>(changed.map((module) => [module.path, namesChange(view, module)]));
  const gone = new Set(removed);
  // A decision that cannot change as the batch grows is final: such a file is looked at once.
  const decided = new Set<string>();
  const reached = [...inBatch.keys(), ...gone];
  while (reached.length > 0) {
    for (const file of view.importersOf(reached.pop()!)) {
      if (decided.has(file) || inBatch.has(file) || gone.has(file)) continue;
      const entry = view.running(file);
      if (entry === undefined) continue;
      const dynamic = entry.dynamicImports ?? [];
      // Its running version (what files importing it see) stays; they are not re-run for it.
      const lost = [...entry.dependencies, ...dynamic].find((dependency) => gone.has(dependency));
      if (lost !== undefined) {
        decided.add(file);
        orphans.push([file, lost]);
        continue;
      }
      // Its newest text failed: re-running the old text would hide that; the retry after the batch tries the new one.
      const failing = view.failing(file);
      if (failing && failing.source !== entry.source) {
        decided.add(file);
        continue;
      }
      // A file importing one that is not running (it failed) stays as it is until that one runs.
      if (entry.dependencies.some((dependency) => dependency !== HOST_MODULE && !view.running(dependency) && !inBatch.has(dependency))) {
        decided.add(file);
        continue;
      }
      const affected =
        dynamic.some((dependency) => inBatch.has(dependency)) ||
        entry.dependencies.some((dependency) => inBatch.has(dependency) && (entry.mayReadImportsAtTopLevel || inBatch.get(dependency)));
      // Not affected by what changed so far: looked at again if another of its imports joins the batch.
      if (!affected) continue;
      decided.add(file);
      reruns.push(file);
      inBatch.set(file, entry.reexportsNamespaces);
      reached.push(file);
    }
  }
  return { reruns, orphans };
}

/** Whether importers of a changed file may see other names than before (a new file, other exports, re-exported namespaces). */
function namesChange(view: PlanView, module: ChangedModule): boolean {
  const running = view.running(module.path);
  if (!running || module.reexportsNamespaces || running.reexportsNamespaces) return true;
  if (running.exportNames.length !== module.exportNames.length) return true;
  const before = new Set(running.exportNames);
  return module.exportNames.some((name) => !before.has(name));
}

export interface RetryPlan {
  /** Files that do not run as on disk and get another try now, sorted (the loader orders them by imports). */
  retries: string[];
  /** Files deleted on disk that still run (their deletion rolled back with a batch): removed now. */
  removals: string[];
  /** Failing files gone from disk that never ran: nothing is pending for them any more. */
  forgotten: string[];
}

/**
 * Which failing files get another try after a batch (R3, R13): those whose text changed on
 * disk, whose batch rolled back or whose import was missing (`retryAlways`), or one of whose
 * imports changed since they failed (applied, deleted, or its broken edit undone); then what
 * waits on a retried file, in the same round. The files of a batch that just failed wait for
 * a later reload (R12: none of it applies).
 */
export function planRetries(
  failing: readonly [string, Pending][],
  onDisk: ReadonlyMap<string, ReadOutcome>,
  view: { justFailed: ReadonlySet<string>; isRunning(file: string): boolean; changedSince(file: string, epoch: number): boolean },
): RetryPlan {
  const retries = new Set<string>();
  const removals: string[] = [];
  const forgotten: string[] = [];
  const readable = new Set<string>();
  for (const [file, pending] of failing) {
    const outcome = onDisk.get(file);
    if (view.justFailed.has(file) || !outcome) continue;
    if (outcome.kind === "missing") {
      if (view.isRunning(file)) removals.push(file);
      else forgotten.push(file);
      continue;
    }
    if (outcome.kind === "source") readable.add(file);
    const textChanged = outcome.kind === "source" ? outcome.source !== pending.source : pending.source !== undefined;
    const importBack = pending.retryOn.some((dependency) => view.changedSince(dependency, pending.epoch));
    if (pending.retryAlways || textChanged || importBack) retries.add(file);
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const [file, pending] of failing) {
      if (!retries.has(file) && readable.has(file) && pending.retryOn.some((dependency) => retries.has(dependency))) {
        retries.add(file);
        grew = true;
      }
    }
  }
  return { retries: [...retries].sort(), removals: removals.sort(), forgotten };
}

/**
 * One transaction of a plan. A start-up or retry step is one file, or the files of one
 * import cycle (R1); a reload's batch is one step with the files that re-run with it (R12,
 * R13); a removal step deletes files whose deletion rolled back with an earlier batch.
 */
export interface PlanStep {
  kind: "group" | "batch" | "removal";
  /** The step's own files: a group's in the order they evaluate (a cycle's as ES evaluates it). */
  files: string[];
  /** Files the step deletes. */
  removed: string[];
  /** Imports from outside the step that must run as they are on disk before it can run, in the order its files import them. */
  needs: string[];
}

/** What a start-up or a retry loads, in import order: a step per file or import cycle. */
export interface LoadPlan {
  steps: PlanStep[];
  /** Each import cycle found, as a path of files with its first file repeated at the end. */
  cycles: string[][];
}

/**
 * Plans a start-up, or the retries of a reload (R1, R3): every file (or import cycle, which
 * loads as one transaction: the strongly connected files of the import graph) after the
 * files it imports, in the order ES evaluates modules. `importsOf` gives a file's resolved
 * imports (HOST_MODULE and files not in `files` included: those are its needs).
 */
export function planLoad(files: readonly string[], importsOf: (file: string) => readonly string[]): LoadPlan {
  const { order, cycles } = dependencyOrder([...files], (file) => [...importsOf(file)]);
  const component = stronglyConnected(order, importsOf);
  const members = new Map<number, string[]>();
  for (const file of order) {
    const id = component.get(file)!;
    const list = members.get(id);
    if (list) list.push(file);
    else members.set(id, [file]);
  }
  const steps: PlanStep[] = [];
  for (const file of order) {
    const group = members.get(component.get(file)!)!;
    // A cycle loads where its last file comes in import order: by then, every file its
    // files import from outside it has loaded (its import order puts some before its first file).
    if (group[group.length - 1] !== file) continue;
    const inGroup = new Set(group);
    const needs = [...new Set(group.flatMap((member) => importsOf(member).filter((dependency) => dependency !== HOST_MODULE && !inGroup.has(dependency))))];
    steps.push({ kind: "group", files: group, removed: [], needs });
  }
  return { steps, cycles };
}

/** What the loop does with a step now, given what runs (the running graph and the failure ledger, as they are after the steps before). */
export type StepAction = { kind: "run" } | { kind: "skip" } | { kind: "wait"; on: string };

/**
 * A step runs when everything it needs runs as it is on disk; else its files wait on the
 * first need that does not (they are tried again when it changes). A start-up or retry
 * step whose files all run their text on disk already, re-run or loaded by import() during
 * this plan, is skipped: nothing new would be tried.
 */
export function stepAction(step: PlanStep, view: { runsAsOnDisk(file: string): boolean; ranInThisPlan(file: string): boolean }): StepAction {
  if (step.kind === "group" && step.files.length > 0 && step.files.every((file) => view.ranInThisPlan(file))) return { kind: "skip" };
  const blocked = step.needs.find((file) => !view.runsAsOnDisk(file));
  return blocked === undefined ? { kind: "run" } : { kind: "wait", on: blocked };
}

/**
 * The order of a step's transaction with the running files that re-run with it: a group's
 * files as planned, then what imports them; a batch's files and re-runs together, each
 * after what it imports.
 */
export function transactionOrder(step: PlanStep, reruns: readonly string[], importsOf: (file: string) => readonly string[]): { order: string[]; cycles: string[][] } {
  if (step.kind === "group") {
    const after = dependencyOrder([...reruns].sort(), (file) => [...importsOf(file)]);
    return { order: [...step.files, ...after.order], cycles: after.cycles };
  }
  return dependencyOrder([...step.files, ...reruns].sort(), (file) => [...importsOf(file)]);
}

/** Each file's strongly connected component of the import graph among `files` (Tarjan's algorithm, iterative), as a number. */
function stronglyConnected(files: readonly string[], importsOf: (file: string) => readonly string[]): Map<string, number> {
  const inSet = new Set(files);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const component = new Map<string, number>();
  const stack: string[] = [];
  let counter = 0;
  let components = 0;
  for (const root of files) {
    if (index.has(root)) continue;
    const frames: { file: string; next: number; imports: string[] }[] = [];
    const enter = (file: string): void => {
      index.set(file, counter);
      low.set(file, counter++);
      stack.push(file);
      frames.push({ file, next: 0, imports: importsOf(file).filter((dependency) => inSet.has(dependency)) });
    };
    enter(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      if (frame.next < frame.imports.length) {
        const dependency = frame.imports[frame.next++]!;
        if (!index.has(dependency)) enter(dependency);
        else if (!component.has(dependency)) low.set(frame.file, Math.min(low.get(frame.file)!, index.get(dependency)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.file, Math.min(low.get(parent.file)!, low.get(frame.file)!));
      if (low.get(frame.file) === index.get(frame.file)) {
        for (;;) {
          const member = stack.pop()!;
          component.set(member, components);
          if (member === frame.file) break;
        }
        components++;
      }
    }
  }
  return component;
}
