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
