import { closeSync, openSync, writeSync } from "node:fs";
import type { HeapGraph } from "./graph.js";
import { EDGE, EDGE_TYPES, type NodeKind } from "./heap-data.js";

const NODE_TYPES = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape"];
const NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"];
const FIELD_COUNT = NODE_FIELDS.length;
/** Text is handed to the file in pieces of about this many characters: the file is never one string. */
const CHUNK = 1 << 20;

const TYPE_OF_KIND: Record<NodeKind, number> = {
  object: NODE_TYPES.indexOf("object"),
  array: NODE_TYPES.indexOf("object"),
  function: NODE_TYPES.indexOf("closure"),
  code: NODE_TYPES.indexOf("code"),
  shape: NODE_TYPES.indexOf("object shape"),
  "closure variable": NODE_TYPES.indexOf("hidden"),
  "async frame": NODE_TYPES.indexOf("hidden"),
  context: NODE_TYPES.indexOf("native"),
  module: NODE_TYPES.indexOf("hidden"),
};

/** Where the text goes: a file (streamed) or a string (for small heaps and tests). */
interface Sink {
  write(text: string): void;
}

/**
 * Serialises a heap graph as a Chrome DevTools .heapsnapshot: node 0 is a synthetic root
 * whose children are the heap's roots and anything the roots do not reach; ids are the
 * graph's stable ids, as odd numbers. Names are the graph's interned strings (node
 * descriptions are added to the same table), written once at the end as the format asks.
 */
function serialise(graph: HeapGraph, describe: (index: number) => string, sink: Sink): void {
  const d = graph.data;
  const strings = d.strings;
  const count = d.count;
  const reached = graph.reachableFromRoots();
  const rootChildren: number[] = [];
  for (let i = 0; i < count; i++) if (graph.isRoot(i) || !reached[i]) rootChildren.push(i);
  const meta = {
    node_fields: NODE_FIELDS,
    node_types: [NODE_TYPES, "string", "number", "number", "number", "number", "number"],
    edge_fields: ["type", "name_or_index", "to_node"],
    edge_types: [EDGE_TYPES, "string_or_number", "node"],
  };
  let text = `{"snapshot":{"meta":${JSON.stringify(meta)},"node_count":${count + 1},"edge_count":${d.edgeCount + rootChildren.length},"trace_function_count":0},\n"nodes":[`;
  const flush = (): void => {
    sink.write(text);
    text = "";
  };

  // Nodes: the synthetic root, then every node with its name (interned as it goes).
  text += `${NODE_TYPES.indexOf("synthetic")},${strings.intern("(graft roots)")},0,0,${rootChildren.length},0,0`;
  for (let i = 0; i < count; i++) {
    const name = strings.intern(describe(i));
    const edges = d.outStart[i + 1]! - d.outStart[i]!;
    // Attached (1) when the roots reach it; unreached nodes hang off the synthetic root.
    text += `,${TYPE_OF_KIND[graph.kindOf(i)]},${name},${graph.ids[i]! * 2 + 1},${d.selfSize[i]!},${edges},0,${reached[i] ? 1 : 0}`;
    if (text.length > CHUNK) flush();
  }

  // Edges, in node order as the format wants; hidden edges are numbered per node.
  text += `],\n"edges":[`;
  let first = true;
  const element = EDGE.element;
  for (let position = 0; position < rootChildren.length; position++) {
    text += `${first ? "" : ","}${element},${position + 1},${(rootChildren[position]! + 1) * FIELD_COUNT}`;
    first = false;
    if (text.length > CHUNK) flush();
  }
  for (let i = 0; i < count; i++) {
    let hidden = 0;
    for (let e = d.outStart[i]!; e < d.outStart[i + 1]!; e++) {
      const type = d.edgeType[e]!;
      const name = type === EDGE.element ? d.edgeName[e]! : type === EDGE.hidden ? hidden++ : d.edgeName[e]!;
      text += `${first ? "" : ","}${type},${name},${(d.edgeTo[e]! + 1) * FIELD_COUNT}`;
      first = false;
    }
    if (text.length > CHUNK) flush();
  }
  text += `],\n"trace_function_infos":[],"trace_tree":[],"samples":[],"locations":[],\n"strings":[`;
  for (let i = 0; i < strings.list.length; i++) {
    text += `${i === 0 ? "" : ","}${JSON.stringify(strings.list[i])}`;
    if (text.length > CHUNK) flush();
  }
  text += "]}";
  flush();
}

function defaultDescribe(graph: HeapGraph): (index: number) => string {
  return (index) => graph.nameOf(index) || graph.kindOf(index);
}

/** The .heapsnapshot text of `graph`, as one string (fine for small heaps; write() streams). */
export function toHeapSnapshot(graph: HeapGraph, describe: (index: number) => string = defaultDescribe(graph)): string {
  const parts: string[] = [];
  serialise(graph, describe, { write: (text) => parts.push(text) });
  return parts.join("");
}

/**
 * Writes `graph` as a .heapsnapshot file (open it in Chrome DevTools > Memory > Load),
 * streaming: the host never holds more than a chunk of the text.
 */
export function writeHeapSnapshot(path: string, graph: HeapGraph, describe: (index: number) => string = defaultDescribe(graph)): void {
  const fd = openSync(path, "w");
  try {
    serialise(graph, describe, { write: (text) => writeSync(fd, text) });
  } finally {
    closeSync(fd);
  }
}
