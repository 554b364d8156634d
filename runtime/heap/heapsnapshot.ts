import { closeSync, openSync, writeSync } from "node:fs";
import { open, unlink } from "node:fs/promises";
import type { HeapGraph } from "./graph.js";
import { EDGE, EDGE_TYPES, type NodeKind } from "./heap-data.js";

const NODE_TYPES = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape"];
const NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"];
const FIELD_COUNT = NODE_FIELDS.length;
/** Bytes handed to the sink at a time: the file is never one string, nor one buffer. */
const CHUNK = 1 << 20;
const COMMA = 0x2c;
const ZERO = 0x30;

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

/**
 * The file's bytes, written into a buffer that is handed on whole once it holds a piece
 * (CHUNK bytes) and replaced by a fresh one, so a piece stays valid while its consumer
 * waits (a socket draining). Numbers are written digit by digit: millions of nodes and
 * edges make no JavaScript string each (a string per number, and the ropes joining them,
 * cost more in V8's collector than the formatting itself).
 */
class ByteWriter {
  private buffer = Buffer.allocUnsafe(CHUNK + 64);
  private at = 0;
  /** Pieces made and not yet taken (serialise yields them at its next check). */
  readonly ready: Uint8Array[] = [];

  /** A non-negative integer, in decimal (ids, sizes and indexes all are). */
  int(value: number): void {
    if (this.at > CHUNK) this.flush();
    const buffer = this.buffer;
    if (value < 10) {
      buffer[this.at++] = ZERO + value;
      return;
    }
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    let at = this.at + digits;
    this.at = at;
    for (let rest = value; ; ) {
      const next = Math.floor(rest / 10);
      buffer[--at] = ZERO + (rest - next * 10);
      if (next === 0) break;
      rest = next;
    }
  }

  /** A comma and then a non-negative integer. */
  next(value: number): void {
    this.buffer[this.at++] = COMMA;
    this.int(value);
  }

  /** Text as UTF-8 (the format's punctuation, JSON-encoded strings). */
  text(text: string): void {
    if (this.at > CHUNK) this.flush();
    if (text.length * 3 <= this.buffer.length - this.at) {
      this.at += this.buffer.write(text, this.at, "utf8");
      return;
    }
    this.flush();
    this.ready.push(Buffer.from(text, "utf8"));
  }

  flush(): void {
    if (this.at === 0) return;
    this.ready.push(this.buffer.subarray(0, this.at));
    this.buffer = Buffer.allocUnsafe(CHUNK + 64);
    this.at = 0;
  }

  /** The pieces made so far, taken. */
  *take(): Generator<Uint8Array> {
    while (this.ready.length > 0) yield this.ready.shift()!;
  }
}

/**
 * Serialises a heap graph as a Chrome DevTools .heapsnapshot: node 0 is a synthetic root
 * whose children are the heap's roots and anything the roots do not reach; ids are the
 * graph's stable ids, as odd numbers. Names are the graph's interned strings (node
 * descriptions are added to the same table), written once at the end as the format asks.
 * Yields the bytes in pieces of about a MiB (each a buffer of its own), as they are made:
 * the consumer may wait between pieces, and the whole file is never in memory.
 */
export function* heapSnapshotPieces(
  graph: HeapGraph,
  describe: (index: number) => string = defaultDescribe(graph),
  /** Updated before each piece: nodes, then edges of nodes, written so far (`total`: twice the node count). */
  progress: { done: number; total: number } = { done: 0, total: 0 },
): Generator<Uint8Array> {
  const d = graph.data;
  const strings = d.strings;
  const count = d.count;
  progress.total = 2 * count;
  const reached = graph.reachableFromRoots();
  const rootChildren: number[] = [];
  for (let i = 0; i < count; i++) if (graph.isRoot(i) || !reached[i]) rootChildren.push(i);
  const meta = {
    node_fields: NODE_FIELDS,
    node_types: [NODE_TYPES, "string", "number", "number", "number", "number", "number"],
    edge_fields: ["type", "name_or_index", "to_node"],
    edge_types: [EDGE_TYPES, "string_or_number", "node"],
  };
  const out = new ByteWriter();
  out.text(`{"snapshot":{"meta":${JSON.stringify(meta)},"node_count":${count + 1},"edge_count":${d.edgeCount + rootChildren.length},"trace_function_count":0},\n"nodes":[`);

  // Nodes: the synthetic root, then every node with its name (interned as it goes).
  out.int(NODE_TYPES.indexOf("synthetic"));
  out.next(strings.intern("(graft roots)"));
  out.text(",0,0,");
  out.int(rootChildren.length);
  out.text(",0,0");
  const { outStart, selfSize, edgeType, edgeName, edgeTo } = d;
  const ids = graph.ids;
  for (let i = 0; i < count; i++) {
    out.next(TYPE_OF_KIND[graph.kindOf(i)]);
    out.next(strings.intern(describe(i)));
    out.next(ids[i]! * 2 + 1);
    out.next(selfSize[i]!);
    out.next(outStart[i + 1]! - outStart[i]!);
    out.next(0);
    // Attached (1) when the roots reach it; unreached nodes hang off the synthetic root.
    out.next(reached[i] ? 1 : 0);
    if (out.ready.length > 0) {
      progress.done = i;
      yield* out.take();
    }
  }

  // Edges, in node order as the format wants; hidden edges are numbered per node.
  out.text(`],\n"edges":[`);
  const element = EDGE.element;
  const hiddenType = EDGE.hidden;
  for (let position = 0; position < rootChildren.length; position++) {
    if (position > 0) out.text(",");
    out.int(element);
    out.next(position + 1);
    out.next((rootChildren[position]! + 1) * FIELD_COUNT);
  }
  let first = rootChildren.length === 0;
  for (let i = 0; i < count; i++) {
    let hidden = 0;
    for (let e = outStart[i]!; e < outStart[i + 1]!; e++) {
      const type = edgeType[e]!;
      if (first) {
        out.int(type);
        first = false;
      } else out.next(type);
      out.next(type === hiddenType ? hidden++ : edgeName[e]!);
      out.next((edgeTo[e]! + 1) * FIELD_COUNT);
    }
    if (out.ready.length > 0) {
      progress.done = count + i;
      yield* out.take();
    }
  }
  out.text(`],\n"trace_function_infos":[],"trace_tree":[],"samples":[],"locations":[],\n"strings":[`);
  const list = strings.list;
  for (let i = 0; i < list.length; i++) {
    out.text(i === 0 ? JSON.stringify(list[i]) : `,${JSON.stringify(list[i])}`);
    if (out.ready.length > 0) yield* out.take();
  }
  out.text("]}");
  out.flush();
  yield* out.take();
}

/** How far a .heapsnapshot is written: `done` of `total` steps (nodes, then their edges). */
export interface WriteProgress {
  done: number;
  total: number;
}

/**
 * Writes `graph` as a .heapsnapshot file, a piece (about a MiB) at a time with the event
 * loop running between pieces: the host keeps serving while a large heap is written. The
 * graph is the host's copy: the VM may run meanwhile. `signal` stops it between pieces (the
 * partial file is removed and the promise rejects with the signal's reason).
 */
export async function writeHeapSnapshotAsync(
  path: string,
  graph: HeapGraph,
  describe: (index: number) => string,
  options: { onProgress?: (progress: WriteProgress) => void; signal?: { readonly aborted: boolean; readonly reason?: unknown } } = {},
): Promise<void> {
  const progress = { done: 0, total: 2 * graph.data.count };
  const file = await open(path, "w");
  let failed = true;
  try {
    let reported = -1;
    for (const bytes of heapSnapshotPieces(graph, describe, progress)) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("heap.write was aborted");
      await file.write(bytes);
      // At most a hundred reports, whatever the size.
      const percent = progress.total === 0 ? 100 : Math.floor((progress.done * 100) / progress.total);
      if (percent !== reported) {
        reported = percent;
        options.onProgress?.({ done: progress.done, total: progress.total });
      }
    }
    failed = false;
  } finally {
    await file.close();
    if (failed) await unlink(path).catch(() => undefined);
  }
  options.onProgress?.({ done: progress.total, total: progress.total });
}

/** The node count a snapshot of `graph` reports (its nodes and the synthetic root). */
export function heapSnapshotNodeCount(graph: HeapGraph): number {
  return graph.data.count + 1;
}

function defaultDescribe(graph: HeapGraph): (index: number) => string {
  return (index) => graph.nameOf(index) || graph.kindOf(index);
}

/** The .heapsnapshot text of `graph`, as one string (fine for small heaps; write() streams). */
export function toHeapSnapshot(graph: HeapGraph, describe: (index: number) => string = defaultDescribe(graph)): string {
  const parts: Buffer[] = [];
  for (const piece of heapSnapshotPieces(graph, describe)) parts.push(Buffer.from(piece));
  return Buffer.concat(parts).toString("utf8");
}

/**
 * Writes `graph` as a .heapsnapshot file (open it in Chrome DevTools > Memory > Load),
 * streaming: the host never holds more than a piece of the file.
 */
export function writeHeapSnapshot(path: string, graph: HeapGraph, describe: (index: number) => string = defaultDescribe(graph)): void {
  const fd = openSync(path, "w");
  try {
    for (const bytes of heapSnapshotPieces(graph, describe)) {
      // writeSync may write less than asked: write the rest.
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    }
  } finally {
    closeSync(fd);
  }
}
