/**
 * The one entry point of the heap tools: full collections, instances, dynamic subclasses,
 * retainer paths, leaks, snapshots and .heapsnapshot files of one quickjs-emscripten
 * runtime. What the embedder knows beyond the heap (its classes and their versions, which
 * script each context runs, the handles the host holds) comes in through HeapKnowledge;
 * everything else is read from VM memory here.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import { collect, forceFullGc, gcTargetOf, type GcTarget } from "./gc.js";
import { StableIds, type HeapGraph } from "./graph.js";
import { describeAt, describeClass, formatLeak, formatRetainers, type ClassLabel, type FormattedPath, type HeapLabels, type LeakFinding } from "./format.js";
import { holdObjects, type FoundObjects } from "./found-objects.js";
import { addressOfHandle, arrayElementAddresses, handlesForObjects } from "./handles.js";
import { heapSnapshotNodeCount, heapSnapshotPieces, writeHeapSnapshotAsync, type WriteProgress } from "./heapsnapshot.js";
import { findInstances } from "./instances.js";
import { contextPointerOf, FUNCTION_CLASSES, GcType } from "./layout.js";
import { VmMemory } from "./memory.js";
import { findPermanentObjects, type PermanentObjects } from "./permanent-objects.js";
import { verifyLayout } from "./self-check.js";
import { readRuntimeHeap, throwIfAborted, type AbortLike, type Locator } from "./reader.js";
import { embedderObjects } from "./realms.js";

/** How the heap tools name the context the inspector works in (the embedder's kernel). */
const KERNEL_CONTEXT = "(graft kernel)";
/**
 * Where graft's own collection classes (SafeMap, SafeSet, ...) are defined, as evaluated
 * (runtime/kernel/vm-source.ts). Not the other kernel files: canonical classes (scripts'
 * classes) and Timer (a script's pending timer) are made there.
 */
const KERNEL_SOURCES = "graft:runtime/kernel/vm/intrinsics.js";

/** What the embedder knows that the heap does not say. */
export interface HeapKnowledge {
  /** Its class objects, as a VM array (the inspector disposes it) and one label per element. */
  classes(): { values: QuickJSHandle; labels: ClassLabel[] };
  /** How many retired or superseded class versions are alive now (asked right after a full collection). */
  oldVersionsAlive(): number;
  /** JSContext address -> the script file it runs. */
  contexts(): ReadonlyMap<number, string>;
  /**
   * Handles the host holds: what they are as a whole (`label`), or each one's `origin` (the
   * API call that made it) and `site` (where in the host's code, when recorded).
   */
  hostHandles(): { handle: QuickJSHandle; origin?: string; site?: string; label?: string }[];
  /** Maps an evaluated file name and position to the source as written. */
  locate?: Locator;
  /** Runs a call into the VM under the embedder's time budget. */
  guard<T>(work: () => T): T;
  /** Runs before a full collection (e.g. pending promise jobs). */
  beforeCollect?(): void;
  /** Whether code evaluated under this file name never assigns a function declaration or a `var` (permanent-objects.ts). */
  fixedDeclarations?(filename: string): boolean;
  /** Objects the embedder holds for as long as the inspector's context lives (permanent-objects.ts). */
  permanentRoots?(): QuickJSHandle[];
  /** Runs after a full collection (e.g. drop bookkeeping of what died). */
  afterCollect?(): void;
}

export interface ClassCount {
  name: string;
  count: number;
}

/** Objects found on the heap: one group holding them all (owned by the caller). */
export interface Found {
  objects: FoundObjects;
  /** 1 where that one is callable (a function). */
  callable: Uint8Array;
}

interface HeapView {
  graph: HeapGraph;
  /** Nodes held by the embedder as a whole (`label` host handles: a findInstances result's array). */
  labelledRoots: Set<number>;
  labels: HeapLabels;
  classes: { index: number; label: ClassLabel }[];
}

/**
 * How far snapshot() or leaks() is: `phase` "gc" (the full collection, 0 then 1 of 1),
 * "read" (`done` GC objects read of about `total`; total is exact once done), "paths"
 * (leaks only: `done` of `total` leaked versions' retainer paths made), then "done".
 * Called synchronously during the call: the heap read stops the VM and finishes before it returns.
 */
export interface HeapProgress {
  phase: "gc" | "read" | "paths" | "done";
  done: number;
  total: number;
}

/** snapshot() and leaks(): progress, and a signal checked between phases and chunks of objects. */
export interface HeapWorkOptions {
  onProgress?: (progress: HeapProgress) => void;
  /** Once aborted, the call throws the signal's reason; nothing half-made is kept. */
  signal?: AbortLike;
}

/** What `leaks()` reports when it is alive after a full GC: every other label is something graft keeps. */
const LEAK_KINDS: ReadonlySet<ClassLabel["kind"]> = new Set(["retired", "superseded", "superseded function", "function of a deleted file"]);

/** Up to this many leaks, each report's dominance is computed for its node alone (graph.dominance). */
const SINGLE_DOMINANCE_LIMIT = 3;

export class HeapInspector {
  private readonly target: GcTarget;
  private verified: Error | true | undefined;
  /** The kernel realm's objects that every collection leaves out of its walk (gc.ts setAside). */
  private permanent: PermanentObjects | undefined;
  /** Node ids that survive across snapshots of this runtime. */
  private readonly ids = new StableIds();

  constructor(
    private readonly runtime: QuickJSRuntime,
    /** The context handles are made in (and the collector allocates in). */
    private readonly context: QuickJSContext,
    private readonly knowledge: HeapKnowledge,
  ) {
    this.target = gcTargetOf(runtime, context);
  }

  /**
   * The start-up self-check (rule V2, docs/rules.md): proves the struct layout on this build once. On any
   * other build the heap features refuse with the reason; everything else keeps working.
   */
  selfCheck(): void {
    try {
      verifyLayout(this.runtime, this.context);
      this.verified = true;
    } catch (error) {
      this.verified = error instanceof Error ? error : new Error(String(error));
    }
  }

  private ensureVerified(): void {
    if (this.verified === undefined) this.selfCheck();
    if (this.verified !== true) throw this.verified;
  }

  /** A full collection, with the live GC object counts before and after. */
  gc(): { before: number; after: number } {
    this.knowledge.beforeCollect?.();
    const { before, after, permanentValid } = collect(this.target, () => this.knowledge.afterCollect?.(), this.permanentObjects());
    if (!permanentValid) this.permanent = undefined;
    return { before, after };
  }

  /** A full collection without counting: what every query starts with. */
  private fullGc(): void {
    this.knowledge.beforeCollect?.();
    if (!forceFullGc(this.target, this.permanentObjects())) this.permanent = undefined;
    this.knowledge.afterCollect?.();
  }

  /**
   * The permanent objects of the inspector's context (the kernel's realm), found at the
   * first collection after its lockdown. Found again while the realm is not locked down yet
   * (then they are only the context and its global object) or when they were not all found
   * where they were (never seen: they are alive as long as the context).
   */
  private permanentObjects(): PermanentObjects | undefined {
    if (this.permanent?.lockedDown !== true) {
      try {
        this.permanent = findPermanentObjects(new VmMemory(this.target.module.HEAPU8, this.target.rtPointer), contextPointerOf(this.context), {
          fixedDeclarations: this.knowledge.fixedDeclarations,
          roots: (this.knowledge.permanentRoots?.() ?? []).flatMap((handle) => addressOfHandle(this.target, handle) ?? []),
        });
      } catch {
        this.permanent = undefined; // a heap the layout does not describe: collect without setting any aside
      }
    }
    return this.permanent;
  }

  /** Every instance of the class whose prototype `prototype` holds (never a prototype object), after a full GC. */
  findInstances(prototype: QuickJSHandle): Found {
    this.ensureVerified();
    const address = addressOfHandle(this.target, prototype);
    if (address === undefined) throw new TypeError("findInstances needs a class (a function with a prototype object)");
    this.fullGc();
    // The walk raises each instance's ref_count as it passes (see takeReferences); the holder array takes them over.
    const found = findInstances(this.target, address, true);
    return { objects: holdObjects(this.context, found.addresses, (count) => this.newSlots(count), true), callable: found.callable };
  }

  /** findInstances' objects as one VM array the caller owns (undefined when there are none). */
  instanceArray(prototype: QuickJSHandle): QuickJSHandle | undefined {
    return this.findInstances(prototype).objects.core?.array;
  }

  /** A new dense VM Array of `count` zeros, made in the inspector's context. */
  private newSlots(count: number): QuickJSHandle {
    return this.knowledge.guard(() => this.context.unwrapResult(this.context.evalCode(`new Array(${count}).fill(0)`, "graft:found-objects.js")));
  }

  /**
   * Classes (functions) extending `base` anywhere in the VM, also ones created at run time;
   * the embedder's per-version class objects are plumbing behind its classes and are left
   * out, and so are its retired classes unless `includeRetired`, and the classes in `known`
   * (the caller has them already).
   */
  dynamicSubclasses(base: QuickJSHandle, inclusive: boolean, includeRetired = false, known: readonly QuickJSHandle[] = []): QuickJSHandle[] {
    this.ensureVerified();
    const baseAddress = addressOfHandle(this.target, base);
    if (baseAddress === undefined) return [];
    this.fullGc();
    const leftOut = new Set(
      this.classAddresses()
        .filter(({ label }) => !label.prototype && (label.kind === "version" || label.kind === "superseded" || label.kind === "retired version" || (label.kind === "retired" && !includeRetired)))
        .map(({ address }) => address),
    );
    for (const handle of known) {
      const address = addressOfHandle(this.target, handle);
      if (address !== undefined) leftOut.add(address);
    }
    // A subclass's own [[Prototype]] is its base class: the instance walk finds them, prototypes aside.
    const found = findInstances(this.target, baseAddress);
    const addresses = Array.from(found.addresses).filter((address, i) => found.callable[i] === 1 && !leftOut.has(address));
    if (inclusive && !leftOut.has(baseAddress)) addresses.unshift(baseAddress);
    return handlesForObjects(this.context, addresses);
  }

  /**
   * Shortest paths from roots to the object `value` holds. `value` is one of the host's
   * handles (its hold is a path too), or with `queryOnly` one made for this query alone.
   */
  retainers(value: QuickJSHandle, limit = 3, queryOnly = false): FormattedPath[] {
    this.ensureVerified();
    const address = addressOfHandle(this.target, value);
    if (address === undefined) return [];
    const view = this.view(queryOnly ? address : undefined);
    const index = view.graph.indexOf(address);
    if (index === undefined) return [];
    // The host asks about a value it holds: its own holds on it (the query's handle, the
    // result array the value came from) are not what keeps it alive.
    const skip = (edge: { from: number; to: number }): boolean => edge.to === index && view.labelledRoots.has(edge.from);
    const paths = formatRetainers(view.graph, index, { labels: view.labels, limit, skip });
    // What holds it besides the host first; the host's own hold (no step) last.
    return [...paths.filter((path) => path.steps.length > 0), ...paths.filter((path) => path.steps.length === 0)];
  }

  /**
   * Retired and superseded class versions, and top-level functions of replaced or deleted
   * versions, alive after a full GC, with what holds them. The embedder's weak references
   * say whether any is alive; only then is the heap read.
   */
  leaks(options: HeapWorkOptions = {}): LeakFinding[] {
    this.ensureVerified();
    const { onProgress, signal } = options;
    throwIfAborted(signal, "leaks()");
    onProgress?.({ phase: "gc", done: 0, total: 1 });
    this.fullGc();
    onProgress?.({ phase: "gc", done: 1, total: 1 });
    throwIfAborted(signal, "leaks()");
    const reports: LeakFinding[] = [];
    if (this.knowledge.oldVersionsAlive() > 0) {
      const view = this.view(undefined, options);
      const leaked = view.classes.filter(({ label }) => !label.prototype && LEAK_KINDS.has(label.kind));
      // Each report's dominance costs a few passes over the heap alone; the whole tree costs about ten, once.
      if (leaked.length > SINGLE_DOMINANCE_LIMIT) view.graph.dominators();
      onProgress?.({ phase: "paths", done: 0, total: leaked.length });
      for (const { index, label } of leaked) {
        throwIfAborted(signal, "leaks()");
        reports.push(formatLeak(view.graph, index, label, view.labels));
        onProgress?.({ phase: "paths", done: reports.length, total: leaked.length });
      }
    }
    onProgress?.({ phase: "done", done: 1, total: 1 });
    return reports;
  }

  /** Every live GC object and its labelled references. */
  snapshot(options: HeapWorkOptions = {}): HeapGraph {
    this.ensureVerified();
    throwIfAborted(options.signal, "snapshot()");
    const { graph } = this.view(undefined, options);
    options.onProgress?.({ phase: "done", done: 1, total: 1 });
    return graph;
  }

  /**
   * Writes a Chrome DevTools .heapsnapshot of the VM. Only reading the heap stops the VM
   * (synchronously, before this returns its promise); the file is written while the host
   * runs, a piece at a time (see writeHeapSnapshotAsync).
   */
  write(path: string, options: { onProgress?: (progress: WriteProgress) => void; signal?: { readonly aborted: boolean; readonly reason?: unknown } } = {}): Promise<void> {
    this.ensureVerified();
    if (options.signal?.aborted) return Promise.reject(options.signal.reason ?? new Error("heap.write was aborted"));
    const { graph, labels } = this.view();
    return writeHeapSnapshotAsync(path, graph, (index) => describeAt(graph, index, labels), options);
  }

  /**
   * The heap read now, as .heapsnapshot pieces made as they are taken (classes named as
   * write() names them): for streaming to a client that drains slowly.
   */
  snapshotPieces(): { nodes: number; pieces: Generator<Uint8Array> } {
    this.ensureVerified();
    const { graph, labels } = this.view();
    return { nodes: heapSnapshotNodeCount(graph), pieces: heapSnapshotPieces(graph, (index) => describeAt(graph, index, labels)) };
  }

  /**
   * Live instances per class name, most first, after a full GC. The embedder's own objects
   * (its kernel context's realm, its host-function data) are left out unless `internal`.
   */
  topClasses(limit = 20, internal = false): ClassCount[] {
    this.ensureVerified();
    this.fullGc();
    const { graph } = this.view();
    const { name, gcType, classId } = graph.data;
    let kernelContext = -1;
    for (const [context, file] of graph.contextFiles) if (file === KERNEL_CONTEXT) kernelContext = context;
    const plumbing = internal ? undefined : embedderObjects(graph.data, kernelContext, KERNEL_SOURCES);
    // Counted per interned name: one array read a node.
    const counts = new Map<number, number>();
    for (let i = 0; i < graph.nodeCount; i++) {
      if (gcType[i] !== GcType.Object || FUNCTION_CLASSES.has(classId[i]!) || plumbing?.[i] === 1) continue;
      counts.set(name[i]!, (counts.get(name[i]!) ?? 0) + 1);
    }
    return [...counts]
      .map(([id, count]) => ({ name: graph.data.strings.get(id), count }))
      .filter((row) => !row.name.endsWith(".prototype"))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
      .slice(0, limit);
  }

  /** The embedder's class objects with their addresses (read from the array, not one handle each). */
  private classAddresses(): { address: number; label: ClassLabel }[] {
    const { values, labels } = this.knowledge.classes();
    try {
      const addresses = arrayElementAddresses(this.target, values);
      const result: { address: number; label: ClassLabel }[] = [];
      addresses.forEach((address, i) => {
        if (address !== undefined && labels[i] !== undefined) result.push({ address, label: labels[i]! });
      });
      return result;
    } finally {
      values.dispose();
    }
  }

  /** Reads the heap with every label the embedder can attach. `queried`: an address the host holds a handle to only for this query. */
  private view(queried?: number, work: HeapWorkOptions = {}): HeapView {
    const classes = this.classAddresses();
    const handleCounts = new Map<number, number>();
    const handleOrigins = new Map<number, Set<string>>();
    const handleLabels = new Map<number, string>();
    for (const { handle, origin, site, label } of this.knowledge.hostHandles()) {
      const address = addressOfHandle(this.target, handle);
      if (address === undefined) continue;
      if (label !== undefined) {
        handleLabels.set(address, label);
        continue;
      }
      handleCounts.set(address, (handleCounts.get(address) ?? 0) + 1);
      const made = [origin && `from ${origin}`, site && `created at ${site}`].filter(Boolean).join(", ");
      if (made) {
        const origins = handleOrigins.get(address) ?? new Set<string>();
        origins.add(made);
        handleOrigins.set(address, origins);
      }
    }
    const contexts = new Map(this.knowledge.contexts());
    contexts.set(contextPointerOf(this.context), KERNEL_CONTEXT);

    const { onProgress, signal } = work;
    const progress = onProgress && ((done: number, total: number) => onProgress({ phase: "read", done, total }));
    const graph = readRuntimeHeap(this.target, { locate: this.knowledge.locate, contexts, expected: this.ids.lastSize, progress, signal });
    this.ids.assign(graph);
    const labels: HeapLabels = { describe: new Map(), globals: new Map() };
    const indexed: HeapView["classes"] = [];
    for (const { address, label } of classes) {
      const index = graph.indexOf(address);
      if (index === undefined) continue;
      labels.describe.set(index, describeClass(label));
      indexed.push({ index, label });
    }
    for (const [global, context] of graph.globals) labels.globals.set(global, graph.contextFiles.get(context) ?? "(unnamed)");
    for (const [address, count] of handleCounts) {
      const index = graph.indexOf(address);
      if (index === undefined) continue;
      const held = address === queried ? count - 1 : count;
      if (address === queried) graph.discountExternalRef(index);
      if (held <= 0) continue;
      const what = describeAt(graph, index, labels);
      const origins = [...(handleOrigins.get(address) ?? [])];
      const made = origins.length === 0 ? "" : `, ${origins.slice(0, 3).join("; ")}${origins.length > 3 ? `; and ${origins.length - 3} more` : ""}`;
      const holders = held === 1 ? "a ScriptValue" : `${held} ScriptValues`;
      graph.rootLabels.set(index, `${holders} held by the host (${what})${made}`);
    }
    const labelledRoots = new Set<number>();
    for (const [address, label] of handleLabels) {
      const index = graph.indexOf(address);
      if (index === undefined) continue;
      graph.rootLabels.set(index, label);
      labelledRoots.add(index);
    }
    return { graph, labels, classes: indexed, labelledRoots };
  }
}
