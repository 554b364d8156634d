/**
 * Orders files so that each comes after the files it imports (R1, R2), in the order ES
 * evaluates modules: a file's imports in the order it imports them. Input order breaks
 * ties, so the result is stable. Files on an import cycle are ordered as ES modules
 * would evaluate them (depth-first, post-order), and each cycle is reported.
 */
export interface DependencyOrder {
  order: string[];
  /** Each cycle as the path of files, first file repeated at the end. */
  cycles: string[][];
}

export function dependencyOrder(files: string[], dependenciesOf: (file: string) => string[]): DependencyOrder {
  const inSet = new Set(files);
  const state = new Map<string, "visiting" | "done">();
  const order: string[] = [];
  const cycles: string[][] = [];
  const stack: string[] = [];

  const visit = (file: string): void => {
    const seen = state.get(file);
    if (seen === "done") return;
    if (seen === "visiting") {
      cycles.push([...stack.slice(stack.indexOf(file)), file]);
      return;
    }
    state.set(file, "visiting");
    stack.push(file);
    for (const dependency of dependenciesOf(file)) if (inSet.has(dependency)) visit(dependency);
    stack.pop();
    state.set(file, "done");
    order.push(file);
  };
  // As if one entry module imported, in path order, every file no other file imports: each
  // is visited first, so what it imports evaluates in the order it imports it (ES's
  // depth-first order), not in path order. Files only on cycles nobody imports come after.
  const imported = new Set<string>();
  for (const file of files) for (const dependency of dependenciesOf(file)) if (dependency !== file) imported.add(dependency);
  for (const file of files) if (!imported.has(file)) visit(file);
  for (const file of files) visit(file);
  return { order, cycles };
}

export function describeCycle(cycle: string[]): string {
  return `import cycle ${cycle.join(" -> ")}`;
}

/** Whether `from` imports `to`, directly or through other files. */
export function reaches(from: string, to: string, importsOf: (file: string) => string[]): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const file = stack.pop()!;
    for (const dependency of importsOf(file)) {
      if (dependency === to) return true;
      if (!seen.has(dependency)) {
        seen.add(dependency);
        stack.push(dependency);
      }
    }
  }
  return false;
}
