import type { HeapGraph, PathStep } from "./graph.js";
import type { HeapNode } from "./reader.js";

/** What the printer knows beyond the heap: graft's classes and the scripts' contexts. */
export interface HeapLabels {
  /** node index -> description, e.g. "Rehash  class, retired (commands/rehash.ts v1)". */
  describe: Map<number, string>;
  /** node index of a context's global object (or global lexical scope) -> script file. */
  globals: Map<number, string>;
}

export interface PrintedStep {
  edge: string;
  holder: string;
  root: boolean;
}

/** Describes a node the way a path line names it. */
export function describeNode(node: HeapNode, labels: HeapLabels): string {
  const known = labels.describe.get(node.index);
  if (known) return known;
  switch (node.kind) {
    case "function":
      return `function ${node.name || "(anonymous)"}${node.location ? ` (${node.location})` : ""}`;
    case "array":
      return "Array";
    case "context":
      return "a script context";
    default:
      return node.name || node.kind;
  }
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
      // Global variables are closure variables of the context's global object.
      const globalOf = labels.globals.get(next.holder.index);
      if (globalOf !== undefined) {
        printed.push({ edge: `global '${next.edge.name}'`, holder: `context ${globalOf}`, root: true });
        break;
      }
      printed.push({ edge: `closure variable '${next.edge.name}'`, holder: describeNode(next.holder, labels), root: graph.isRoot(next.holder.index) });
      i++;
      continue;
    }
    if (holder.kind === "shape" && next) {
      printed.push({ edge: "prototype", holder: describeNode(next.holder, labels), root: graph.isRoot(next.holder.index) });
      i++;
      continue;
    }
    const file = labels.globals.get(holder.index);
    if (file !== undefined) {
      printed.push({ edge: `global '${step.edge.name}'`, holder: `context ${file}`, root: true });
      break;
    }
    const edge = step.edge.type === "property" ? `property '${step.edge.name}'` : step.edge.type === "element" ? `element [${step.edge.name}]` : step.edge.name;
    printed.push({ edge, holder: describeNode(holder, labels), root: graph.isRoot(holder.index) });
  }
  return printed;
}

/** SPEC §5 format: the target, then one edge a line, root last. */
export function printPath(target: string, steps: PrintedStep[], rootLabel?: string): string {
  const lines = [target];
  const last = steps[steps.length - 1];
  // A global names its context already; other roots say what holds them, when known.
  const label = rootLabel && last && !last.edge.startsWith("global ") ? `: ${rootLabel}` : "";
  for (const step of steps) lines.push(`  <- ${step.edge} of ${step.holder}${step.root ? `   [root${step === last ? label : ""}]` : ""}`);
  if (steps.length === 0) lines.push(`  held directly from outside the heap${rootLabel ? ` (${rootLabel})` : ""}   [root]`);
  return lines.join("\n");
}
