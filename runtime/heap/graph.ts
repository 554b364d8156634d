import type { ExternalHolder, HeapEdge, HeapNode, RawHeap } from "./reader.js";

/** One step of a retainer path: `holder` refers to the previous object through `edge`. */
export interface PathStep {
  edge: HeapEdge;
  holder: HeapNode;
}

/**
 * Every live GC object and the references between them, with roots, shortest retainer
 * paths and dominators. Indices are positions in `nodes`; `ids` are stable per runtime.
 */
export class HeapGraph {
  readonly nodes: HeapNode[];
  readonly edges: HeapEdge[];
  /** What holds each root from outside the heap ("ScriptValue held by the host", ...). */
  readonly rootLabels = new Map<number, string>();
  private readonly byAddress: Map<number, number>;
  private readonly outStart: Int32Array;
  private readonly outEdges: Int32Array;
  private readonly inStart: Int32Array;
  private readonly inEdges: Int32Array;
  private dominatorCache: { idom: Int32Array; retained: Float64Array } | undefined;

  /** What holds nodes from outside the heap, as the reader found them (jobs, contexts, host handles). */
  readonly holders: ExternalHolder[];
  /** Node index of a context's global object or global lexical scope -> node index of the context. */
  readonly globals: Map<number, number>;
  /** Node index of a context -> its script file. */
  readonly contextFiles: Map<number, string>;

  /**
   * `ids`: stable ids per node (StableIds.assign); when omitted, ids are indices + 1 and
   * are not stable across snapshots.
   */
  constructor(
    raw: RawHeap,
    readonly ids: Int32Array = Int32Array.from(raw.nodes, (_, index) => index + 1),
  ) {
    this.nodes = raw.nodes;
    this.edges = raw.edges;
    this.byAddress = raw.byAddress;
    this.holders = raw.holders ?? [];
    this.globals = raw.globals ?? new Map();
    this.contextFiles = raw.contextFiles ?? new Map();
    for (const holder of this.holders) {
      const known = this.rootLabels.get(holder.node);
      if (known === undefined) this.rootLabels.set(holder.node, holder.label);
      else if (!known.includes(holder.label)) this.rootLabels.set(holder.node, `${known}; ${holder.label}`);
    }
    const count = this.nodes.length;
    [this.outStart, this.outEdges] = buildIndex(count, this.edges, (edge) => edge.from);
    [this.inStart, this.inEdges] = buildIndex(count, this.edges, (edge) => edge.to);
  }

  /** Node index of the GC object at `address` (an object's JSObject*, a context's JSContext*). */
  indexOf(address: number): number | undefined {
    return this.byAddress.get(address);
  }

  /** The node of the GC object at `address`. */
  find(address: number): HeapNode | undefined {
    const index = this.byAddress.get(address);
    return index === undefined ? undefined : this.nodes[index];
  }

  /** The node with stable id `id`. */
  byId(id: number): HeapNode | undefined {
    const index = this.ids.indexOf(id);
    return index === -1 ? undefined : this.nodes[index];
  }

  isRoot(index: number): boolean {
    return this.nodes[index]!.externalRefs > 0 || this.rootLabels.has(index);
  }

  outgoing(index: number): HeapEdge[] {
    const result: HeapEdge[] = [];
    for (let i = this.outStart[index]!; i < this.outStart[index + 1]!; i++) result.push(this.edges[this.outEdges[i]!]!);
    return result;
  }

  incoming(index: number): HeapEdge[] {
    const result: HeapEdge[] = [];
    for (let i = this.inStart[index]!; i < this.inStart[index + 1]!; i++) result.push(this.edges[this.inEdges[i]!]!);
    return result;
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
      if (rest) paths.push([{ edge: first, holder: this.nodes[first.from]! }, ...rest]);
    }
    if (this.isRoot(target)) paths.unshift([]);
    return paths.sort((a, b) => a.length - b.length).slice(0, limit);
  }

  private shortestToRoot(start: number, avoid: number, skip: (edge: HeapEdge) => boolean): PathStep[] | undefined {
    if (this.isRoot(start)) return [];
    const via = new Map<number, HeapEdge>();
    const queue = [start];
    const seen = new Set([start, avoid]);
    for (let head = 0; head < queue.length; head++) {
      const current = queue[head]!;
      for (const edge of this.incoming(current)) {
        if (edge.type === "weak" || skip(edge) || seen.has(edge.from)) continue;
        seen.add(edge.from);
        via.set(edge.from, edge);
        if (this.isRoot(edge.from)) {
          const steps: PathStep[] = [];
          for (let node = edge.from; node !== start; ) {
            const step = via.get(node)!;
            steps.unshift({ edge: step, holder: this.nodes[node]! });
            node = step.to;
          }
          return steps;
        }
        queue.push(edge.from);
      }
    }
    return undefined;
  }

  /** Every node reachable from the roots over strong edges. */
  reachableFromRoots(): Uint8Array {
    const reached = new Uint8Array(this.nodes.length);
    const queue: number[] = [];
    for (const node of this.nodes) if (this.isRoot(node.index)) {
      reached[node.index] = 1;
      queue.push(node.index);
    }
    for (let head = 0; head < queue.length; head++) {
      for (const edge of this.outgoing(queue[head]!)) {
        if (edge.type === "weak" || reached[edge.to]) continue;
        reached[edge.to] = 1;
        queue.push(edge.to);
      }
    }
    return reached;
  }

  /** Immediate dominators (index; -1 for the synthetic root) and retained sizes. */
  dominators(): { idom: Int32Array; retained: Float64Array } {
    this.dominatorCache ??= computeDominators(this);
    return this.dominatorCache;
  }

  /** An object's [[Prototype]]: the prototype its shape records. */
  prototypeOf(index: number): number | undefined {
    const shape = this.outgoing(index).find((edge) => edge.name === "shape" && edge.type === "hidden");
    return shape && this.outgoing(shape.to).find((edge) => edge.name === "prototype")?.to;
  }

  /** Whether `ancestor` is on the prototype chain of `index` (not `index` itself). */
  inheritsFrom(index: number, ancestor: number): boolean {
    let proto = this.prototypeOf(index);
    for (let depth = 0; proto !== undefined && depth < 64; depth++) {
      if (proto === ancestor) return true;
      proto = this.prototypeOf(proto);
    }
    return false;
  }

  /** The objects whose prototype chain includes `prototypeAddress` (instances of a class). */
  instancesOf(prototypeAddress: number): number[] {
    const prototype = this.indexOf(prototypeAddress);
    if (prototype === undefined) return [];
    return this.nodes.filter((node) => node.gcType === 0 && node.index !== prototype && this.inheritsFrom(node.index, prototype)).map((node) => node.index);
  }
}

function buildIndex(count: number, edges: HeapEdge[], key: (edge: HeapEdge) => number): [Int32Array, Int32Array] {
  const start = new Int32Array(count + 1);
  for (const edge of edges) start[key(edge) + 1]! += 1;
  for (let i = 0; i < count; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, count);
  const list = new Int32Array(edges.length);
  edges.forEach((edge, index) => {
    list[fill[key(edge)]!++] = index;
  });
  return [start, list];
}

/**
 * Lengauer–Tarjan (simple version, path compression) over strong edges, from a synthetic
 * root whose children are the heap's roots. Unreached nodes get no dominator and retain
 * only themselves.
 */
function computeDominators(graph: HeapGraph): { idom: Int32Array; retained: Float64Array } {
  const n = graph.nodes.length;
  const root = n; // synthetic
  const successors = (v: number): number[] => {
    if (v === root) return graph.nodes.filter((node) => graph.isRoot(node.index)).map((node) => node.index);
    return graph.outgoing(v).filter((edge) => edge.type !== "weak").map((edge) => edge.to);
  };
  const semi = new Int32Array(n + 1).fill(-1);
  const vertex: number[] = [];
  const parent = new Int32Array(n + 1).fill(-1);
  const ancestor = new Int32Array(n + 1).fill(-1);
  const label = new Int32Array(n + 1);
  const idom = new Int32Array(n + 1).fill(-1);
  const predecessors: number[][] = Array.from({ length: n + 1 }, () => []);
  for (let i = 0; i <= n; i++) label[i] = i;

  // Iterative DFS numbering.
  const stack: [number, number][] = [[root, -1]];
  while (stack.length > 0) {
    const [v, from] = stack.pop()!;
    if (from !== -1) predecessors[v]!.push(from);
    if (semi[v] !== -1) continue;
    semi[v] = vertex.length;
    vertex.push(v);
    parent[v] = from;
    const next = successors(v);
    for (let i = next.length - 1; i >= 0; i--) stack.push([next[i]!, v]);
  }

  const compress = (v: number): void => {
    const path: number[] = [];
    let u = v;
    while (ancestor[ancestor[u]!]! !== -1) {
      path.push(u);
      u = ancestor[u]!;
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const w = path[i]!;
      const a = ancestor[w]!;
      if (semi[label[a]!]! < semi[label[w]!]!) label[w] = label[a]!;
      ancestor[w] = ancestor[a]!;
    }
  };
  const evaluate = (v: number): number => {
    if (ancestor[v] === -1) return v;
    compress(v);
    return label[v]!;
  };

  const bucket: number[][] = Array.from({ length: n + 1 }, () => []);
  for (let i = vertex.length - 1; i > 0; i--) {
    const w = vertex[i]!;
    for (const v of predecessors[w]!) {
      if (semi[v] === -1) continue;
      const u = evaluate(v);
      if (semi[u]! < semi[w]!) semi[w] = semi[u]!;
    }
    bucket[vertex[semi[w]!]!]!.push(w);
    ancestor[w] = parent[w]!;
    const p = parent[w]!;
    for (const v of bucket[p]!) {
      const u = evaluate(v);
      idom[v] = semi[u]! < semi[v]! ? u : p;
    }
    bucket[p] = [];
  }
  for (let i = 1; i < vertex.length; i++) {
    const w = vertex[i]!;
    if (idom[w] !== vertex[semi[w]!]) idom[w] = idom[idom[w]!]!;
  }

  const retained = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) retained[i] = graph.nodes[i]!.selfSize;
  for (let i = vertex.length - 1; i > 0; i--) {
    const w = vertex[i]!;
    const d = idom[w]!;
    if (d >= 0) retained[d]! += retained[w]!;
  }
  const result = new Int32Array(n);
  for (let i = 0; i < n; i++) result[i] = idom[i] === root ? -1 : idom[i]!;
  return { idom: result, retained: retained.subarray(0, n) };
}

/**
 * Node ids that stay the same for the same object across snapshots of one runtime, as
 * DevTools' comparison view expects. An id is keyed by (address, allocation generation):
 * QuickJS keeps no allocation counter, so a generation starts when an address is first
 * seen holding a GC object, and ends when a snapshot finds the address empty or holding a
 * different kind of object (GC type or class changed). An object freed and replaced by one
 * of the same class at the same address between two snapshots keeps the old id; take
 * snapshots after gc() and compare adjacent ones to keep that rare. Ids are odd numbers (as
 * V8's heap object ids) and never reused.
 */
export class StableIds {
  private readonly known = new Map<number, { id: number; gcType: number; classId: number }>();
  private next = 1;

  assign(nodes: readonly HeapNode[]): Int32Array {
    const ids = new Int32Array(nodes.length);
    const seen = new Set<number>();
    for (const node of nodes) {
      const known = this.known.get(node.address);
      let id: number;
      if (known && known.gcType === node.gcType && known.classId === node.classId) id = known.id;
      else {
        id = this.next;
        this.next += 2;
        this.known.set(node.address, { id, gcType: node.gcType, classId: node.classId });
      }
      ids[node.index] = id;
      seen.add(node.address);
    }
    for (const address of this.known.keys()) if (!seen.has(address)) this.known.delete(address);
    return ids;
  }
}
