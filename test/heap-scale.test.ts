import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseHeapSnapshot } from "./heapsnapshot-file.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** The heap tools on worlds of game size: flat graphs, long chains, streamed files. */

const WORLD = `export class Item {
  tags: string[];
  constructor(public id: number) { this.tags = ["item", "n" + (id % 13)]; }
}
export const world: Item[] = [];
export function populate(count: number): number {
  for (let i = 0; i < count; i++) world.push(new Item(i));
  return world.length;
}
export function chain(length: number): number {
  let head = null;
  for (let i = 0; i < length; i++) head = { next: head, i };
  globalThis.head = head;
  return length;
}`;

describe("heap snapshots at game size", () => {
  it("a 100k-object world: the graph is flat (bytes per node bounded), the written file is valid and names every Item", async () => {
    const folder = await scriptsFolder({ "world.ts": WORLD });
    const runtime = await runtimeFor(folder, { memoryLimit: 512 << 20, timeout: 20_000 });
    runtime.exports("world.ts").populate!.invoke(50_000).dispose();
    runtime.gc();
    const graph = runtime.heap.snapshot();
    expect(graph.nodeCount).toBeGreaterThan(100_000);
    // Typed arrays, not an object per node: well under the 300 bytes a node the figures allow.
    expect(graph.byteLength / graph.nodeCount).toBeLessThan(120);
    const items = graph.nodes.filter((node) => node.name === "Item" && node.kind === "object");
    expect(items).toHaveLength(50_000);
    const tags = graph.outgoing(items[123]!.index).find((edge) => edge.name === "tags")!;
    expect(graph.node(tags.to)).toMatchObject({ kind: "array", name: "Array" });

    const file = path.join(tmpdir(), `graft-scale-${process.pid}-${Date.now()}.heapsnapshot`);
    try {
      await runtime.heap.write(file);
      const text = await readFile(file, "utf8");
      expect(text.length).toBeGreaterThan(4 << 20); // several of the writer's 1M-character pieces
      const parsed = parseHeapSnapshot(text);
      const written = parsed.nodes.filter((node) => node.name === "Item" && node.type === "object");
      expect(written).toHaveLength(50_000);
      expect(written.every((node) => node.edges.some((edge) => edge.nameOrIndex === "tags" && edge.to.name === "Array"))).toBe(true);
      expect(parsed.nodes.length).toBe(graph.nodeCount + 1);
    } finally {
      await rm(file, { force: true });
    }
  });

  it("a chain of 100k objects: dominators without recursion, the head retains the whole chain", async () => {
    const folder = await scriptsFolder({ "world.ts": WORLD });
    const runtime = await runtimeFor(folder, { memoryLimit: 512 << 20, timeout: 20_000 });
    runtime.exports("world.ts").chain!.invoke(100_000).dispose();
    runtime.gc();
    const graph = runtime.heap.snapshot();
    // The head: of the objects no 'next' points at, the one starting the longest chain.
    const links = new Map<number, number>();
    for (let i = 0; i < graph.nodeCount; i++) {
      const next = graph.outgoing(i).find((edge) => edge.name === "next" && edge.type === "property");
      if (next) links.set(i, next.to);
    }
    const pointedAt = new Set(links.values());
    const chainLength = (start: number): number => {
      let n = 1;
      for (let at = links.get(start); at !== undefined; at = links.get(at)) n++;
      return n;
    };
    const starts = [...links.keys()].filter((link) => !pointedAt.has(link));
    const head = graph.node(starts.reduce((best, start) => (chainLength(start) > chainLength(best) ? start : best)));
    const { idom, retained } = graph.dominators();
    let length = 0;
    let selfSizes = 0;
    for (let node: number | undefined = head.index; node !== undefined; length++) {
      selfSizes += graph.node(node).selfSize;
      const next: { to: number } | undefined = graph.outgoing(node).find((edge) => edge.name === "next" && edge.type === "property");
      if (next) expect(idom[next.to]).toBe(node);
      node = next?.to;
    }
    expect(length).toBe(100_000);
    // The head dominates every link: what it retains includes all their sizes.
    expect(retained[head.index]).toBeGreaterThanOrEqual(selfSizes);
  });
});
