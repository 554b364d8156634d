/**
 * Which running files import a file: the reverse of each file's dependencies, kept as files
 * are applied and removed, so that finding what a change re-runs costs the files it reaches,
 * not every file loaded.
 */
export class ImporterIndex {
  private readonly importers = new Map<string, Set<string>>();
  private readonly dependencies = new Map<string, readonly string[]>();

  /** `file` now runs with these dependencies (replacing what it had). */
  set(file: string, dependencies: readonly string[]): void {
    this.delete(file);
    this.dependencies.set(file, dependencies);
    for (const dependency of dependencies) {
      let set = this.importers.get(dependency);
      if (set === undefined) this.importers.set(dependency, (set = new Set()));
      set.add(file);
    }
  }

  delete(file: string): void {
    for (const dependency of this.dependencies.get(file) ?? []) {
      const set = this.importers.get(dependency);
      set?.delete(file);
      if (set?.size === 0) this.importers.delete(dependency);
    }
    this.dependencies.delete(file);
  }

  clear(): void {
    this.importers.clear();
    this.dependencies.clear();
  }

  /** The running files that import `file` directly. */
  importersOf(file: string): ReadonlySet<string> {
    return this.importers.get(file) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
