import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseHeapSnapshot, type HeapSnapshotFile, type SnapshotNode } from "./heapsnapshot-file.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * heap.write checked without memlab: the written file is parsed by the suite's own reader
 * (every rule DevTools relies on), dominators are computed again over the parsed file by a
 * small algorithm of the test's own (Cooper, Harvey and Kennedy's iterative one, nothing like
 * graft's Lengauer–Tarjan), and the retained size of every node must agree with graft's.
 */

/** A heap of known shape: a diamond under Top, a 10-link chain, a cycle held by one holder, names that need escaping. */
const SHAPE = `export class Side { constructor(public to: object) {} }
export class Shared { payload = new Array(500).fill(3); }
export class Top {
  a: Side; b: Side;
  constructor() { const shared = new Shared(); this.a = new Side(shared); this.b = new Side(shared); }
}
export class Link { constructor(public next: Link | null) {} }
export class Ring { other: Ring | null = null; }
export class Holder { ring: Ring; constructor() { const x = new Ring(); const y = new Ring(); x.other = y; y.other = x; this.ring = x; } }
export class Odd {}
const odd: any = new Odd();
// Edges lead to objects (numbers are not heap nodes): each name holds an object.
odd['say "hi"'] = {};
odd["two\\nlines"] = {};
odd["lone \\ud800 half"] = {};
odd["caf\\u00e9 \\u{1F409}"] = {};
(globalThis as any).top = new Top();
let chain: Link | null = null;
for (let i = 0; i < 10; i++) chain = new Link(chain);
(globalThis as any).chain = chain;
(globalThis as any).holder = new Holder();
(globalThis as any).odd = odd;
`;

const NOT_RETAINING = new Set(["weak", "shortcut"]);

/** Immediate dominators over the file's retaining edges, from its synthetic root (Cooper–Harvey–Kennedy). */
function fileDominators(file: HeapSnapshotFile): { idom: Int32Array; retained: Float64Array; reached: Uint8Array } {
  const count = file.nodes.length;
  // Reverse postorder from the root, iteratively.
  const order: number[] = [];
  const reached = new Uint8Array(count);
  const stack: [SnapshotNode, number][] = [[file.root, 0]];
  reached[file.root.ordinal] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node] = top;
    let pushed = false;
    while (top[1] < node.edges.length) {
      const edge = node.edges[top[1]++]!;
      if (NOT_RETAINING.has(edge.type) || reached[edge.to.ordinal]) continue;
      reached[edge.to.ordinal] = 1;
      stack.push([edge.to, 0]);
      pushed = true;
      break;
    }
    if (!pushed) {
      order.push(node.ordinal);
      stack.pop();
    }
  }
  order.reverse();
  const rank = new Int32Array(count).fill(-1);
  order.forEach((ordinal, position) => (rank[ordinal] = position));
  const idom = new Int32Array(count).fill(-1);
  idom[file.root.ordinal] = file.root.ordinal;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rank[a]! > rank[b]!) a = idom[a]!;
      while (rank[b]! > rank[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const ordinal of order) {
      if (ordinal === file.root.ordinal) continue;
      let chosen = -1;
      for (const edge of file.nodes[ordinal]!.referrers) {
        const from = edge.from.ordinal;
        if (NOT_RETAINING.has(edge.type) || idom[from] === -1) continue;
        chosen = chosen === -1 ? from : intersect(from, chosen);
      }
      if (chosen !== idom[ordinal]) {
        idom[ordinal] = chosen;
        changed = true;
      }
    }
  }
  // Retained size: own size plus what each dominated node retains, deepest first.
  const retained = new Float64Array(count);
  for (const node of file.nodes) retained[node.ordinal] = node.selfSize;
  for (let i = order.length - 1; i > 0; i--) {
    const node = order[i]!;
    retained[idom[node]!] = retained[idom[node]!]! + retained[node]!;
  }
  return { idom, retained, reached };
}

describe("heap.write without memlab: the file is well-formed and retained sizes agree with an independent computation", () => {
  it("a heap of known shape: diamond, chain, cycle, escaped names; every node's retained size equals graft's", async () => {
    const folder = await scriptsFolder({ "shape.ts": SHAPE });
    const runtime = await runtimeFor(folder);
    const file = path.join(tmpdir(), `graft-dominators-${process.pid}-${Date.now()}.heapsnapshot`);
    try {
      runtime.gc();
      await runtime.heap.write(file);
      const parsed = parseHeapSnapshot(await readFile(file, "utf8"));
      const { idom, retained, reached } = fileDominators(parsed);
      const one = (name: string): SnapshotNode => {
        const found = parsed.nodes.filter((node) => node.name === name && node.type === "object");
        expect(found, name).toHaveLength(1);
        return found[0]!;
      };
      const all = (name: string): SnapshotNode[] => parsed.nodes.filter((node) => node.name === name && node.type === "object");
      const property = (node: SnapshotNode, name: string): SnapshotNode => node.edges.find((edge) => edge.type === "property" && edge.nameOrIndex === name)!.to;

      // The test's dominators agree with dominance by definition (reachability without the node).
      const top = one("Top");
      const shared = one("Shared");
      const sides = all("Side");
      const links = all("Link");
      const holder = one("Holder");
      expect(sides).toHaveLength(2);
      expect(links).toHaveLength(10);
      for (const node of [top, shared, ...sides, links[0]!, holder]) expect(retained[node.ordinal], node.name).toBe(parsed.retainedSize(node));

      // The known shape. Diamond: Shared (with its 500-element payload) is held by both Sides,
      // so neither retains it and Top dominates it.
      expect(idom[shared.ordinal]).toBe(top.ordinal);
      for (const side of sides) {
        expect(property(side, "to")).toBe(shared);
        expect(idom[side.ordinal]).toBe(top.ordinal);
        expect(retained[side.ordinal]).toBe(side.selfSize);
      }
      const payload = property(shared, "payload");
      expect(idom[payload.ordinal]).toBe(shared.ordinal);
      expect(retained[payload.ordinal]).toBeGreaterThanOrEqual(500 * 8);
      expect(retained[top.ordinal]).toBeGreaterThanOrEqual(top.selfSize + 2 * sides[0]!.selfSize + retained[shared.ordinal]!);
      // Chain: each link dominates the rest; the head retains all ten.
      const head = links.find((link) => !link.referrers.some((edge) => edge.from.name === "Link"))!;
      let link: SnapshotNode | undefined = head;
      let linkSizes = 0;
      let length = 0;
      while (link) {
        linkSizes += link.selfSize;
        length++;
        const next: SnapshotNode | undefined = link.edges.find((edge) => edge.type === "property" && edge.nameOrIndex === "next")?.to;
        if (next) expect(idom[next.ordinal]).toBe(link.ordinal);
        link = next;
      }
      expect(length).toBe(10); // the last link's next is null: no edge
      expect(retained[head.ordinal]).toBeGreaterThanOrEqual(linkSizes);
      expect(retained[head.ordinal]! - linkSizes).toBeLessThan(head.selfSize * 10); // the links, at most their shapes besides
      // Cycle: the two Rings hold each other; only the Holder keeps them, so it dominates both.
      expect(all("Ring")).toHaveLength(2);
      const x = property(holder, "ring");
      const y = property(x, "other");
      expect(property(y, "other")).toBe(x);
      expect(idom[x.ordinal]).toBe(holder.ordinal);
      expect(idom[y.ordinal]).toBe(x.ordinal);
      const rings = [x, y];
      expect(retained[holder.ordinal]).toBeGreaterThanOrEqual(holder.selfSize + rings[0]!.selfSize + rings[1]!.selfSize);
      // Names that need escaping survive the writer's JSON.
      const odd = one("Odd");
      const names = odd.edges.filter((edge) => edge.type === "property").map((edge) => edge.nameOrIndex);
      expect(names).toEqual(expect.arrayContaining(['say "hi"', "two\nlines", "lone \ud800 half", "café \u{1F409}"]));

      // Every node the roots reach: graft's retained size (its own dominators, by stable id) equals the file's.
      const graph = runtime.heap.snapshot();
      const graftRetained = graph.dominators().retained;
      const byId = new Map<number, number>();
      for (let index = 0; index < graph.nodeCount; index++) byId.set(graph.ids[index]! * 2 + 1, index);
      let compared = 0;
      const differing: string[] = [];
      for (const node of parsed.nodes) {
        if (node === parsed.root || !reached[node.ordinal] || node.detachedness !== 1) continue;
        const index = byId.get(node.id);
        expect(index, `node ${node.name} (id ${node.id}) is in graft's graph`).toBeDefined();
        if (Math.round(graftRetained[index!]!) !== retained[node.ordinal]) differing.push(`${node.type} ${node.name}: file ${retained[node.ordinal]}, graft ${graftRetained[index!]}`);
        compared++;
      }
      expect(differing).toEqual([]);
      expect(compared).toBeGreaterThan(1000); // the whole heap: kernel, contexts, the shape above
    } finally {
      await rm(file, { force: true });
    }
  });
});

describe("one node's dominance (what leaks() reports without the whole dominator tree)", () => {
  it("equals the independent computation for every node the roots reach: retained size and immediate dominator", async () => {
    const folder = await scriptsFolder({ "shape.ts": SHAPE });
    const runtime = await runtimeFor(folder);
    const file = path.join(tmpdir(), `graft-dominance-${process.pid}-${Date.now()}.heapsnapshot`);
    try {
      runtime.gc();
      await runtime.heap.write(file);
      const parsed = parseHeapSnapshot(await readFile(file, "utf8"));
      const { idom, retained, reached } = fileDominators(parsed);
      // The same heap read again: graph.dominance(i) before graph.dominators() computes it for node i alone.
      const graph = runtime.heap.snapshot();
      const byId = new Map<number, number>();
      for (let index = 0; index < graph.nodeCount; index++) byId.set(graph.ids[index]! * 2 + 1, index);
      const fileIdOfIndex = (index: number): number => graph.ids[index]! * 2 + 1;
      const differing: string[] = [];
      let compared = 0;
      for (const node of parsed.nodes) {
        if (node === parsed.root || !reached[node.ordinal] || node.detachedness !== 1) continue;
        const index = byId.get(node.id);
        expect(index, `node ${node.name} (id ${node.id}) is in graft's graph`).toBeDefined();
        const one = graph.dominance(index!);
        const fileIdom = parsed.nodes[idom[node.ordinal]!]!;
        const graftIdom = one.dominators[0];
        const sameIdom = graftIdom === undefined ? fileIdom === parsed.root || fileIdom.detachedness !== 1 : fileIdOfIndex(graftIdom) === fileIdom.id;
        if (Math.round(one.retained) !== retained[node.ordinal] || !sameIdom) differing.push(`${node.type} ${node.name}: file ${retained[node.ordinal]} under ${fileIdom.name}, graft ${one.retained} under ${graftIdom}`);
        compared++;
      }
      expect(differing).toEqual([]);
      expect(compared).toBeGreaterThan(1000);
    } finally {
      await rm(file, { force: true });
    }
  });
});
