/**
 * The heap as the reader leaves it: flat typed arrays for nodes and edges (as the
 * .heapsnapshot format itself is), names interned once. A VM object costs the host about
 * 50 bytes here, plus 9 per reference; nothing is an object per node.
 */
import type { AddressIndex } from "./address-index.js";
import { CLASS_NAMES, GcType } from "./layout.js";

/**
 * DevTools edge types, in DevTools' order: `property` a named property, `element` an array
 * index, `context` a variable captured by a closure, `internal` a reference JS cannot see
 * (home object, bound target, map entry, code, ...), `hidden` plumbing (shapes, realms),
 * `weak` not counted by QuickJS (WeakMap keys, WeakRef targets): ignored for roots, paths
 * and dominators.
 */
export const EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"] as const;
export type EdgeType = (typeof EDGE_TYPES)[number];
export const EDGE = { context: 0, element: 1, property: 2, internal: 3, hidden: 4, shortcut: 5, weak: 6 } as const;

export type NodeKind = "object" | "array" | "function" | "code" | "shape" | "closure variable" | "async frame" | "context" | "module";

/** Something outside the GC heap that holds a node: a host handle, a queued job, a context's handle. */
export interface ExternalHolder {
  node: number;
  kind: "host" | "context" | "job" | "exception";
  label: string;
}

/** Turns the evaluated file name and a generated line/column into "file:line" as written. */
export type Locator = (evaluatedName: string, line: number, column: number) => string | undefined;

export interface ReadOptions {
  /** Maps function locations back to the source as written (source maps). */
  locate?: Locator;
  /** Object address -> what holds it from outside the heap, e.g. "ScriptValue: Rehash class held by host". */
  holders?: ReadonlyMap<number, string>;
  /** JSContext address -> the script file it runs, e.g. "commands/shout.ts". */
  contexts?: ReadonlyMap<number, string>;
  /** About how many GC objects and references there are (the last snapshot's counts): sizes the reader's arrays up front. */
  expected?: { objects: number; edges: number };
  /**
   * Called after each chunk of objects read: `done` objects of about `total` (the last
   * snapshot's count or a first guess counted; exact in the last call, `done === total`).
   */
  progress?: (done: number, total: number) => void;
  /** Checked between chunks of objects: once aborted, the read throws the signal's reason (nothing is kept of it). */
  signal?: AbortLike;
}

/** What is read of an AbortSignal (`new AbortController().signal` fits). */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

/** Throws the signal's reason once it is aborted (`what`: the call, for a signal without one). */
export function throwIfAborted(signal: AbortLike | undefined, what: string): void {
  if (signal?.aborted) throw signal.reason ?? new Error(`${what} was aborted`);
}

/** Interned strings: node names, edge names, files. Id 0 is "". */
export class StringTable {
  readonly list: string[] = [""];
  private readonly ids = new Map<string, number>([["", 0]]);

  intern(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(text);
      this.ids.set(text, id);
    }
    return id;
  }

  get(id: number): string {
    return this.list[id]!;
  }
}

export interface HeapData {
  count: number;
  /** Per node: the GC object's address (JSObject*, JSContext*, ...). */
  address: Uint32Array;
  gcType: Uint8Array;
  /** JS_CLASS_* id for objects, 0 otherwise. */
  classId: Uint16Array;
  refCount: Int32Array;
  /** References from outside the GC heap (ref_count minus incoming strong edges); > 0 makes it a root. */
  externalRefs: Int32Array;
  selfSize: Float64Array;
  /** String ids: the node's name, its script file and location ("file:line"), 0 when none. */
  name: Int32Array;
  file: Int32Array;
  location: Int32Array;
  /** 1 when its references could not all be decoded. */
  opaque: Uint8Array;
  /** Edges of node i are [outStart[i], outStart[i + 1]). */
  outStart: Int32Array;
  edgeCount: number;
  edgeTo: Int32Array;
  edgeType: Uint8Array;
  /** A string id, or the index itself for element edges. */
  edgeName: Int32Array;
  strings: StringTable;
  index: AddressIndex;
  holders: ExternalHolder[];
  /** Node index of a context's global object or global lexical scope -> node index of that context. */
  globals: Map<number, number>;
  /** Node index of a context -> its script file. */
  contextFiles: Map<number, string>;
  /** Names of the embedder's classes in the heap (class id >= JS_CLASS_INIT_COUNT), from QuickJS's class table. */
  embedderClasses: Map<number, string>;
}

const GC_TYPE_NAMES = ["Object", "FunctionBytecode", "Shape", "VarRef", "AsyncFunctionState", "Context", "Module"];

/**
 * "Object", "Array", "Function", "Map", ... for objects (an embedder's class by the name it
 * registered, e.g. quickjs-emscripten's HostRef); the GC type otherwise.
 */
export function classNameOf(gcType: number, classId: number, embedderClasses?: ReadonlyMap<number, string>): string {
  if (gcType !== GcType.Object) return GC_TYPE_NAMES[gcType]!;
  return CLASS_NAMES[classId] ?? embedderClasses?.get(classId) ?? `class ${classId}`;
}
