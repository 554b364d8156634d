/**
 * A reader of Chrome DevTools `.heapsnapshot` files for the tests: it checks every rule
 * the DevTools loader relies on (docs/heapsnapshot.md) and answers what a user would ask
 * DevTools (objects by name, who refers to them, retained sizes). It shares no code with
 * graft's writer or graph, so it is an independent oracle for both.
 */

export interface SnapshotEdge {
  type: string;
  /** A number for element and hidden edges, a name for the others. */
  nameOrIndex: string | number;
  from: SnapshotNode;
  to: SnapshotNode;
}

export interface SnapshotNode {
  ordinal: number;
  type: string;
  name: string;
  id: number;
  selfSize: number;
  detachedness: number | undefined;
  edges: SnapshotEdge[];
  referrers: SnapshotEdge[];
}

export interface HeapSnapshotFile {
  nodes: SnapshotNode[];
  root: SnapshotNode;
  /** Sum of self sizes over the nodes `node` dominates (itself included), weak and shortcut edges ignored. */
  retainedSize(node: SnapshotNode): number;
}

const KEY_ORDER = ["snapshot", "nodes", "edges", "trace_function_infos", "trace_tree", "samples", "locations", "strings"];
const NUMBERED_EDGES = new Set(["element", "hidden"]);
const NOT_RETAINING = new Set(["weak", "shortcut"]);

export function parseHeapSnapshot(text: string): HeapSnapshotFile {
  const file = JSON.parse(text) as Record<string, unknown>;
  const keys = Object.keys(file);
  check(keys[keys.length - 1] === "strings", `'strings' must be the last key (DevTools parses it from its key to the end), got keys ${keys.join(", ")}`);
  check(keys.every((key) => KEY_ORDER.includes(key)), `unknown top-level keys: ${keys.join(", ")}`);
  const header = file.snapshot as { meta: Meta; node_count: number; edge_count: number };
  const meta = header.meta;
  const nodeFields = meta.node_fields;
  const edgeFields = meta.edge_fields;
  const field = (fields: string[], name: string): number => {
    const index = fields.indexOf(name);
    check(index >= 0, `meta lacks the field '${name}'`);
    return index;
  };
  const [TYPE, NAME, ID, SIZE, EDGE_COUNT] = ["type", "name", "id", "self_size", "edge_count"].map((name) => field(nodeFields, name)) as [number, number, number, number, number];
  const DETACHED = nodeFields.indexOf("detachedness");
  const [EDGE_TYPE, EDGE_NAME, TO] = ["type", "name_or_index", "to_node"].map((name) => field(edgeFields, name)) as [number, number, number];
  const nodeTypes = meta.node_types[0] as string[];
  const edgeTypes = meta.edge_types[0] as string[];
  const rawNodes = file.nodes as number[];
  const rawEdges = file.edges as number[];
  const strings = file.strings as string[];
  const width = nodeFields.length;
  check(rawNodes.length % width === 0, `nodes has ${rawNodes.length} numbers, not a multiple of ${width} fields`);
  check(rawEdges.length % edgeFields.length === 0, `edges has ${rawEdges.length} numbers, not a multiple of ${edgeFields.length} fields`);
  check(header.node_count === rawNodes.length / width, `node_count ${header.node_count} but nodes holds ${rawNodes.length / width}`);
  check(header.edge_count === rawEdges.length / edgeFields.length, `edge_count ${header.edge_count} but edges holds ${rawEdges.length / edgeFields.length}`);
  for (const value of [...rawNodes, ...rawEdges]) check(Number.isInteger(value) && value >= 0, `nodes and edges must be non-negative integers, found ${value}`);

  const nodes: SnapshotNode[] = [];
  for (let ordinal = 0; ordinal * width < rawNodes.length; ordinal++) {
    const at = ordinal * width;
    const type = nodeTypes[rawNodes[at + TYPE]!];
    const name = strings[rawNodes[at + NAME]!];
    check(type !== undefined, `node ${ordinal} has type index ${rawNodes[at + TYPE]} outside node_types`);
    check(name !== undefined, `node ${ordinal} has name index ${rawNodes[at + NAME]} outside strings`);
    const detachedness = DETACHED >= 0 ? rawNodes[at + DETACHED] : undefined;
    check(detachedness === undefined || detachedness <= 2, `node ${ordinal} has detachedness ${detachedness} (0, 1 or 2 only)`);
    nodes.push({ ordinal, type: type!, name: name!, id: rawNodes[at + ID]!, selfSize: rawNodes[at + SIZE]!, detachedness, edges: [], referrers: [] });
  }
  check(nodes.length > 0 && nodes[0]!.type === "synthetic", "node 0 must be the synthetic root");

  let edgeAt = 0;
  for (const node of nodes) {
    const count = rawNodes[node.ordinal * width + EDGE_COUNT]!;
    for (let i = 0; i < count; i++, edgeAt += edgeFields.length) {
      check(edgeAt < rawEdges.length, `edge counts add up to more than the ${rawEdges.length / edgeFields.length} edges`);
      const type = edgeTypes[rawEdges[edgeAt + EDGE_TYPE]!];
      check(type !== undefined, `edge ${edgeAt / edgeFields.length} has type index outside edge_types`);
      const toNode = rawEdges[edgeAt + TO]!;
      check(toNode % width === 0 && toNode / width < nodes.length, `edge ${edgeAt / edgeFields.length} points at ${toNode}: not a node position (ordinal x ${width})`);
      const rawName = rawEdges[edgeAt + EDGE_NAME]!;
      const nameOrIndex = NUMBERED_EDGES.has(type!) ? rawName : strings[rawName];
      check(nameOrIndex !== undefined, `edge ${edgeAt / edgeFields.length} names string ${rawName}, outside strings`);
      const edge: SnapshotEdge = { type: type!, nameOrIndex: nameOrIndex!, from: node, to: nodes[toNode / width]! };
      node.edges.push(edge);
      edge.to.referrers.push(edge);
    }
  }
  check(edgeAt === rawEdges.length, `edge counts add up to ${edgeAt / edgeFields.length} but there are ${rawEdges.length / edgeFields.length} edges`);

  const root = nodes[0]!;
  /** Reachable from the root without passing through `removed`: the definition of dominance. */
  const reachable = (removed: SnapshotNode | undefined): Uint8Array => {
    const seen = new Uint8Array(nodes.length);
    seen[root.ordinal] = 1;
    const stack = [root];
    while (stack.length > 0) {
      for (const edge of stack.pop()!.edges) {
        if (NOT_RETAINING.has(edge.type) || edge.to === removed || seen[edge.to.ordinal]) continue;
        seen[edge.to.ordinal] = 1;
        stack.push(edge.to);
      }
    }
    return seen;
  };
  const all = reachable(undefined);
  return {
    nodes,
    root,
    retainedSize(node) {
      const without = reachable(node);
      let size = 0;
      for (const other of nodes) if (all[other.ordinal] && !without[other.ordinal]) size += other.selfSize;
      return size;
    },
  };
}

interface Meta {
  node_fields: string[];
  node_types: unknown[];
  edge_fields: string[];
  edge_types: unknown[];
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`invalid .heapsnapshot: ${message}`);
}
