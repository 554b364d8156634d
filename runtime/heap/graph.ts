import { AddressIndex } from "./address-index.js";
import { CHUNK } from "./chunks.js";
import { computeDominators, dominanceOf, type Dominance } from "./dominators.js";
import { classNameOf, EDGE, EDGE_TYPES, type EdgeType, type ExternalHolder, type HeapData, type NodeKind } from "./heap-data.js";
import { ARRAY_CLASSES, CLASS, FUNCTION_CLASSES, GcType } from "./layout.js";

/** One GC object, as an object (made on demand from the graph's arrays). */
export interface HeapNode {
  /** Position in the graph (not stable across snapshots; see HeapGraph.ids for that). */
  index: number;
  /** Address of the GC object in linear memory (the JSObject* of an object's JSValue). */
  address: number;
  gcType: GcType;
  /** JS_CLASS_* id for objects, 0 otherwise. */
  classId: number;
  /** "Object", "Array", "Function", "Map", ... for objects; the GC type otherwise. */
  className: string;
  refCount: number;
  kind: NodeKind;
  /** "Rehash" for an instance or a class, "execute" for a function, "Rehash.prototype", "Array", ... */
  name: string;
  /** Where a function is defined, as written: "commands/rehash.ts:12". */
  location?: string;
  /** The script a function, a class's prototype or a context belongs to: "commands/rehash.ts". */
  file?: string;
  selfSize: number;
  /** References from outside the GC heap (ref_count minus incoming strong edges); > 0 makes it a root. */
  externalRefs: number;
  /** Its references could not all be decoded (an embedder class with its own gc_mark, or a read error). */
  opaque?: boolean;
}

export interface HeapEdge {
  from: number;
  to: number;
  type: EdgeType;
  /** Property name, element index, closure variable name or internal slot ("home object", "bound target", ...). */
  name: string;
}

/** One step of a retainer path: `holder` refers to the previous object through `edge`. */
export interface PathStep {
  edge: HeapEdge;
  holder: HeapNode;
}

/**
 * Every live GC object and the references between them, with roots, shortest retainer
 * paths and dominators. Stored flat (typed arrays, interned names); `node(i)`, `nodes`,
 * `outgoing(i)` make objects on demand. Indices are positions; `ids` are stable per runtime.
 */
export class HeapGraph {
  /** What holds each root from outside the heap ("ScriptValue held by the host", ...). */
  readonly rootLabels = new Map<number, string>();
  /** What holds nodes from outside the heap, as the reader found them (jobs, contexts, host handles). */
  readonly holders: ExternalHolder[];
  /** Node index of a context's global object or global lexical scope -> node index of the context. */
  readonly globals: Map<number, number>;
  /** Node index of a context -> its script file. */
  readonly contextFiles: Map<number, string>;
  private assignedIds: Int32Array | undefined;
  private inStart: Int32Array | undefined;
  private inEdges: Int32Array | undefined;
  private edgeFrom: Int32Array | undefined;
  private dominatorCache: { idom: Int32Array; retained: Float64Array } | undefined;
  private nodeList: HeapNode[] | undefined;

  constructor(readonly data: HeapData) {
    this.holders = data.holders;
    this.globals = data.globals;
    this.contextFiles = data.contextFiles;
    for (const holder of this.holders) {
      const known = this.rootLabels.get(holder.node);
      if (known === undefined) this.rootLabels.set(holder.node, holder.label);
      else if (!known.includes(holder.label)) this.rootLabels.set(holder.node, `${known}; ${holder.label}`);
    }
  }

  /** Stable id per node (StableIds.assign); indices + 1 until assigned. */
  get ids(): Int32Array {
    if (this.assignedIds === undefined) {
      const ids = new Int32Array(this.data.count);
      for (let from = 0; from < ids.length; from += CHUNK) countingFrom1(ids, from, Math.min(ids.length, from + CHUNK));
      this.assignedIds = ids;
    }
    return this.assignedIds;
  }

  set ids(ids: Int32Array) {
    this.assignedIds = ids;
  }

  get nodeCount(): number {
    return this.data.count;
  }

  get edgeCount(): number {
    return this.data.edgeCount;
  }

  /** Every node as an object: made on first use (costs ~150 host bytes a node; prefer node(i) and the accessors). */
  get nodes(): HeapNode[] {
    if (this.nodeList === undefined) {
      const list = new Array<HeapNode>(this.data.count);
      for (let i = 0; i < this.data.count; i++) list[i] = this.node(i);
      this.nodeList = list;
    }
    return this.nodeList;
  }

  /** Every edge as an object (made on each call). */
  get edges(): HeapEdge[] {
    const result: HeapEdge[] = [];
    for (let i = 0; i < this.data.count; i++) for (let e = this.data.outStart[i]!; e < this.data.outStart[i + 1]!; e++) result.push(this.edgeAt(e, i));
    return result;
  }

  /** Node `index` as an object. */
  node(index: number): HeapNode {
    const d = this.data;
    const node: HeapNode = {
      index,
      address: d.address[index]!,
      gcType: d.gcType[index]! as GcType,
      classId: d.classId[index]!,
      className: classNameOf(d.gcType[index]!, d.classId[index]!, d.embedderClasses),
      refCount: d.refCount[index]!,
      kind: this.kindOf(index),
      name: this.nameOf(index),
      selfSize: d.selfSize[index]!,
      externalRefs: d.externalRefs[index]!,
    };
    if (d.location[index] !== 0) node.location = d.strings.get(d.location[index]!);
    if (d.file[index] !== 0) node.file = d.strings.get(d.file[index]!);
    if (d.opaque[index] === 1) node.opaque = true;
    return node;
  }

  nameOf(index: number): string {
    return this.data.strings.get(this.data.name[index]!);
  }

  fileOf(index: number): string | undefined {
    const id = this.data.file[index]!;
    return id === 0 ? undefined : this.data.strings.get(id);
  }

  locationOf(index: number): string | undefined {
    const id = this.data.location[index]!;
    return id === 0 ? undefined : this.data.strings.get(id);
  }

  kindOf(index: number): NodeKind {
    const classId = this.data.classId[index]!;
    switch (this.data.gcType[index]) {
      case GcType.Object:
        if (ARRAY_CLASSES.has(classId) || classId === CLASS.mappedArguments) return "array";
        return FUNCTION_CLASSES.has(classId) ? "function" : "object";
      case GcType.FunctionBytecode:
        return "code";
      case GcType.Shape:
        return "shape";
      case GcType.VarRef:
        return "closure variable";
      case GcType.AsyncFunction:
        return "async frame";
      case GcType.Context:
        return "context";
      default:
        return "module";
    }
  }

  /** The host stopped counting one of its references to node `index` (e.g. a handle held only for a query). */
  discountExternalRef(index: number): void {
    this.data.externalRefs[index] = Math.max(0, this.data.externalRefs[index]! - 1);
    if (this.nodeList) this.nodeList[index]!.externalRefs = this.data.externalRefs[index]!;
  }

  /** Node index of the GC object at `address` (an object's JSObject*, a context's JSContext*). */
  indexOf(address: number): number | undefined {
    const index = this.data.index.get(address);
    return index === -1 ? undefined : index;
  }

  /** The node of the GC object at `address`. */
  find(address: number): HeapNode | undefined {
    const index = this.indexOf(address);
    return index === undefined ? undefined : this.node(index);
  }

  /** The node with stable id `id`. */
  byId(id: number): HeapNode | undefined {
    const index = this.ids.indexOf(id);
    return index === -1 ? undefined : this.node(index);
  }

  isRoot(index: number): boolean {
    return this.data.externalRefs[index]! > 0 || this.rootLabels.has(index);
  }

  private edgeAt(e: number, from: number): HeapEdge {
    const d = this.data;
    const type = d.edgeType[e]!;
    return { from, to: d.edgeTo[e]!, type: EDGE_TYPES[type]!, name: type === EDGE.element ? String(d.edgeName[e]) : d.strings.get(d.edgeName[e]!) };
  }

  outgoing(index: number): HeapEdge[] {
    const result: HeapEdge[] = [];
    for (let e = this.data.outStart[index]!; e < this.data.outStart[index + 1]!; e++) result.push(this.edgeAt(e, index));
    return result;
  }

  incoming(index: number): HeapEdge[] {
    this.buildIncoming();
    const result: HeapEdge[] = [];
    for (let i = this.inStart![index]!; i < this.inStart![index + 1]!; i++) {
      const e = this.inEdges![i]!;
      result.push(this.edgeAt(e, this.edgeFrom![e]!));
    }
    return result;
  }

  /** The reverse index, built once on first need (paths, leaks): 4 bytes a node and 8 an edge. */
  private buildIncoming(): void {
    if (this.inStart !== undefined) return;
    const { count, edgeCount, outStart, edgeTo } = this.data;
    const from = new Int32Array(edgeCount);
    for (let i = 0; i < count; i++) for (let e = outStart[i]!; e < outStart[i + 1]!; e++) from[e] = i;
    const start = new Int32Array(count + 1);
    for (let e = 0; e < edgeCount; e++) start[edgeTo[e]! + 1]! += 1;
    for (let i = 0; i < count; i++) start[i + 1]! += start[i]!;
    const fill = start.slice(0, count);
    const list = new Int32Array(edgeCount);
    for (let e = 0; e < edgeCount; e++) list[fill[edgeTo[e]!]!++] = e;
    this.edgeFrom = from;
    this.inStart = start;
    this.inEdges = list;
  }

  /**
   * Shortest paths from roots to `target` (breadth-first over strong edges, backwards).
   * Each path lists its steps from the target outwards; the last holder is a root.
   * Up to `limit` paths, each through a different direct holder of the target.
   */
  retainerPaths(target: number, limit = 3, skip: (edge: HeapEdge) => boolean = () => false): PathStep[][] {
    const paths: PathStep[][] = [];
    const firstHops = this.incoming(target).filter((edge) => edge.type !== "weak" && !skip(edge) && edge.from !== target);
    const seenHolders = new Set<number>();
    if (this.isRoot(target) && firstHops.length === 0) return [[]];
    for (const first of firstHops) {
      if (paths.length >= limit) break;
      if (seenHolders.has(first.from)) continue;
      seenHolders.add(first.from);
      const rest = this.shortestToRoot(first.from, target, skip);
      if (rest) paths.push([{ edge: first, holder: this.node(first.from) }, ...rest]);
    }
    if (this.isRoot(target)) paths.unshift([]);
    return paths.sort((a, b) => a.length - b.length).slice(0, limit);
  }

  private shortestToRoot(start: number, avoid: number, skip: (edge: HeapEdge) => boolean): PathStep[] | undefined {
    if (this.isRoot(start)) return [];
    this.buildIncoming();
    const via = new Map<number, number>();
    const queue = [start];
    const seen = new Set([start, avoid]);
    const { edgeType } = this.data;
    for (let head = 0; head < queue.length; head++) {
      const current = queue[head]!;
      for (let i = this.inStart![current]!; i < this.inStart![current + 1]!; i++) {
        const e = this.inEdges![i]!;
        const from = this.edgeFrom![e]!;
        if (edgeType[e] === EDGE.weak || seen.has(from) || skip(this.edgeAt(e, from))) continue;
        seen.add(from);
        via.set(from, e);
        if (this.isRoot(from)) {
          const steps: PathStep[] = [];
          for (let node = from; node !== start; ) {
            const step = via.get(node)!;
            steps.unshift({ edge: this.edgeAt(step, node), holder: this.node(node) });
            node = this.data.edgeTo[step]!;
          }
          return steps;
        }
        queue.push(from);
      }
    }
    return undefined;
  }

  /** Every node reachable from the roots over strong edges. */
  reachableFromRoots(): Uint8Array {
    const { count, outStart, edgeTo, edgeType } = this.data;
    const reached = new Uint8Array(count);
    const queue = new Int32Array(count);
    let tail = 0;
    for (let i = 0; i < count; i++) {
      if (!this.isRoot(i)) continue;
      reached[i] = 1;
      queue[tail++] = i;
    }
    for (let head = 0; head < tail; head++) {
      const v = queue[head]!;
      for (let e = outStart[v]!; e < outStart[v + 1]!; e++) {
        if (edgeType[e] === EDGE.weak || reached[edgeTo[e]!]) continue;
        reached[edgeTo[e]!] = 1;
        queue[tail++] = edgeTo[e]!;
      }
    }
    return reached;
  }

  /** Immediate dominators (index; -1 for the synthetic root) and retained sizes. */
  dominators(): { idom: Int32Array; retained: Float64Array } {
    this.dominatorCache ??= computeDominators({ ...this.data, isRoot: (index) => this.isRoot(index) });
    return this.dominatorCache;
  }

  /**
   * The dominators of node `index` (nearest first) and the bytes it retains: from the whole
   * tree when it was computed already, else for this node alone (a few linear passes; see dominanceOf).
   */
  dominance(index: number): Dominance {
    const cached = this.dominatorCache;
    if (cached === undefined) return dominanceOf({ ...this.data, isRoot: (i) => this.isRoot(i) }, index);
    const dominators: number[] = [];
    for (let current = cached.idom[index]!; current >= 0; current = cached.idom[current]!) dominators.push(current);
    return { dominators, retained: cached.retained[index]! };
  }

  /** Host bytes the graph holds now (typed arrays and the reverse index; strings and small maps not counted). */
  get byteLength(): number {
    const d = this.data;
    let bytes = d.index.byteLength + (this.assignedIds?.byteLength ?? 0);
    for (const array of [d.address, d.gcType, d.classId, d.refCount, d.externalRefs, d.selfSize, d.name, d.file, d.location, d.opaque, d.outStart, d.edgeTo, d.edgeType, d.edgeName]) bytes += array.byteLength;
    for (const array of [this.inStart, this.inEdges, this.edgeFrom]) bytes += array?.byteLength ?? 0;
    return bytes;
  }
}

/**
 * Node ids that stay the same for the same object across snapshots of one runtime, as
 * DevTools' comparison view expects. An id is keyed by (address, allocation generation):
 * QuickJS keeps no allocation counter, so a generation starts when an address is first
 * seen holding a GC object, and ends when a snapshot finds the address empty or holding a
 * different kind of object (GC type or class changed). An object freed and replaced by one
 * of the same class at the same address between two snapshots keeps the old id; take
 * snapshots after gc() and compare adjacent ones to keep that rare. Ids are odd numbers (as
 * V8's heap object ids) and never reused. Between snapshots it keeps the last one's
 * addresses, address index, GC types, classes and ids: about 23 bytes a node.
 */
export class StableIds {
  private previous: { address: Uint32Array; index: AddressIndex; gcType: Uint8Array; classId: Uint16Array; ids: Int32Array; edges: number } | undefined;
  private next = 1;

  /** The last snapshot's size, to size the next one's arrays (ReadOptions.expected). */
  get lastSize(): { objects: number; edges: number } | undefined {
    return this.previous && { objects: this.previous.address.length, edges: this.previous.edges };
  }

  /** Gives `graph` its ids (graph.ids) and remembers them for the next snapshot. */
  assign(graph: HeapGraph): Int32Array {
    const d = graph.data;
    const ids = new Int32Array(d.count);
    const previous = this.previous;
    for (let from = 0; from < d.count; from += CHUNK) {
      const to = Math.min(d.count, from + CHUNK);
      // Arrays as arguments, not the record: a record of another shape would make V8 recompile the loop.
      if (previous === undefined) this.next = freshIds(this.next, from, to, ids);
      else this.next = matchIds(this.next, from, to, d.address, d.gcType, d.classId, ids, previous.address, previous.index, previous.gcType, previous.classId, previous.ids);
    }
    this.previous = { address: d.address, index: d.index, gcType: d.gcType, classId: d.classId, ids, edges: d.edgeCount };
    graph.ids = ids;
    return ids;
  }
}

function countingFrom1(ids: Int32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) ids[i] = i + 1;
}

/**
 * For nodes [from, to) (see chunks.ts): each node keeps the previous snapshot's id for its address if the kind (GC type and class)
 * is the same, else gets a fresh one from `next`; returns the next free id. gc_obj_list keeps
 * its order between snapshots of an unchanged heap: the same position is checked first, and
 * only a moved object costs a lookup.
 */
function matchIds(
  next: number,
  from: number,
  to: number,
  address: Uint32Array,
  gcType: Uint8Array,
  classId: Uint16Array,
  ids: Int32Array,
  previousAddress: Uint32Array,
  previousIndex: AddressIndex,
  previousGcType: Uint8Array,
  previousClassId: Uint16Array,
  previousIds: Int32Array,
): number {
  for (let i = from; i < to; i++) {
    const before = previousAddress[i] === address[i] ? i : previousIndex.get(address[i]!);
    if (before !== -1 && previousGcType[before] === gcType[i] && previousClassId[before] === classId[i]) ids[i] = previousIds[before]!;
    else {
      ids[i] = next;
      next += 2;
    }
  }
  return next;
}

/** Fresh ids for nodes [from, to) of a first snapshot; returns the next free id. */
function freshIds(next: number, from: number, to: number, ids: Int32Array): number {
  for (let i = from; i < to; i++, next += 2) ids[i] = next;
  return next;
}
