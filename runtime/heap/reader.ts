/**
 * Reads every GC object of a QuickJS runtime (its gc_obj_list) and the references between
 * them exactly as QuickJS's own mark_children and class gc_mark functions see them, so that
 * each node's incoming strong edges are a subset of its reference count: whatever is left
 * of ref_count is held from outside the GC heap (host handles, queued jobs, the pending
 * exception, a context's own handle) and makes the node a root.
 *
 * Two passes: the walk of gc_obj_list (here) fills the node arrays and the address index;
 * the decoder (decoder.ts) then reads each object's references into flat edge arrays.
 */
import { AddressIndex } from "./address-index.js";
import { CHUNK } from "./chunks.js";
import { Decoder, type NamingFacts } from "./decoder.js";
import { HeapGraph } from "./graph.js";
import { classNameOf, EDGE, StringTable, type ExternalHolder, type HeapData, type ReadOptions, throwIfAborted } from "./heap-data.js";
import { CLASS, FUNCTION_CLASSES, GC_HEADER, JS_CLASS, GC_TAGS, GC_TYPE_COUNT, GcType, JOB, JSVALUE_SIZE, LIST, OBJECT, RUNTIME, type HeapTarget } from "./layout.js";
import { HeapReadError, VmMemory } from "./memory.js";
import { cut, EdgeSink, NodeRefs, NodeSink } from "./sinks.js";

export { classNameOf, EDGE_TYPES, type EdgeType, type ExternalHolder, type Locator, type NodeKind, type ReadOptions, type AbortLike, throwIfAborted } from "./heap-data.js";
export type { HeapEdge, HeapNode } from "./graph.js";

/** More than this share of unreadable objects means the layout does not fit: give up. */
const MAX_UNREADABLE_SHARE = 0.01;

/** Reads the heap of a quickjs-emscripten runtime into a graph. */
export function readRuntimeHeap(target: HeapTarget, options: ReadOptions = {}): HeapGraph {
  return readHeap(new VmMemory(target.module.HEAPU8, target.rtPointer), options);
}

/** Reads every GC object of the runtime and the references between them. */
export function readHeap(memory: VmMemory, options: ReadOptions = {}): HeapGraph {
  return new HeapGraph(readHeapData(memory, options));
}

export function readHeapData(memory: VmMemory, options: ReadOptions = {}): HeapData {
  const strings = new StringTable();
  // Sized so that they rarely grow: growing copies every column (an unused tail costs no memory until written).
  const expected = options.expected ?? firstGuess(memory);
  const nodes = new NodeSink(Math.ceil(expected.objects * 1.0625) + 1024);
  const edges = new EdgeSink(Math.ceil(expected.edges * 1.0625) + 1024);
  const decoder = new Decoder(memory, nodes, edges, strings, options);
  walkHeap(memory, nodes, edges, decoder, options, expected.objects);
  const count = nodes.count;
  const index = new AddressIndex(nodes.address, count);
  nodes.outStart[count] = edges.length;
  const variableNames = new Int32Array(count);
  const externalRefs = nodes.refCount.slice(0, count);
  const edgeCount = resolveEdges(count, nodes.outStart, edges, index, nodes.gcType, externalRefs, variableNames);
  const data = nodes.finish(edgeCount);
  // Edges are guessed, not counted, on a first snapshot: up to a quarter spare is kept.
  const copyEdges = edges.to.length - edgeCount > edgeCount >>> 2;
  const edgeTo = cut(new Int32Array(edges.to.buffer, 0, edges.to.length), edgeCount, copyEdges);
  const edgeType = cut(edges.type, edgeCount, copyEdges);
  const edgeName = cut(edges.name, edgeCount, copyEdges);
  const globals = new Map<number, number>();
  for (const [address, context] of decoder.globals) {
    const global = index.get(address);
    if (global !== -1) globals.set(global, context);
  }
  const heap: HeapData = {
    count,
    address: data.address,
    gcType: data.gcType,
    classId: data.classId,
    refCount: data.refCount,
    externalRefs,
    selfSize: data.selfSize,
    name: data.name,
    file: data.file,
    location: data.location,
    opaque: data.opaque,
    outStart: data.outStart,
    edgeCount,
    edgeTo,
    edgeType,
    edgeName,
    strings,
    index,
    holders: [],
    globals,
    contextFiles: decoder.contextFiles,
    embedderClasses: embedderClassNames(memory, data.classId),
  };
  nameObjects(heap, data.shape, decoder.naming);
  nameClosureValues(heap, variableNames);
  heap.holders = externalHolders(memory, heap, options);
  return heap;
}

/**
 * The size of a heap never read before: its objects counted (a bare walk of gc_obj_list,
 * ~40 ns an object, cheaper than over-sized arrays copied down to size at the end), its
 * references guessed at 2.25 an object.
 */
function firstGuess(memory: VmMemory): { objects: number; edges: number } {
  const head = memory.runtimePointer + RUNTIME.gcObjList;
  const objects = countList(memory.words, head, memory.bytes.length);
  // Longer than memory could hold: a loop. Said now, before the walk decodes one object millions of times.
  if (objects > memory.bytes.length >>> 4) throw new HeapReadError(head, "gc_obj_list does not end");
  return { objects, edges: Math.ceil(objects * 2.25) };
}

/** Entries of the list at `head`; stops early at a link outside memory or past what memory could hold (the walk then reports it). */
function countList(words: Uint32Array, head: number, size: number): number {
  let count = 0;
  for (let link = words[(head + LIST.next) >>> 2]!; link !== head && link > 0 && link < size - 4 && count <= size >>> 4; link = words[(link + LIST.next) >>> 2]!) count++;
  return count;
}

/**
 * One pass over gc_obj_list (checked links, capped length), each object decoded while its
 * header is in the cache; its edges hold target addresses until resolveEdges. Objects that
 * do not decode are marked opaque; too many of them means the layout does not fit.
 */
function walkHeap(memory: VmMemory, nodes: NodeSink, edges: EdgeSink, decoder: Decoder, options: ReadOptions, expected: number): void {
  const { bytes, words, halfWords, signedWords } = memory;
  const head = memory.runtimePointer + RUNTIME.gcObjList;
  memory.word(head + LIST.next, "gc_obj_list");
  const errors: HeapReadError[] = [];
  // The list cannot hold more objects than `cap`: once more than a share of that fail, more than a share of all do.
  const cap = bytes.length >>> 4;
  let link = words[(head + LIST.next) >>> 2]!;
  while (link !== head) {
    link = walkList(bytes, words, halfWords, signedWords, link, head, nodes, edges, decoder, errors);
    if (errors.length > Math.max(3, cap * MAX_UNREADABLE_SHARE)) throw errors[0]!;
    throwIfAborted(options.signal, "the heap read");
    if (link !== head) options.progress?.(nodes.count, Math.max(expected, nodes.count + 1));
  }
  if (errors.length > Math.max(3, nodes.count * MAX_UNREADABLE_SHARE)) throw errors[0]!;
  options.progress?.(nodes.count, nodes.count);
}

/**
 * walkHeap's loop, CHUNK objects at a time from `link` (see chunks.ts); returns the link to
 * go on from (`head` at the end). Notes each object that does not decode in `errors`.
 */
function walkList(
  bytes: Uint8Array,
  words: Uint32Array,
  halfWords: Uint16Array,
  signedWords: Int32Array,
  link: number,
  head: number,
  nodes: NodeSink,
  edges: EdgeSink,
  decoder: Decoder,
  errors: HeapReadError[],
): number {
  for (let budget = CHUNK; link !== head && budget > 0; budget--, link = words[(link + LIST.next) >>> 2]!) {
    const address = link - GC_HEADER.link;
    const count = nodes.count;
    if (address <= 0 || address > bytes.length - OBJECT.size || (link & 3) !== 0 || count > bytes.length >>> 4) {
      throw new HeapReadError(link, count > bytes.length >>> 4 ? "gc_obj_list does not end" : "gc_obj_list link");
    }
    const type = bytes[address + GC_HEADER.typeByte]! & 0x0f;
    if (type >= GC_TYPE_COUNT) throw new HeapReadError(address, `GC object of unknown type ${type}`);
    const classId = type === GcType.Object ? halfWords[(address + OBJECT.classId) >>> 1]! : 0;
    const node = nodes.add(address, type, classId, signedWords[(address + GC_HEADER.refCount) >>> 2]!, edges.length);
    try {
      decoder.decode(node, address, type);
    } catch (error) {
      if (!(error instanceof HeapReadError)) throw error;
      nodes.opaque[node] = 1;
      errors.push(error);
    }
  }
  return link;
}

/**
 * Turns the edges' target addresses into node indices, in place, dropping those that land
 * on no GC object (outStart follows); returns how many are left. On the way: what is left
 * of each node's ref_count (`externalRefs`, a copy of it) once its incoming strong edges are
 * counted, and each closure variable's first reference, which names the variable (`variableNames`, per node:
 * 1 + the name's string id, -1 - the index for an element, 0 when none).
 */
export function resolveEdges(
  count: number,
  outStart: Int32Array,
  edges: EdgeSink,
  index: AddressIndex,
  gcType: Uint8Array,
  externalRefs: Int32Array,
  variableNames: Int32Array,
): number {
  const targets = new Int32Array(edges.to.buffer, 0, edges.length);
  let edgeCount = edges.length;
  let missing = 0;
  for (let from = 0; from < edgeCount; from += CHUNK) {
    missing += lookUpTargets(edges.to, from, Math.min(edgeCount, from + CHUNK), index, edges.type, edges.name, gcType, externalRefs, variableNames, targets);
  }
  if (missing > 0) edgeCount = dropUnresolved(count, outStart, targets, edges.type, edges.name);
  for (let from = 0; from < count; from += CHUNK) clampAtZero(externalRefs, from, Math.min(count, from + CHUNK));
  return edgeCount;
}

/**
 * For e in [from, end): targets[e] = the node at to[e], or -1 (they may share memory); returns how many are -1.
 * Subtracts each strong edge from its target's `externalRefs`; notes the first edge to each closure variable.
 */
function lookUpTargets(
  to: Uint32Array,
  from: number,
  end: number,
  index: AddressIndex,
  type: Uint8Array,
  name: Int32Array,
  gcType: Uint8Array,
  externalRefs: Int32Array,
  variableNames: Int32Array,
  targets: Int32Array,
): number {
  let missing = 0;
  for (let e = from; e < end; e++) {
    const target = index.get(to[e]!);
    targets[e] = target;
    if (target === -1) {
      missing++;
      continue;
    }
    if (type[e] !== EDGE.weak) externalRefs[target]! -= 1;
    if (gcType[target] === GcType.VarRef && variableNames[target] === 0) variableNames[target] = type[e] === EDGE.element ? -1 - name[e]! : 1 + name[e]!;
  }
  return missing;
}

/** Removes the edges whose target is -1, keeping each node's edges together; returns how many are left. */
function dropUnresolved(count: number, outStart: Int32Array, targets: Int32Array, type: Uint8Array, name: Int32Array): number {
  let kept = 0;
  let begin = 0;
  for (let i = 0; i < count; i++) {
    const end = outStart[i + 1]!;
    outStart[i] = kept;
    for (let e = begin; e < end; e++) {
      if (targets[e] === -1) continue;
      targets[kept] = targets[e]!;
      type[kept] = type[e]!;
      name[kept] = name[e]!;
      kept++;
    }
    begin = end;
  }
  outStart[count] = kept;
  return kept;
}

function clampAtZero(counts: Int32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) if (counts[i]! < 0) counts[i] = 0;
}
/** The embedder's classes present in the heap, named from their JSClass entry's class_name atom as QuickJS names them. */
function embedderClassNames(memory: VmMemory, classIds: Uint16Array): Map<number, string> {
  const names = new Map<number, string>();
  const count = memory.i32(memory.runtimePointer + RUNTIME.classCount, "class_count");
  const array = memory.u32(memory.runtimePointer + RUNTIME.classArray, "class_array");
  // Which ids occur, in a table: a Set of every object's class id would cost a hash insert per object.
  const seen = new Uint8Array(1 << 16);
  for (let from = 0; from < classIds.length; from += CHUNK) markSeen(classIds, from, Math.min(classIds.length, from + CHUNK), seen);
  for (let classId = CLASS.initCount; classId < seen.length; classId++) {
    if (seen[classId] === 0) continue;
    const atom = classId < count ? memory.u32(array + classId * JS_CLASS.size + JS_CLASS.className, "class_name") : 0;
    names.set(classId, (atom !== 0 && memory.atom(atom)) || `class ${classId}`);
  }
  return names;
}

/** 1 for the function classes, by class id (a table read per object, not a Set lookup). */
const IS_FUNCTION_CLASS = new Uint8Array(1 << 16);
for (const id of FUNCTION_CLASSES) IS_FUNCTION_CLASS[id] = 1;

function markSeen(ids: Uint16Array, from: number, to: number, seen: Uint8Array): void {
  for (let i = from; i < to; i++) seen[ids[i]!] = 1;
}

/**
 * Names objects after their constructor, prototypes after their class, functions after
 * themselves. An object's name depends only on its prototype (its shape's) and its class:
 * memoised per shape, so a million Items cost one table read each.
 */
function nameObjects(heap: HeapData, shapeOf: Int32Array, facts: NamingFacts): void {
  const { strings, gcType, classId, name, index } = heap;
  const nodeAt = (address: number): number => (address === 0 ? -1 : index.get(address));
  // Per node: the node of its own `constructor` / `prototype` property, or -1.
  const constructorOf = resolveRefs(facts.constructorOf, heap.count, index);
  const prototypeOf = resolveRefs(facts.prototypeOf, heap.count, index);
  /** The string id of a function's own name, 0 when it has none (or no function: -1). */
  const functionName = (node: number | undefined): number => {
    if (node === undefined) return 0;
    return node < facts.ownName.length ? facts.ownName[node]! : 0;
  };
  // A constructor named "" (string id 0: an anonymous class) names nothing.
  const empty = 0;
  const classNames = new Map<number, number>();
  const classNameId = (id: number): number => {
    let text = classNames.get(id);
    if (text === undefined) classNames.set(id, (text = strings.intern(classNameOf(GcType.Object, id, heap.embedderClasses))));
    return text;
  };
  // Per prototype node (+ 1: no prototype is -1): the class last seen with it and the name; a heap of many
  // contexts has hundreds of thousands of shapes, so this memo is hit where the per-shape one is not.
  const protoClass = new Int32Array(heap.count + 1).fill(-1);
  const protoName = new Int32Array(heap.count + 1);
  const shapeCount = facts.shapeProto.length;
  const nameFor = (shapeSlot: number, id: number): number => {
    const proto = shapeSlot === -1 ? -1 : nodeAt(facts.shapeProto[shapeSlot]!);
    if (protoClass[proto + 1] === id) return protoName[proto + 1]!;
    const constructorName = proto === -1 ? 0 : functionName(constructorOf[proto]!);
    const known = constructorName !== 0 && constructorName !== empty && strings.get(constructorName) !== "Object" ? constructorName : classNameId(id);
    protoClass[proto + 1] = id;
    protoName[proto + 1] = known;
    return known;
  };
  // Every object after its prototype's constructor, functions after themselves...
  // Per shape slot: the last class seen with it and the name; no shape (an unreadable object) uses the extra last entry.
  const shapeClass = new Int32Array(shapeCount + 1).fill(-1);
  const shapeName = new Int32Array(shapeCount + 1);
  for (let from = 0; from < heap.count; from += CHUNK) {
    const to = Math.min(heap.count, from + CHUNK);
    // The loop stops at each object it cannot name from the memo.
    for (let i = nameFromMemo(from, to, gcType, classId, shapeOf, name, shapeClass, shapeName); i < to; i = nameFromMemo(i + 1, to, gcType, classId, shapeOf, name, shapeClass, shapeName)) {
      const id = classId[i]!;
      if (IS_FUNCTION_CLASS[id] === 1) {
        const own = functionName(i);
        name[i] = own === 0 || own === empty ? classNameId(id) : own;
        continue;
      }
      const slot = shapeOf[i]! - 1;
      const memo = slot === -1 ? shapeCount : slot;
      shapeClass[memo] = id;
      shapeName[memo] = nameFor(slot, id);
      name[i] = shapeName[memo]!;
    }
  }
  // ...then the few that are named otherwise: prototypes after their class (string id of the class's name -> of "<name>.prototype"),
  const prototypeNames = new Map<number, number>();
  for (let k = 0; k < facts.constructorOf.length; k++) {
    const i = facts.constructorOf.node[k]!;
    const ownConstructor = constructorOf[i]!;
    if (ownConstructor === -1 || prototypeOf[ownConstructor] !== i || IS_FUNCTION_CLASS[classId[i]!] === 1) continue;
    const constructorName = functionName(ownConstructor);
    let prototypeName = prototypeNames.get(constructorName);
    if (prototypeName === undefined) {
      prototypeName = strings.intern(`${constructorName === 0 || constructorName === empty ? "(anonymous)" : strings.get(constructorName)}.prototype`);
      prototypeNames.set(constructorName, prototypeName);
    }
    name[i] = prototypeName;
    heap.file[i] = heap.file[ownConstructor]!;
  }
  // Nothing is left without a name (an intrinsic prototype whose constructor a realm lockdown made an accessor): its class's.
  for (let i = 0; i < heap.count; i++) if (name[i] === 0 && gcType[i] === GcType.Object) name[i] = classNameId(classId[i]!);
  // and the globals of each context.
  const globalObject = strings.intern("(global object)");
  const globalScope = strings.intern("(global lexical scope)");
  for (const [i, context] of heap.globals) {
    if (gcType[i] !== GcType.Object || IS_FUNCTION_CLASS[classId[i]!] === 1) continue;
    name[i] = classId[i] === CLASS.globalObject ? globalObject : globalScope;
    const file = heap.contextFiles.get(context);
    if (file !== undefined) heap.file[i] = strings.intern(file);
  }
}

/** Per node: the node `refs` point it at, or -1 (none, or no GC object at that address). */
function resolveRefs(refs: NodeRefs, count: number, index: AddressIndex): Int32Array {
  const nodes = new Int32Array(count).fill(-1);
  for (let k = 0; k < refs.length; k++) {
    const address = refs.address[k]!;
    if (address !== 0) nodes[refs.node[k]!] = index.get(address);
  }
  return nodes;
}

/**
 * The loop of nameObjects, on objects [from, to) (see chunks.ts): names each object after its
 * shape when the shape was last seen with the same class (shapeClass, shapeName; no shape,
 * an unreadable object, uses the extra last entry). Returns the first object it cannot name
 * so (a function, or a shape seen with another class), or `to`. `shapeOf`: 1 + the shape slot, 0 when unread.
 */
function nameFromMemo(
  from: number,
  to: number,
  gcType: Uint8Array,
  classId: Uint16Array,
  shapeOf: Int32Array,
  name: Int32Array,
  shapeClass: Int32Array,
  shapeName: Int32Array,
): number {
  const noShape = shapeClass.length - 1;
  for (let i = from; i < to; i++) {
    if (gcType[i] !== GcType.Object) continue;
    const id = classId[i]!;
    if (IS_FUNCTION_CLASS[id] === 1) return i;
    const slot = shapeOf[i]! - 1;
    const memo = slot === -1 ? noShape : slot;
    if (shapeClass[memo] !== id) return i;
    name[i] = shapeName[memo]!;
  }
  return to;
}

/**
 * A closure variable's value edge carries the variable's name, as DevTools shows context
 * variables. `variableNames`: per node, the name of its first reference (see resolveEdges).
 */
function nameClosureValues(heap: HeapData, variableNames: Int32Array): void {
  const value = heap.strings.intern("value");
  for (let node = 0; node < heap.count; node++) {
    const reference = variableNames[node]!;
    if (reference === 0) continue;
    const name = reference < 0 ? heap.strings.intern(String(-1 - reference)) : reference - 1;
    for (let e = heap.outStart[node]!; e < heap.outStart[node + 1]!; e++) {
      if (heap.edgeName[e] !== value || heap.edgeType[e] === EDGE.element) continue;
      heap.edgeName[e] = name;
      heap.edgeType[e] = EDGE.context;
    }
  }
}

/** What holds nodes from outside the heap: caller-known handles, contexts, queued jobs, the pending exception. */
function externalHolders(memory: VmMemory, heap: HeapData, options: ReadOptions): ExternalHolder[] {
  const holders: ExternalHolder[] = [];
  const find = (address: number): number | undefined => {
    const index = heap.index.get(address);
    return index === -1 ? undefined : index;
  };
  for (const [address, label] of options.holders ?? []) {
    const node = find(address);
    if (node !== undefined) holders.push({ node, kind: "host", label });
  }
  for (const [node, file] of heap.contextFiles) holders.push({ node, kind: "context", label: `context ${file}` });
  const contextName = (address: number): string => {
    const index = find(address);
    return index === undefined ? "" : ` of ${heap.strings.get(heap.name[index]!)}`;
  };
  const rt = memory.runtimePointer;
  const exception = memory.value(rt + RUNTIME.currentException, "current_exception");
  if (GC_TAGS.has(exception.tag)) {
    const node = find(exception.pointer);
    if (node !== undefined) holders.push({ node, kind: "exception", label: "the pending exception" });
  }
  let job = 0;
  memory.walkList(rt + RUNTIME.jobList, JOB.argv, "job_list", (link) => {
    const entry = link - JOB.link;
    const realm = memory.u32(entry + JOB.realm, "job realm");
    const label = `queued job ${job++}${contextName(realm)}`;
    const realmNode = find(realm);
    if (realmNode !== undefined) holders.push({ node: realmNode, kind: "job", label });
    const argc = memory.i32(entry + JOB.argc, "job argc");
    if (argc < 0 || argc > 64) throw new HeapReadError(entry, `job with ${argc} arguments`);
    for (let i = 0; i < argc; i++) {
      const { tag, pointer } = memory.value(entry + JOB.argv + i * JSVALUE_SIZE, "job argument");
      const node = GC_TAGS.has(tag) ? find(pointer) : undefined;
      if (node !== undefined) holders.push({ node, kind: "job", label: `argument ${i} of ${label}` });
    }
  });
  return holders;
}
