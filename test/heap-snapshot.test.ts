import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseHeapSnapshot } from "./heapsnapshot-file.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

describe("heap.write: Chrome DevTools .heapsnapshot", () => {
  it("is a valid DevTools snapshot with a known object, its retainer and its retained size", async () => {
    const folder = await scriptsFolder({
      "game.ts": `export class Treasure { constructor(public gold: number[]) {} }\nglobalThis.hoard = new Treasure(new Array(1000).fill(7));\n`,
    });
    const runtime = await runtimeFor(folder);
    const file = path.join(tmpdir(), `graft-${process.pid}-${Date.now()}.heapsnapshot`);
    try {
      await runtime.heap.write(file);
      const text = await readFile(file, "utf8");
      expect(Object.keys(JSON.parse(text) as object)).toEqual(["snapshot", "nodes", "edges", "trace_function_infos", "trace_tree", "samples", "locations", "strings"]);
      // An independent reader of the format: every rule DevTools relies on, and dominance by definition.
      const snapshot = parseHeapSnapshot(text);
      const treasures = snapshot.nodes.filter((node) => node.name === "Treasure" && node.type === "object");
      expect(treasures).toHaveLength(1);
      const treasure = treasures[0]!;
      expect(treasure.referrers.map((edge) => String(edge.nameOrIndex))).toContain("hoard");
      // the 1000-element array is dominated by the treasure: its size is in the retained size
      const retained = snapshot.retainedSize(treasure);
      expect(retained).toBeGreaterThan(8000);
      // graft's own dominators agree with the file's on the same heap
      const graph = runtime.heap.snapshot();
      const ours = graph.nodes.find((node) => node.name === "Treasure" && node.kind === "object")!;
      expect(treasure.id).toBe(graph.ids[ours.index]! * 2 + 1);
      expect(Math.round(graph.dominators().retained[ours.index]!)).toBe(retained);
    } finally {
      await rm(file, { force: true });
    }
  });

  it("keeps node ids stable across snapshots of one runtime", async () => {
    const folder = await scriptsFolder({ "a.ts": `globalThis.early = Array.from({ length: 100 }, () => ({}));\nexport class Keep {}\nglobalThis.kept = new Keep();\n` });
    const runtime = await runtimeFor(folder);
    const idOf = (graph: ReturnType<typeof runtime.heap.snapshot>) => graph.ids[graph.nodes.find((node) => node.name === "Keep" && node.kind === "object")!.index];
    const first = idOf(runtime.heap.snapshot());
    runtime.evaluate("a.ts", "globalThis.noise = Array.from({ length: 100 }, () => ({}))").dispose();
    expect(idOf(runtime.heap.snapshot())).toBe(first);
    // Objects freed by a collection: every later object moves up the GC list, and keeps its id.
    const before = runtime.heap.snapshot();
    const keptAt = before.nodes.find((node) => node.name === "Keep" && node.kind === "object")!.index;
    runtime.evaluate("a.ts", "globalThis.noise = undefined; globalThis.early = undefined").dispose();
    runtime.gc();
    const after = runtime.heap.snapshot();
    const keptNow = after.nodes.find((node) => node.name === "Keep" && node.kind === "object")!.index;
    expect(after.nodeCount).toBeLessThan(before.nodeCount - 100);
    expect(after.ids[keptNow]).toBe(first);
    expect(keptNow).toBeLessThan(keptAt); // it moved up the list: found by its address, not its position
  });
});

describe("the test suite's .heapsnapshot reader", () => {
  // The 3-node example of docs/heapsnapshot.md: root -> Player (48 bytes) -> update (32 bytes).
  const example = {
    snapshot: {
      meta: {
        node_fields: ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
        node_types: [["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape"], "string", "number", "number", "number", "number", "number"],
        edge_fields: ["type", "name_or_index", "to_node"],
        edge_types: [["context", "element", "property", "internal", "hidden", "shortcut", "weak"], "string_or_number", "node"],
      },
      node_count: 3,
      edge_count: 2,
      trace_function_count: 0,
    },
    nodes: [9, 0, 1, 0, 1, 0, 0, 3, 1, 3, 48, 1, 0, 0, 5, 2, 5, 32, 0, 0, 0],
    edges: [1, 1, 7, 2, 2, 14],
    strings: ["", "Player", "update"],
  };

  it("reads the format's own example, with retained sizes by dominance", () => {
    const parsed = parseHeapSnapshot(JSON.stringify(example));
    const player = parsed.nodes.find((node) => node.name === "Player")!;
    expect(player.edges.map((edge) => [edge.nameOrIndex, edge.to.name])).toEqual([["update", "update"]]);
    expect(parsed.retainedSize(player)).toBe(80);
  });

  it("rejects what DevTools cannot load", () => {
    expect(() => parseHeapSnapshot(JSON.stringify({ ...example, edges: [1, 1, 7, 2, 2, 13] }))).toThrow(/not a node position/);
    const { strings, ...rest } = example;
    expect(() => parseHeapSnapshot(JSON.stringify({ strings, ...rest }))).toThrow(/'strings' must be the last key/);
    expect(() => parseHeapSnapshot(JSON.stringify({ ...example, snapshot: { ...example.snapshot, edge_count: 3 } }))).toThrow(/edge_count 3/);
  });
});
