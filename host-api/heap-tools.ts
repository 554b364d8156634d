import { writeFileSync } from "node:fs";
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { describeNode, printableSteps, printPath, type HeapLabels } from "../runtime/heap/format.js";
import { HeapGraph, StableIds } from "../runtime/heap/graph.js";
import { toHeapSnapshot } from "../runtime/heap/heapsnapshot.js";
import { verifyLayout } from "../runtime/heap/layout.js";
import { VmMemory } from "../runtime/heap/memory.js";
import { readHeap } from "../runtime/heap/reader.js";
import type { Kernel } from "../runtime/kernel/kernel.js";
import type { ReloadEngine } from "../runtime/reload-engine.js";
import type { Vm } from "../runtime/vm.js";
import type { Bridge } from "./bridge.js";
import { GraftError } from "./errors.js";
import type { ScriptClass, ScriptValue } from "./script-value.js";
import type { LeakReport, RetainerPath } from "./types.js";

export { HeapGraph };

interface ClassLabel {
  address: number;
  text: string;
  kind: string;
}

interface HeapView {
  graph: HeapGraph;
  labels: HeapLabels;
  classes: ClassLabel[];
}

export interface ClassCount {
  name: string;
  count: number;
}

/**
 * graft's leak finding (SPEC §2, §5): reads every live object of the VM, with graft's own
 * knowledge (classes, versions, contexts, host handles) attached to the nodes.
 */
export class HeapTools {
  private verified: Error | true | undefined;
  /** Node ids that survive across snapshots of this runtime. */
  private readonly ids = new StableIds();

  constructor(
    private readonly vm: Vm,
    private readonly kernel: Kernel,
    private readonly kernelContext: QuickJSContext,
    private readonly engine: ReloadEngine,
    private readonly bridge: Bridge,
    private readonly collect: () => void,
  ) {}

  /** Every live GC object and its labelled references. */
  snapshot(): HeapGraph {
    return this.view().graph;
  }

  /** Writes a Chrome DevTools .heapsnapshot of the VM. */
  write(path: string): void {
    const { graph, labels } = this.view();
    writeFileSync(path, toHeapSnapshot(graph, (index) => describeNode(graph.nodes[index]!, labels)));
  }

  /** Live instances per class name, most first (after a full GC). */
  topClasses(limit = 20): ClassCount[] {
    this.collect();
    const { graph } = this.view();
    const counts = new Map<string, number>();
    for (const node of graph.nodes) {
      if (node.kind !== "object" && node.kind !== "array") continue;
      if (node.name.endsWith(".prototype")) continue;
      counts.set(node.name, (counts.get(node.name) ?? 0) + 1);
    }
    return [...counts].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, limit);
  }

  /** Every live object whose prototype chain includes `cls.prototype` (after a full GC). */
  findInstances(cls: ScriptClass | ScriptValue): ScriptValue[] {
    this.collect();
    const prototype = cls.get("prototype");
    const address = objectAddress(this.vm, prototype.vmHandle(this.bridge, []));
    prototype.dispose();
    if (address === undefined) throw new GraftError("findInstances needs a class (a function with a prototype object)");
    const { graph } = this.view();
    return graph.instancesOf(address).map((index) => this.bridge.adopt(handleForObject(this.vm, this.kernelContext, graph.nodes[index]!.address)));
  }

  /** Classes extending `base` anywhere in the VM, also ones created at run time. */
  dynamicSubclasses(base: ScriptValue, inclusive: boolean): ScriptValue[] {
    this.collect();
    const baseAddress = objectAddress(this.vm, base.vmHandle(this.bridge, []));
    if (baseAddress === undefined) return [];
    const { graph, classes } = this.view();
    // Graft's per-version classes are plumbing behind the canonical ones, not classes of their own.
    const versions = new Set(classes.filter((label) => label.kind === "version" || label.kind === "superseded").map((label) => label.address));
    const baseIndex = graph.indexOf(baseAddress);
    if (baseIndex === undefined) return [];
    const found = graph.nodes
      .filter((node) => node.kind === "function" && !versions.has(node.address))
      .filter((node) => (node.index === baseIndex ? inclusive : graph.inheritsFrom(node.index, baseIndex)))
      .map((node) => node.index);
    return found.map((index) => this.bridge.adopt(handleForObject(this.vm, this.kernelContext, graph.nodes[index]!.address)));
  }

  /** Shortest paths from roots to `value`, printed as in SPEC §5. */
  retainers(value: ScriptValue, limit = 3): RetainerPath[] {
    const address = objectAddress(this.vm, value.vmHandle(this.bridge, []));
    if (address === undefined) return [];
    const view = this.view(address);
    const index = view.graph.indexOf(address);
    if (index === undefined) return [];
    return this.paths(view, index, limit);
  }

  /** Retired and superseded class versions still alive after a full GC, with what holds them. */
  leaks(): LeakReport[] {
    this.collect();
    const view = this.view();
    const { graph } = view;
    const { retained } = graph.dominators();
    const reports: LeakReport[] = [];
    for (const label of view.classes) {
      if (label.kind !== "retired" && label.kind !== "superseded") continue;
      const index = graph.indexOf(label.address);
      if (index === undefined) continue;
      const [name, rest] = label.text.split("  ");
      const match = /\((.*) v(\d+)\)$/.exec(rest ?? "");
      const paths = this.paths(view, index, 3);
      const retainedSize = Math.round(retained[index]!);
      const owner = dominatorOwner(graph, index, view.labels);
      const text = [
        `${label.text}: alive after a full GC, retains ${retainedSize} bytes${owner ? `; held alone by ${owner}` : ""}`,
        ...paths.map((path) => path.text.split("\n").slice(1).join("\n")),
      ].join("\n");
      reports.push({
        file: match?.[1] ?? "",
        name: name ?? label.text,
        version: Number(match?.[2] ?? 0),
        retired: label.kind === "retired",
        retainedSize,
        paths,
        text,
      });
    }
    return reports;
  }

  private paths(view: HeapView, index: number, limit: number): RetainerPath[] {
    const { graph, labels } = view;
    const target = describeNode(graph.nodes[index]!, labels);
    return graph.retainerPaths(index, limit).map((steps) => {
      const printed = printableSteps(graph, steps, labels);
      const last = steps.length > 0 ? steps[steps.length - 1]!.holder.index : index;
      return {
        target,
        steps: printed.map((step) => ({ edge: step.edge, holder: step.holder, root: step.root })),
        text: printPath(target, printed, graph.rootLabels.get(last)),
      };
    });
  }

  /** Reads the heap with every label graft can attach. `queried` is an address the caller holds a handle to only for the query. */
  private view(queried?: number): HeapView {
    this.ensureVerified();
    const classes: ClassLabel[] = [];
    for (const entry of this.kernel.heapClasses()) {
      const address = objectAddress(this.vm, entry.value);
      entry.value.dispose();
      if (address !== undefined) classes.push({ address, text: entry.text, kind: entry.kind });
    }
    const handleCounts = new Map<number, number>();
    const handleOrigins = new Map<number, string>();
    for (const handle of this.bridge.liveHandles()) {
      const address = objectAddress(this.vm, handle);
      if (address === undefined) continue;
      handleCounts.set(address, (handleCounts.get(address) ?? 0) + 1);
      const origin = this.bridge.origins.get(handle);
      if (origin && !handleOrigins.has(address)) handleOrigins.set(address, origin.trim().replace(/^at\s+/, ""));
    }
    const contexts = new Map<number, string>([[contextAddress(this.kernelContext), "(graft kernel)"]]);
    for (const [file, context] of this.engine.contexts()) contexts.set(contextAddress(context), file);

    const memory = new VmMemory(this.vm.emscriptenModule.HEAPU8, this.vm.runtimePointer);
    const raw = readHeap(memory, (evaluated, line, column) => this.engine.locate(evaluated, line, column));
    const graph = new HeapGraph(raw, this.ids.assign(raw.nodes));
    const labels: HeapLabels = { describe: new Map(), globals: new Map() };
    for (const label of classes) {
      const index = graph.indexOf(label.address);
      if (index !== undefined) labels.describe.set(index, label.text);
    }
    for (const [address, file] of contexts) {
      const index = graph.indexOf(address);
      if (index === undefined) continue;
      graph.rootLabels.set(index, `context ${file}`);
      for (const edge of graph.outgoing(index)) {
        if (edge.name === "global object" || edge.name === "global lexical scope") labels.globals.set(edge.to, file);
      }
    }
    for (const [address, count] of handleCounts) {
      const index = graph.indexOf(address);
      if (index === undefined) continue;
      const node = graph.nodes[index]!;
      const held = address === queried ? count - 1 : count;
      if (address === queried) node.externalRefs = Math.max(0, node.externalRefs - 1);
      if (held <= 0) continue;
      const what = labels.describe.get(index) ?? describeNode(node, labels);
      const origin = handleOrigins.get(address);
      const holders = held === 1 ? "a ScriptValue" : `${held} ScriptValues`;
      graph.rootLabels.set(index, `${holders} held by the host (${what})${origin ? `, created at ${origin}` : ""}`);
    }
    return { graph, labels, classes };
  }

  /**
   * The start-up self-check (SPEC §2): proves the struct layout on this build once. On any
   * other build the heap features refuse with the reason; everything else keeps working.
   */
  selfCheck(): void {
    try {
      verifyLayout(this.vm.runtime, this.kernelContext);
      this.verified = true;
    } catch (error) {
      this.verified = error instanceof Error ? error : new Error(String(error));
    }
  }

  private ensureVerified(): void {
    if (this.verified === undefined) this.selfCheck();
    if (this.verified !== true) {
      throw new GraftError(`heap inspection is not available: ${(this.verified as Error).message}. Everything else in graft keeps working.`);
    }
  }

}

/** The object a handle points at, or undefined for non-objects. */
export function objectAddress(vm: Vm, handle: QuickJSHandle): number | undefined {
  const heap = vm.emscriptenModule.HEAPU8;
  const view = new DataView(heap.buffer, heap.byteOffset, heap.byteLength);
  const valuePointer = (handle as unknown as { value: number }).value;
  const tag = view.getInt32(valuePointer + 4, true);
  return tag === -1 ? view.getUint32(valuePointer, true) : undefined;
}

function contextAddress(context: QuickJSContext): number {
  return (context as unknown as { ctx: { value: number } }).ctx.value;
}

interface InternalContext {
  ctx: { value: number };
  ffi: { QTS_DupValuePointer(ctx: number, value: number): number };
  memory: { heapValueHandle(pointer: number): QuickJSHandle };
}

/** A new handle on a live object found by enumeration (its reference count is increased). */
function handleForObject(vm: Vm, context: QuickJSContext, address: number): QuickJSHandle {
  const module = vm.emscriptenModule as unknown as { _malloc(size: number): number; _free(pointer: number): void; HEAPU8: Uint8Array };
  const internals = context as unknown as InternalContext;
  const scratch = module._malloc(8);
  try {
    const view = new DataView(module.HEAPU8.buffer, module.HEAPU8.byteOffset, module.HEAPU8.byteLength);
    view.setUint32(scratch, address, true);
    view.setInt32(scratch + 4, -1, true);
    return internals.memory.heapValueHandle(internals.ffi.QTS_DupValuePointer(internals.ctx.value, scratch));
  } finally {
    module._free(scratch);
  }
}

/** The nearest dominator that graft can name: who alone keeps `index` alive. */
function dominatorOwner(graph: HeapGraph, index: number, labels: HeapLabels): string | undefined {
  const { idom } = graph.dominators();
  let current = idom[index]!;
  for (let depth = 0; current >= 0 && depth < 100; depth++) {
    const node = graph.nodes[current]!;
    const file = labels.globals.get(current);
    if (file) return `the globals of ${file}`;
    if (node.kind !== "closure variable" && node.kind !== "shape" && node.kind !== "code") return describeNode(node, labels);
    current = idom[current]!;
  }
  return undefined;
}
