import { SCOPE_EVALUATOR } from "../compile/module-transform.js";
import type { HeapGraph, PathStep } from "./graph.js";
import type { HeapEdge, HeapNode } from "./graph.js";

/** What the printer knows beyond the heap: graft's classes and the scripts' contexts. */
export interface HeapLabels {
  /** node index -> description, e.g. "Rehash  class, retired (commands/rehash.ts v1)". */
  describe: Map<number, string>;
  /** node index of a context's global object (or global lexical scope) -> script file. */
  globals: Map<number, string>;
}

/**
 * A class object the embedder knows (graft's kernel): which class, which version, in what
 * state; or a top-level function of a version a later one replaced, or of a deleted file.
 */
export interface ClassLabel {
  /** canonical class | its current version | a retired class | an earlier version still alive | old top-level functions. */
  kind: "class" | "version" | "retired" | "retired version" | "superseded" | "superseded function" | "function of a deleted file";
  file: string;
  name: string;
  version: number;
  /** The label is for the class's prototype object, not the class. */
  prototype: boolean;
}

/** How a path or report names a class object: "Rehash  class, retired (commands/rehash.ts v1)". */
export function describeClass(label: ClassLabel): string {
  const where = `(${label.file} v${label.version})`;
  if (label.prototype) return `${label.name}.prototype ${where}`;
  switch (label.kind) {
    case "class":
      return `${label.name}  class ${where}`;
    case "version":
      return `${label.name}  class version ${label.version}, current ${where}`;
    case "retired":
      return `${label.name}  class, retired ${where}`;
    case "retired version":
      return `${label.name}  class version ${label.version} of a retired class ${where}`;
    case "superseded":
      return `${label.name}  class version ${label.version}, superseded ${where}`;
    case "superseded function":
      return `${label.name}  top-level function, superseded ${where}`;
    case "function of a deleted file":
      return `${label.name}  top-level function of a deleted file ${where}`;
  }
}

export interface PrintedStep {
  edge: string;
  holder: string;
  root: boolean;
}

/**
 * Labels for printing from what the reader found (contexts named by ReadOptions.contexts)
 * plus caller descriptions keyed by object address (graft's classes).
 */
export function labelsFor(graph: HeapGraph, descriptions: ReadonlyMap<number, string> = new Map()): HeapLabels {
  const labels: HeapLabels = { describe: new Map(), globals: new Map() };
  for (const [address, text] of descriptions) {
    const index = graph.indexOf(address);
    if (index !== undefined) labels.describe.set(index, text);
  }
  for (const [global, context] of graph.globals) labels.globals.set(global, graph.contextFiles.get(context) ?? "(unnamed)");
  return labels;
}

/** What describing a node needs of it. */
type Describable = Pick<HeapNode, "index" | "kind" | "name" | "location" | "file">;

/** Describes a node the way a path line names it. */
export function describeNode(node: Describable, labels: HeapLabels): string {
  const known = labels.describe.get(node.index);
  if (known) return known;
  switch (node.kind) {
    case "function":
      // The function graft keeps for evaluate() closes over the whole module scope: name it so.
      if (node.name === SCOPE_EVALUATOR && node.location) return `the top level of ${node.location.replace(/:\d+$/, "")}`;
      return `function ${node.name || "(anonymous)"}${node.location ? ` (${node.location})` : ""}`;
    case "code":
      return `code of ${node.name || "(anonymous)"}${node.location ? ` (${node.location})` : ""}`;
    case "context":
      return node.name.startsWith("context ") ? node.name : "a script context";
    case "module":
      return `module ${node.name}`;
    default: {
      const file = labels.globals.get(node.index) ?? node.file;
      const name = node.name || node.kind;
      return file && (name.endsWith(".prototype") || labels.globals.has(node.index)) ? `${name} (${file})` : name;
    }
  }
}

/** describeNode for node `index` of `graph`, without making the whole node object (for writing millions). */
export function describeAt(graph: HeapGraph, index: number, labels: HeapLabels): string {
  const known = labels.describe.get(index);
  if (known) return known;
  return describeNode({ index, kind: graph.kindOf(index), name: graph.nameOf(index), location: graph.locationOf(index), file: graph.fileOf(index) }, labels);
}

/**
 * Folds the heap's plumbing into the lines a person reads: a closure variable is named
 * with its function, a shape with the object using it, a global with its script.
 */
export function printableSteps(graph: HeapGraph, steps: PathStep[], labels: HeapLabels): PrintedStep[] {
  const printed: PrintedStep[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const holder = step.holder;
    const next = steps[i + 1];
    if (holder.kind === "closure variable" && next) {
      // Global let/const/class bindings are variables held by the context's global objects.
      const globalOf = labels.globals.get(next.holder.index);
      if (globalOf !== undefined) {
        printed.push({ edge: `global '${next.edge.name}'`, holder: `context ${globalOf}`, root: true });
        break;
      }
      const edge = next.holder.kind === "module" ? `export '${next.edge.name}'` : `closure variable '${next.edge.name}'`;
      printed.push({ edge, holder: describeNode(next.holder, labels), root: graph.isRoot(next.holder.index) });
      i++;
      continue;
    }
    if (holder.kind === "shape" && next && next.edge.name === "shape") {
      printed.push({ edge: "prototype", holder: describeNode(next.holder, labels), root: graph.isRoot(next.holder.index) });
      i++;
      continue;
    }
    // "X.prototype" already names its class: the class's own 'prototype' property adds nothing.
    if (next && step.edge.type === "property" && step.edge.name === "prototype" && holder.kind === "function" && graph.nameOf(step.edge.to) === `${holder.name}.prototype`) {
      continue;
    }
    const file = labels.globals.get(holder.index);
    if (file !== undefined) {
      printed.push({ edge: `global '${step.edge.name}'`, holder: `context ${file}`, root: true });
      break;
    }
    printed.push({ edge: edgeText(step), holder: describeNode(holder, labels), root: graph.isRoot(holder.index) });
  }
  return printed;
}

function edgeText(step: PathStep): string {
  switch (step.edge.type) {
    case "property":
      return `property '${step.edge.name}'`;
    case "element":
      return `element [${step.edge.name}]`;
    case "context":
      return `closure variable '${step.edge.name}'`;
    default:
      return step.edge.name;
  }
}

/** rule H3 (docs/rules.md) format: the target, then one edge a line, root last. */
export function printPath(target: string, steps: PrintedStep[], rootLabel?: string): string {
  const lines = [target];
  const last = steps[steps.length - 1];
  // A global names its context already; other roots say what holds them, when known.
  const label = rootLabel && last && !last.edge.startsWith("global ") && last.holder !== rootLabel ? `: ${rootLabel}` : "";
  for (const step of steps) lines.push(`  <- ${step.edge} of ${step.holder}${step.root ? `   [root${step === last ? label : ""}]` : ""}`);
  if (steps.length === 0) lines.push(`  held directly from outside the heap${rootLabel ? ` (${rootLabel})` : ""}   [root]`);
  return lines.join("\n");
}

export interface FormattedPath {
  /** First line: the target. */
  target: string;
  steps: PrintedStep[];
  /** The whole path as rule H3 (docs/rules.md) prints it. */
  text: string;
}

/**
 * Shortest retainer paths from roots to the node at `index`, printed (rule H3, docs/rules.md). The first
 * line is `targetDescription` when given (graft's "Rehash  class, retired (...)"), else
 * derived from the node.
 */
export function formatRetainers(
  graph: HeapGraph,
  index: number,
  options: { labels?: HeapLabels; targetDescription?: string; limit?: number; skip?: (edge: HeapEdge) => boolean } = {},
): FormattedPath[] {
  const labels = options.labels ?? labelsFor(graph);
  const target = options.targetDescription ?? describeAt(graph, index, labels);
  return graph.retainerPaths(index, options.limit ?? 3, options.skip).map((steps) => {
    const printed = printableSteps(graph, steps, labels);
    const last = steps.length > 0 ? steps[steps.length - 1]!.holder.index : index;
    return { target, steps: printed, text: printPath(target, printed, graph.rootLabels.get(last)) };
  });
}

/** The nearest dominator a person can name: who alone keeps `index` alive. */
export function dominatorOwner(graph: HeapGraph, index: number, labels: HeapLabels, dominators = graph.dominance(index).dominators): string | undefined {
  for (const current of dominators.slice(0, 100)) {
    const node = graph.node(current);
    const file = labels.globals.get(current);
    if (file) return `the globals of ${file}`;
    if (node.kind !== "closure variable" && node.kind !== "shape" && node.kind !== "code") return describeNode(node, labels);
  }
  return undefined;
}

/**
 * A retired or superseded class version, or a top-level function of a replaced or deleted
 * version, alive after a full GC: what it is, what it retains, and the paths that hold it.
 */
export interface LeakFinding {
  /** A class (or class version), or a top-level function. */
  kind: "class" | "function";
  file: string;
  name: string;
  version: number;
  /** The class was retired, or the function's file was deleted. */
  retired: boolean;
  /** Bytes the version keeps alive (its dominator subtree). */
  retainedSize: number;
  paths: FormattedPath[];
  /** The class line, then its retainer paths. */
  text: string;
}

/** The leak report of the class object at `index` (rule H3 paths, retained size, sole owner). */
export function formatLeak(graph: HeapGraph, index: number, label: ClassLabel, labels: HeapLabels, limit = 3): LeakFinding {
  const description = describeClass(label);
  const paths = formatRetainers(graph, index, { labels, targetDescription: description, limit });
  const dominance = graph.dominance(index);
  const retainedSize = Math.round(dominance.retained);
  const owner = dominatorOwner(graph, index, labels, dominance.dominators);
  const headline = `${description}: alive after a full GC, retains ${retainedSize} bytes${owner ? `; held alone by ${owner}` : ""}`;
  const steps = (path: FormattedPath): string[] => path.text.split("\n").slice(1);
  // One path prints as rule H3 says; several are numbered, each with its own steps, so they do not run together.
  const text =
    paths.length <= 1
      ? [headline, ...paths.flatMap(steps)].join("\n")
      : [`${headline}; ${paths.length} paths hold it:`, ...paths.flatMap((path, i) => [`  path ${i + 1}:`, ...steps(path).map((line) => `  ${line}`)])].join("\n");
  const isFunction = label.kind === "superseded function" || label.kind === "function of a deleted file";
  return {
    kind: isFunction ? "function" : "class",
    file: label.file,
    name: label.name,
    version: label.version,
    retired: label.kind === "retired" || label.kind === "function of a deleted file",
    retainedSize,
    paths,
    text,
  };
}
