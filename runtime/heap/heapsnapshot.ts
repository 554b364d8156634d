import { writeFileSync } from "node:fs";
import type { HeapGraph } from "./graph.js";
import type { EdgeType, NodeKind } from "./reader.js";

const NODE_TYPES = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape"];
const EDGE_TYPES: EdgeType[] = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"];
const NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"];

const TYPE_OF_KIND: Record<NodeKind, string> = {
  object: "object",
  array: "object",
  function: "closure",
  code: "code",
  shape: "object shape",
  "closure variable": "hidden",
  "async frame": "hidden",
  context: "native",
  module: "hidden",
};

/**
 * Serialises a heap graph as a Chrome DevTools .heapsnapshot (format notes in
 * shared/HEAPSNAPSHOT.md): node 0 is a synthetic root whose children are the heap's roots
 * and anything the roots do not reach; ids are the graph's stable ids, as odd numbers.
 */
export function toHeapSnapshot(graph: HeapGraph, describe: (index: number) => string = (index) => graph.nodes[index]!.name || graph.nodes[index]!.kind): string {
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const intern = (text: string): number => {
    let index = stringIndex.get(text);
    if (index === undefined) {
      index = strings.length;
      strings.push(text);
      stringIndex.set(text, index);
    }
    return index;
  };
  intern("");
  const fieldCount = NODE_FIELDS.length;
  const reached = graph.reachableFromRoots();
  const rootChildren = graph.nodes.filter((node) => graph.isRoot(node.index) || !reached[node.index]).map((node) => node.index);

  const nodes: number[] = [];
  const edges: number[] = [];
  // Synthetic root.
  nodes.push(NODE_TYPES.indexOf("synthetic"), intern("(graft roots)"), 0, 0, rootChildren.length, 0, 0);
  rootChildren.forEach((index, position) => edges.push(EDGE_TYPES.indexOf("element"), position + 1, (index + 1) * fieldCount));
  for (const node of graph.nodes) {
    const out = graph.outgoing(node.index);
    // Attached (1) when the roots reach it; unreached nodes hang off the synthetic root.
    nodes.push(NODE_TYPES.indexOf(TYPE_OF_KIND[node.kind]), intern(describe(node.index)), graph.ids[node.index]! * 2 + 1, node.selfSize, out.length, 0, reached[node.index] ? 1 : 0);
    let hiddenIndex = 0;
    for (const edge of out) {
      const type = EDGE_TYPES.indexOf(edge.type);
      const name = edge.type === "element" ? Number(edge.name) || 0 : edge.type === "hidden" ? hiddenIndex++ : intern(edge.name);
      edges.push(type, name, (edge.to + 1) * fieldCount);
    }
  }
  const meta = {
    node_fields: NODE_FIELDS,
    node_types: [NODE_TYPES, "string", "number", "number", "number", "number", "number"],
    edge_fields: ["type", "name_or_index", "to_node"],
    edge_types: [EDGE_TYPES, "string_or_number", "node"],
  };
  return (
    `{"snapshot":{"meta":${JSON.stringify(meta)},"node_count":${nodes.length / fieldCount},"edge_count":${edges.length / 3},"trace_function_count":0},\n` +
    `"nodes":[${nodes.join(",")}],\n"edges":[${edges.join(",")}],\n"trace_function_infos":[],"trace_tree":[],"samples":[],"locations":[],\n` +
    `"strings":${JSON.stringify(strings)}}`
  );
}

/** Writes `graph` as a .heapsnapshot file (open it in Chrome DevTools > Memory > Load). */
export function writeHeapSnapshot(path: string, graph: HeapGraph, describe?: (index: number) => string): void {
  writeFileSync(path, toHeapSnapshot(graph, describe));
}
