/**
 * Immediate dominators and retained sizes over strong edges, from a synthetic root whose
 * children are the heap's roots: Lengauer–Tarjan (simple version, path compression) on
 * typed arrays, iterative throughout, so that millions of nodes cost neither recursion nor
 * an object per node.
 */
import { EDGE } from "./heap-data.js";

export interface DominatorInput {
  count: number;
  outStart: Int32Array;
  edgeTo: Int32Array;
  edgeType: Uint8Array;
  selfSize: Float64Array;
  isRoot(index: number): boolean;
}

/** idom[i]: the immediate dominator of node i, -1 for the synthetic root (and for unreached nodes); retained[i]: bytes node i keeps alive. */
export function computeDominators(graph: DominatorInput): { idom: Int32Array; retained: Float64Array } {
  const n = graph.count;
  const root = n; // synthetic
  const { outStart, edgeTo, edgeType } = graph;
  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (graph.isRoot(i)) roots.push(i);

  // DFS numbering (preorder), with each node's DFS parent. Vertex numbers start at 0 (the root).
  const semi = new Int32Array(n + 1).fill(-1);
  const vertex = new Int32Array(n + 1);
  const parent = new Int32Array(n + 1).fill(-1);
  let numbered = 0;
  const stackNode = new Int32Array(n + 1);
  const stackEdge = new Int32Array(n + 1);
  semi[root] = numbered;
  vertex[numbered++] = root;
  let top = 0;
  stackNode[0] = root;
  stackEdge[0] = 0;
  while (top >= 0) {
    const v = stackNode[top]!;
    let next = -1;
    if (v === root) {
      while (stackEdge[top]! < roots.length) {
        const candidate = roots[stackEdge[top]!++]!;
        if (semi[candidate] === -1) {
          next = candidate;
          break;
        }
      }
    } else {
      const end = outStart[v + 1]!;
      while (outStart[v]! + stackEdge[top]! < end) {
        const e = outStart[v]! + stackEdge[top]!++;
        if (edgeType[e] === EDGE.weak) continue;
        const candidate = edgeTo[e]!;
        if (semi[candidate] === -1) {
          next = candidate;
          break;
        }
      }
    }
    if (next === -1) {
      top--;
      continue;
    }
    parent[next] = v;
    semi[next] = numbered;
    vertex[numbered++] = next;
    stackNode[++top] = next;
    stackEdge[top] = 0;
  }

  // Predecessors of reached nodes over strong edges (the root precedes each heap root).
  const predStart = new Int32Array(n + 2);
  for (let v = 0; v < n; v++) {
    if (semi[v] === -1) continue;
    for (let e = outStart[v]!; e < outStart[v + 1]!; e++) if (edgeType[e] !== EDGE.weak && semi[edgeTo[e]!] !== -1) predStart[edgeTo[e]! + 1]! += 1;
  }
  for (const r of roots) predStart[r + 1]! += 1;
  for (let i = 0; i <= n; i++) predStart[i + 1]! += predStart[i]!;
  const predFill = predStart.slice(0, n + 1);
  const preds = new Int32Array(predStart[n + 1]!);
  for (let v = 0; v < n; v++) {
    if (semi[v] === -1) continue;
    for (let e = outStart[v]!; e < outStart[v + 1]!; e++) if (edgeType[e] !== EDGE.weak && semi[edgeTo[e]!] !== -1) preds[predFill[edgeTo[e]!]!++] = v;
  }
  for (const r of roots) preds[predFill[r]!++] = root;

  const ancestor = new Int32Array(n + 1).fill(-1);
  const label = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) label[i] = i;
  const idom = new Int32Array(n + 1).fill(-1);
  // Buckets as linked lists: bucketHead[w] -> first v with vertex[semi[v]] === w, bucketNext[v] -> next.
  const bucketHead = new Int32Array(n + 1).fill(-1);
  const bucketNext = new Int32Array(n + 1).fill(-1);
  const path = new Int32Array(n + 1);

  const evaluate = (v: number): number => {
    if (ancestor[v] === -1) return v;
    // Compress the ancestor path of v, iteratively.
    let length = 0;
    let u = v;
    while (ancestor[ancestor[u]!]! !== -1) {
      path[length++] = u;
      u = ancestor[u]!;
    }
    for (let i = length - 1; i >= 0; i--) {
      const w = path[i]!;
      const a = ancestor[w]!;
      if (semi[label[a]!]! < semi[label[w]!]!) label[w] = label[a]!;
      ancestor[w] = ancestor[a]!;
    }
    return label[v]!;
  };

  for (let i = numbered - 1; i > 0; i--) {
    const w = vertex[i]!;
    for (let p = predStart[w]!; p < predStart[w + 1]!; p++) {
      const u = evaluate(preds[p]!);
      if (semi[u]! < semi[w]!) semi[w] = semi[u]!;
    }
    const s = vertex[semi[w]!]!;
    bucketNext[w] = bucketHead[s]!;
    bucketHead[s] = w;
    const p = parent[w]!;
    ancestor[w] = p;
    for (let v = bucketHead[p]!; v !== -1; v = bucketNext[v]!) {
      const u = evaluate(v);
      idom[v] = semi[u]! < semi[v]! ? u : p;
    }
    bucketHead[p] = -1;
  }
  for (let i = 1; i < numbered; i++) {
    const w = vertex[i]!;
    if (idom[w] !== vertex[semi[w]!]) idom[w] = idom[idom[w]!]!;
  }

  const retained = new Float64Array(n + 1);
  retained.set(graph.selfSize.subarray(0, n));
  for (let i = numbered - 1; i > 0; i--) {
    const w = vertex[i]!;
    const d = idom[w]!;
    if (d >= 0) retained[d]! += retained[w]!;
  }
  const result = new Int32Array(n);
  for (let i = 0; i < n; i++) result[i] = idom[i] === root ? -1 : idom[i]!;
  return { idom: result, retained: retained.subarray(0, n) };
}

/** What dominates one node: its dominators, nearest first (heap nodes only), and the bytes it retains. */
export interface Dominance {
  dominators: number[];
  retained: number;
}

/**
 * computeDominators' answer for one node `target`, in three linear passes instead of the
 * whole tree (a leak report needs it for a few nodes only):
 * 1. a breadth-first path P from the roots to the target;
 * 2. the region the roots reach without the target, grown one node of P at a time: P[i]
 *    dominates the target exactly when everything reached before P[i] is expanded leaves
 *    through P[i] alone (the furthest node of P it touches is P[i]);
 * 3. what the target reaches outside that region is what it retains (dominance by
 *    definition: reachable only through the target).
 * An unreached target has no dominators and retains its own size, as in computeDominators.
 */
export function dominanceOf(graph: DominatorInput, target: number): Dominance {
  const n = graph.count;
  const { outStart, edgeTo, edgeType, selfSize } = graph;
  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (graph.isRoot(i)) roots.push(i);
  const queue = new Int32Array(n);

  // 1. P, by parent links of a breadth-first search from the roots.
  const parent = new Int32Array(n).fill(-2);
  let tail = 0;
  for (const r of roots) {
    parent[r] = -1;
    queue[tail++] = r;
  }
  for (let head = 0; head < tail && parent[target] === -2; head++) {
    const v = queue[head]!;
    for (let e = outStart[v]!; e < outStart[v + 1]!; e++) {
      const w = edgeTo[e]!;
      if (edgeType[e] === EDGE.weak || parent[w] !== -2) continue;
      parent[w] = v;
      queue[tail++] = w;
    }
  }
  if (parent[target] === -2) return { dominators: [], retained: selfSize[target]! };
  const path: number[] = [];
  for (let v = target; v !== -1; v = parent[v]!) path.push(v);
  path.reverse(); // path[0] is a root, path[k] the target; position on P is index + 1 (0: the synthetic root)
  const position = parent; // reused: position on P, or 0 off it
  position.fill(0);
  for (let i = 0; i < path.length; i++) position[path[i]!] = i + 1;

  // 2. The region reached without nodes of P from P[i] on, and the furthest node of P it touches.
  const seen = new Uint8Array(n);
  let furthest = 0;
  tail = 0;
  const reach = (w: number): void => {
    if (position[w]! > 0) furthest = Math.max(furthest, position[w]!);
    else if (seen[w] === 0) {
      seen[w] = 1;
      queue[tail++] = w;
    }
  };
  const drain = (): void => {
    for (let head = 0; head < tail; head++) {
      const v = queue[head]!;
      for (let e = outStart[v]!; e < outStart[v + 1]!; e++) if (edgeType[e] !== EDGE.weak) reach(edgeTo[e]!);
    }
    tail = 0;
  };
  for (const r of roots) reach(r);
  drain();
  const dominators: number[] = [];
  const k = path.length;
  for (let i = 1; i < k; i++) {
    const v = path[i - 1]!;
    if (furthest === i) dominators.push(v);
    seen[v] = 1;
    for (let e = outStart[v]!; e < outStart[v + 1]!; e++) if (edgeType[e] !== EDGE.weak) reach(edgeTo[e]!);
    drain();
  }
  dominators.reverse();

  // 3. What only the target reaches.
  let retained = selfSize[target]!;
  seen[target] = 1;
  queue[0] = target;
  tail = 1;
  for (let head = 0; head < tail; head++) {
    const v = queue[head]!;
    for (let e = outStart[v]!; e < outStart[v + 1]!; e++) {
      const w = edgeTo[e]!;
      if (edgeType[e] === EDGE.weak || seen[w] === 1) continue;
      seen[w] = 1;
      retained += selfSize[w]!;
      queue[tail++] = w;
    }
  }
  return { dominators, retained };
}
