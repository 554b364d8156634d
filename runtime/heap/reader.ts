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
import { Decoder, EdgeSink, type NamingFacts } from "./decoder.js";
import { HeapGraph } from "./graph.js";
import { classNameOf, EDGE, StringTable, type ExternalHolder, type HeapData, type ReadOptions } from "./heap-data.js";
import { CLASS, FUNCTION_CLASSES, GC_HEADER, JS_CLASS, GC_TAGS, GC_TYPE_COUNT, GcType, JOB, JSVALUE_SIZE, LIST, OBJECT, RUNTIME, type HeapTarget } from "./layout.js";
import { HeapReadError, VmMemory } from "./memory.js";

export { classNameOf, EDGE_TYPES, type EdgeType, type ExternalHolder, type Locator, type NodeKind, type ReadOptions } from "./heap-data.js";
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
  const { bytes, words, halfWords, signedWords } = memory;
  // Pass 1: the GC list, straight from memory (checked links, capped length).
  let found = new Uint32Array(1 << 16);
  let count = 0;
  const head = memory.runtimePointer + RUNTIME.gcObjList;
  memory.word(head + LIST.next, "gc_obj_list");
  const limit = bytes.length - OBJECT.size;
  const cap = (bytes.length >>> 4) + 1;
  for (let link = words[(head + LIST.next) >>> 2]!; link !== head; link = words[(link + LIST.next) >>> 2]!) {
    const address = link - GC_HEADER.link;
    if (address <= 0 || address > limit || (link & 3) !== 0 || count >= cap) {
      throw new HeapReadError(link, count >= cap ? "gc_obj_list does not end" : "gc_obj_list link");
    }
    if (count === found.length) {
      const grown = new Uint32Array(count * 2);
      grown.set(found);
      found = grown;
    }
    found[count++] = address;
  }
  const address = found.slice(0, count);
  const gcType = new Uint8Array(count);
  const classId = new Uint16Array(count);
  const refCount = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const at = address[i]!;
    const type = bytes[at + GC_HEADER.typeByte]! & 0x0f;
    if (type >= GC_TYPE_COUNT) throw new HeapReadError(at, `GC object of unknown type ${type}`);
    gcType[i] = type;
    if (type === GcType.Object) classId[i] = halfWords[(at + OBJECT.classId) >>> 1]!;
    refCount[i] = signedWords[(at + GC_HEADER.refCount) >>> 2]!;
  }
  const index = new AddressIndex(address, count);
  const embedderClasses = embedderClassNames(memory, classId);
  const strings = new StringTable();
  const data = {
    count,
    address,
    gcType,
    classId,
    selfSize: new Float64Array(count),
    name: new Int32Array(count),
    file: new Int32Array(count),
    location: new Int32Array(count),
    opaque: new Uint8Array(count),
  };

  // Pass 2: each object's references, in node order (so edges are grouped by their source).
  const edges = new EdgeSink(count * 2);
  const outStart = new Int32Array(count + 1);
  const decoder = new Decoder(memory, index, data, edges, strings, options);
  let unreadable = 0;
  for (let i = 0; i < count; i++) {
    outStart[i] = edges.length;
    try {
      decoder.decode(i);
    } catch (error) {
      if (!(error instanceof HeapReadError)) throw error;
      data.opaque[i] = 1;
      if (++unreadable > Math.max(3, count * MAX_UNREADABLE_SHARE)) throw error;
    }
  }
  outStart[count] = edges.length;
  const edgeCount = edges.length;
  // Exactly sized copies: the spare capacity goes back.
  const edgeTo = edges.to.slice(0, edgeCount);
  const edgeType = edges.type.slice(0, edgeCount);
  const edgeName = edges.name.slice(0, edgeCount);

  const externalRefs = new Int32Array(count);
  for (let e = 0; e < edgeCount; e++) if (edgeType[e] !== EDGE.weak) externalRefs[edgeTo[e]!]! -= 1;
  for (let i = 0; i < count; i++) externalRefs[i] = Math.max(0, refCount[i]! + externalRefs[i]!);

  const heap: HeapData = {
    ...data,
    refCount,
    externalRefs,
    outStart,
    edgeCount,
    edgeTo,
    edgeType,
    edgeName,
    strings,
    index,
    holders: [],
    globals: decoder.globals,
    contextFiles: decoder.contextFiles,
    embedderClasses,
  };
  nameObjects(heap, decoder.naming);
  nameClosureValues(heap);
  heap.holders = externalHolders(memory, heap, options);
  return heap;
}

/** The embedder's classes present in the heap, named from their JSClass entry's class_name atom as QuickJS names them. */
function embedderClassNames(memory: VmMemory, classIds: Uint16Array): Map<number, string> {
  const names = new Map<number, string>();
  const count = memory.i32(memory.runtimePointer + RUNTIME.classCount, "class_count");
  const array = memory.u32(memory.runtimePointer + RUNTIME.classArray, "class_array");
  // Which ids occur, in a table: a Set of every object's class id would cost a hash insert per object.
  const seen = new Uint8Array(1 << 16);
  for (let i = 0; i < classIds.length; i++) seen[classIds[i]!] = 1;
  for (let classId = CLASS.initCount; classId < seen.length; classId++) {
    if (seen[classId] === 0) continue;
    const atom = classId < count ? memory.u32(array + classId * JS_CLASS.size + JS_CLASS.className, "class_name") : 0;
    names.set(classId, (atom !== 0 && memory.atom(atom)) || `class ${classId}`);
  }
  return names;
}

/**
 * Names objects after their constructor, prototypes after their class, functions after
 * themselves (memoised per prototype: a million Items cost one lookup each).
 */
function nameObjects(heap: HeapData, facts: NamingFacts): void {
  const { strings, gcType, classId, name } = heap;
  const functionName = (index: number | undefined): string | undefined => {
    if (index === undefined) return undefined;
    return facts.nameString.get(index) || facts.functionName.get(index) || undefined;
  };
  const classNames = new Map<number, number>();
  const classNameId = (id: number): number => {
    let text = classNames.get(id);
    if (text === undefined) classNames.set(id, (text = strings.intern(classNameOf(GcType.Object, id, heap.embedderClasses))));
    return text;
  };
  // Every object after its prototype's constructor (memoised per prototype and class)...
  const byProto = new Map<number, number>();
  let lastKey = NaN;
  let lastName = 0;
  for (let i = 0; i < heap.count; i++) {
    if (gcType[i] !== GcType.Object) continue;
    const proto = facts.proto[i]!;
    const key = proto * 65536 + classId[i]!;
    if (key !== lastKey) {
      let known = byProto.get(key);
      if (known === undefined) {
        const constructorName = proto === -1 ? undefined : functionName(facts.constructorOf.get(proto));
        known = constructorName && constructorName !== "Object" ? strings.intern(constructorName) : classNameId(classId[i]!);
        byProto.set(key, known);
      }
      lastKey = key;
      lastName = known;
    }
    name[i] = lastName;
  }
  // ...then the few that are named otherwise: prototypes after their class,
  for (const [i, ownConstructor] of facts.constructorOf) {
    if (facts.prototypeOf.get(ownConstructor) !== i || FUNCTION_CLASSES.has(classId[i]!)) continue;
    name[i] = strings.intern(`${functionName(ownConstructor) ?? "(anonymous)"}.prototype`);
    heap.file[i] = heap.file[ownConstructor]!;
  }
  // the globals of each context,
  const globalObject = strings.intern("(global object)");
  const globalScope = strings.intern("(global lexical scope)");
  for (const [i, context] of heap.globals) {
    if (gcType[i] !== GcType.Object || FUNCTION_CLASSES.has(classId[i]!)) continue;
    name[i] = classId[i] === CLASS.globalObject ? globalObject : globalScope;
    const file = heap.contextFiles.get(context);
    if (file !== undefined) heap.file[i] = strings.intern(file);
  }
  // and functions after themselves.
  for (let i = 0; i < heap.count; i++) {
    if (gcType[i] !== GcType.Object || !FUNCTION_CLASSES.has(classId[i]!)) continue;
    const own = functionName(i);
    name[i] = own === undefined ? classNameId(classId[i]!) : strings.intern(own);
  }
}

/** A closure variable's value edge carries the variable's name, as DevTools shows context variables. */
function nameClosureValues(heap: HeapData): void {
  const variableName = new Map<number, number>();
  for (let e = 0; e < heap.edgeCount; e++) {
    const to = heap.edgeTo[e]!;
    if (heap.gcType[to] !== GcType.VarRef || variableName.has(to)) continue;
    variableName.set(to, heap.edgeType[e] === EDGE.element ? heap.strings.intern(String(heap.edgeName[e])) : heap.edgeName[e]!);
  }
  const value = heap.strings.intern("value");
  for (const [node, name] of variableName) {
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
