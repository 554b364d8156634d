import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

interface MemlabNode {
  id: number;
  name: string;
  retainedSize: number;
  referrers: { fromNode: MemlabNode; name_or_index: string | number }[];
}
interface MemlabSnapshot {
  nodes: { forEach(callback: (node: MemlabNode) => void): void };
}
const memlab = createRequire(import.meta.url)("@memlab/core") as {
  utils: { getSnapshotFromFile(file: string, options: { buildNodeIdIndex: boolean }): Promise<MemlabSnapshot> };
  config: { muteConsole: boolean };
  TraceFinder: new () => { calculateAllNodesRetainedSizes(snapshot: MemlabSnapshot): void };
};

describe("heap.write: Chrome DevTools .heapsnapshot", () => {
  it("loads in memlab's parser with a known object, its retainer and its retained size", async () => {
    const folder = await scriptsFolder({
      "game.ts": `export class Treasure { constructor(public gold: number[]) {} }\nglobalThis.hoard = new Treasure(new Array(1000).fill(7));\n`,
    });
    const runtime = await runtimeFor(folder);
    const file = path.join(tmpdir(), `graft-${process.pid}-${Date.now()}.heapsnapshot`);
    try {
      runtime.heap.write(file);
      const text = await readFile(file, "utf8");
      expect(Object.keys(JSON.parse(text) as object)).toEqual(["snapshot", "nodes", "edges", "trace_function_infos", "trace_tree", "samples", "locations", "strings"]);
      memlab.config.muteConsole = true;
      const snapshot = await memlab.utils.getSnapshotFromFile(file, { buildNodeIdIndex: true });
      // memlab's own dominator tree (Lengauer–Tarjan) and retained sizes, not graft's.
      new memlab.TraceFinder().calculateAllNodesRetainedSizes(snapshot);
      const treasures: MemlabNode[] = [];
      snapshot.nodes.forEach((node) => {
        if (node.name === "Treasure") treasures.push(node);
      });
      expect(treasures).toHaveLength(1);
      const treasure = treasures[0]!;
      expect(treasure.referrers.map((edge) => String(edge.name_or_index))).toContain("hoard");
      // the 1000-element array is dominated by the treasure: its size is in the retained size
      expect(treasure.retainedSize).toBeGreaterThan(8000);
      // graft's own dominators agree with memlab's on the same heap
      const graph = runtime.heap.snapshot();
      const ours = graph.nodes.find((node) => node.name === "Treasure" && node.kind === "object")!;
      expect(Math.round(graph.dominators().retained[ours.index]!)).toBe(treasure.retainedSize);
    } finally {
      await rm(file, { force: true });
    }
  });

  it("keeps node ids stable across snapshots of one runtime", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class Keep {}\nglobalThis.kept = new Keep();\n` });
    const runtime = await runtimeFor(folder);
    const idOf = (graph: ReturnType<typeof runtime.heap.snapshot>) => graph.ids[graph.nodes.find((node) => node.name === "Keep" && node.kind === "object")!.index];
    const first = idOf(runtime.heap.snapshot());
    runtime.evaluate("a.ts", "globalThis.noise = Array.from({ length: 100 }, () => ({}))").dispose();
    expect(idOf(runtime.heap.snapshot())).toBe(first);
  });
});
