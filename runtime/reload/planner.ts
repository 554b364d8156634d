import { HOST_MODULE } from "./candidate.js";

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
