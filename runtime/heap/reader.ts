/**
 * Reads every GC object of a QuickJS runtime (its gc_obj_list) and the references between
 * them exactly as QuickJS's own mark_children and class gc_mark functions see them, so that
 * each node's incoming strong edges are a subset of its reference count: whatever is left
 * of ref_count is held from outside the GC heap (host handles, queued jobs, the pending
 * exception, a context's own handle) and makes the node a root.
 */
import {
  ASYNC_FROM_SYNC_ITERATOR, ASYNC_FUNCTION, ASYNC_GENERATOR, ASYNC_GENERATOR_REQUEST, ARRAY_CLASSES, BOUND_FUNCTION,
  BYTECODE, BYTECODE_FUNCTION_CLASSES, C_FUNCTION_DATA, CLASS, CLASS_NAMES, CLOSURE_VAR, CONTEXT, CONTEXT_SHAPE_NAMES,
  EXPORT_ENTRY, EXPORT_TYPE_LOCAL, FINALIZATION_REGISTRY, FINREC_ENTRY, FOR_IN_ITERATOR, FUNCTION_CLASSES, GC_HEADER,
  GC_TAGS, GC_TYPE_COUNT, GENERATOR, GcType, ITERATOR_CONCAT, ITERATOR_DATA, ITERATOR_HELPER, ITERATOR_WRAP, JOB,
  JS_CLASS, JS_MODE_ASYNC, JSVALUE_SIZE, MAP_CLASSES, MAP_RECORD, MAP_STATE, MODULE, NATIVE_ERROR_NAMES, OBJECT,
  OBJECT_DATA_CLASSES, PROMISE, PROMISE_FUNCTION, PROMISE_REACTION, PROP_AUTOINIT, PROP_GETSET, PROP_TYPE_MASK,
  PROP_VARREF, PROPERTY_SIZE, PROXY, REGEXP_STRING_ITERATOR, REQ_MODULE_ENTRY, RUNTIME, SHAPE, SHAPE_PROP, STACK_FRAME,
  TAG, TYPED_ARRAY, TYPED_ARRAY_CLASSES, VAR_REF, VARDEF_SIZE, WEAK_REF, ATOM_TAG_INT, type HeapTarget,
} from "./layout.js";
import { HeapReadError, VmMemory } from "./memory.js";

/**
 * DevTools edge types: `property` a named property, `element` an array index, `context` a
 * variable captured by a closure, `internal` a reference JS cannot see (home object, bound
 * target, map entry, code, ...), `hidden` plumbing (shapes, realms), `weak` not counted by
 * QuickJS (WeakMap keys, WeakRef targets): ignored for roots, paths and dominators.
 */
export type EdgeType = "context" | "element" | "property" | "internal" | "hidden" | "shortcut" | "weak";
export type NodeKind = "object" | "array" | "function" | "code" | "shape" | "closure variable" | "async frame" | "context" | "module";

export interface HeapEdge {
  from: number;
  to: number;
  type: EdgeType;
  /** Property name, element index, closure variable name or internal slot ("home object", "bound target", ...). */
  name: string;
}

export interface HeapNode {
  /** Position in `nodes` (not stable across snapshots; see HeapGraph.ids for that). */
  index: number;
  /** Address of the GC object in linear memory (the JSObject* of an object's JSValue). */
  address: number;
  gcType: GcType;
  /** JS_CLASS_* id for objects, 0 otherwise. */
  classId: number;
  /** "Object", "Array", "Function", "Map", ... for objects; the GC type otherwise. */
  className: string;
  refCount: number;
  kind: NodeKind;
  /** "Rehash" for an instance or a class, "execute" for a function, "Rehash.prototype", "Array", ... */
  name: string;
  /** Where a function is defined, as written: "commands/rehash.ts:12". */
  location?: string;
  /** The script a function, a class's prototype or a context belongs to: "commands/rehash.ts". */
  file?: string;
  selfSize: number;
  /** References from outside the GC heap (ref_count minus incoming strong edges); > 0 makes it a root. */
  externalRefs: number;
  /** Its references could not all be decoded (an embedder class with its own gc_mark, or a read error). */
  opaque?: boolean;
}

/** Something outside the GC heap that holds a node: a host handle, a queued job, a context's handle. */
export interface ExternalHolder {
  node: number;
  kind: "host" | "context" | "job" | "exception";
  label: string;
}

export interface RawHeap {
  nodes: HeapNode[];
  edges: HeapEdge[];
  byAddress: Map<number, number>;
  holders: ExternalHolder[];
  /** Node index of a context's global object or global lexical scope -> node index of that context. */
  globals: Map<number, number>;
  /** Node index of a context -> its script file (from ReadOptions.contexts). */
  contextFiles: Map<number, string>;
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
}

/** More than this share of unreadable objects means the layout does not fit: give up. */
const MAX_UNREADABLE_SHARE = 0.01;
const MAX_STACK_VALUES = 1 << 20;

/** Reads the heap of a quickjs-emscripten runtime. */
export function readRuntimeHeap(target: HeapTarget, options: ReadOptions = {}): RawHeap {
  return readHeap(new VmMemory(target.module.HEAPU8, target.rtPointer), options);
}

/**
 * Reads every GC object of the runtime and the references between them. `options` may be a
 * Locator (older call form).
 */
export function readHeap(memory: VmMemory, options: ReadOptions | Locator = {}): RawHeap {
  const opts: ReadOptions = typeof options === "function" ? { locate: options } : options;
  const nodes: HeapNode[] = [];
  const byAddress = new Map<number, number>();
  const classNameOf = classNames(memory);
  memory.walkList(memory.runtimePointer + RUNTIME.gcObjList, GC_HEADER.size, "gc_obj_list", (link) => {
    const address = link - GC_HEADER.link;
    const gcType = (memory.u8(address + GC_HEADER.typeByte, "GC header") & 0x0f) as GcType;
    if (gcType >= GC_TYPE_COUNT) throw new HeapReadError(address, `GC object of unknown type ${gcType}`);
    const classId = gcType === GcType.Object ? memory.u16(address + OBJECT.classId, "class id") : 0;
    byAddress.set(address, nodes.length);
    nodes.push({
      index: nodes.length,
      address,
      gcType,
      classId,
      className: gcType === GcType.Object ? classNameOf(classId) : GC_TYPE_NAMES[gcType]!,
      refCount: memory.i32(address + GC_HEADER.refCount, "ref_count"),
      kind: kindOf(gcType, classId),
      name: "",
      selfSize: 0,
      externalRefs: 0,
    });
  });

  const edges: HeapEdge[] = [];
  const decoder = new Decoder(memory, byAddress, edges, nodes, opts);
  let unreadable = 0;
  for (const node of nodes) {
    try {
      decoder.decode(node);
    } catch (error) {
      if (!(error instanceof HeapReadError)) throw error;
      node.opaque = true;
      if (++unreadable > Math.max(3, nodes.length * MAX_UNREADABLE_SHARE)) throw error;
    }
  }
  const incoming = new Int32Array(nodes.length);
  for (const edge of edges) if (edge.type !== "weak") incoming[edge.to]! += 1;
  for (const node of nodes) node.externalRefs = Math.max(0, node.refCount - incoming[node.index]!);
  decoder.nameObjects();
  nameClosureValues(nodes, edges);
  const holders = decoder.externalHolders();
  return { nodes, edges, byAddress, holders, globals: decoder.globals, contextFiles: decoder.contextFiles };
}

const GC_TYPE_NAMES = ["Object", "FunctionBytecode", "Shape", "VarRef", "AsyncFunctionState", "Context", "Module"];

/** A closure variable's value edge carries the variable's name, as DevTools shows context variables. */
function nameClosureValues(nodes: HeapNode[], edges: HeapEdge[]): void {
  const variableName = new Map<number, string>();
  for (const edge of edges) {
    if (nodes[edge.to]!.gcType === GcType.VarRef && !variableName.has(edge.to)) variableName.set(edge.to, edge.name);
  }
  for (const edge of edges) {
    if (edge.name !== "value" || nodes[edge.from]!.gcType !== GcType.VarRef) continue;
    const name = variableName.get(edge.from);
    if (name !== undefined) {
      edge.name = name;
      edge.type = "context";
    }
  }
}

function kindOf(gcType: GcType, classId: number): NodeKind {
  switch (gcType) {
    case GcType.Object:
      if (ARRAY_CLASSES.has(classId) || classId === CLASS.mappedArguments) return "array";
      return FUNCTION_CLASSES.has(classId) ? "function" : "object";
    case GcType.FunctionBytecode:
      return "code";
    case GcType.Shape:
      return "shape";
    case GcType.VarRef:
      return "closure variable";
    case GcType.AsyncFunction:
      return "async frame";
    case GcType.Context:
      return "context";
    default:
      return "module";
  }
}

/** The few own properties used to name objects. */
interface NamedSlots {
  proto?: number;
  constructorRef?: number;
  prototype?: number;
  nameString?: string;
}

/**
 * Object class names: QuickJS's own as dumpMemoryUsage prints them, an embedder's (the
 * HostRef class quickjs-emscripten registers for host functions' data) from its JSClass
 * entry's class_name atom, as QuickJS itself names it.
 */
function classNames(memory: VmMemory): (classId: number) => string {
  const count = memory.i32(memory.runtimePointer + RUNTIME.classCount, "class_count");
  const array = memory.u32(memory.runtimePointer + RUNTIME.classArray, "class_array");
  const cache = new Map<number, string>();
  return (classId) => {
    const known = CLASS_NAMES[classId] ?? cache.get(classId);
    if (known !== undefined) return known;
    const atom = classId < count ? memory.u32(array + classId * JS_CLASS.size + JS_CLASS.className, "class_name") : 0;
    const name = (atom !== 0 && memory.atom(atom)) || `class ${classId}`;
    cache.set(classId, name);
    return name;
  };
}

class Decoder {
  private readonly slots = new Map<number, NamedSlots>();
  private readonly functionNames = new Map<number, string>();
  private readonly classCount: number;
  private readonly classArray: number;
  readonly globals = new Map<number, number>();
  readonly contextFiles = new Map<number, string>();

  constructor(
    private readonly memory: VmMemory,
    private readonly byAddress: Map<number, number>,
    private readonly edges: HeapEdge[],
    private readonly nodes: HeapNode[],
    private readonly options: ReadOptions,
  ) {
    this.classCount = memory.i32(memory.runtimePointer + RUNTIME.classCount, "class_count");
    this.classArray = memory.u32(memory.runtimePointer + RUNTIME.classArray, "class_array");
    if (this.classCount < CLASS.initCount || this.classCount > 1 << 16) throw new HeapReadError(memory.runtimePointer, `class_count ${this.classCount}`);
  }

  /** An edge to the GC object at `address`, if it is one. */
  private add(from: HeapNode, address: number, type: EdgeType, name: string): number | undefined {
    if (address === 0) return undefined;
    const to = this.byAddress.get(address);
    if (to === undefined) return undefined;
    this.edges.push({ from: from.index, to, type, name });
    return to;
  }

  /** An edge for the JSValue at `valueAddress` if it points at a GC object (what JS_MarkValue follows). */
  private addValue(from: HeapNode, valueAddress: number, type: EdgeType, name: string): number | undefined {
    const tag = this.memory.tag(valueAddress);
    return tag === TAG.object || tag === TAG.functionBytecode || tag === TAG.module ? this.add(from, this.memory.u32(valueAddress), type, name) : undefined;
  }

  decode(node: HeapNode): void {
    switch (node.gcType) {
      case GcType.Object:
        return this.decodeObject(node);
      case GcType.FunctionBytecode:
        return this.decodeBytecode(node);
      case GcType.Shape:
        return this.decodeShape(node);
      case GcType.VarRef:
        return this.decodeVarRef(node);
      case GcType.AsyncFunction:
        return this.decodeAsyncFunction(node);
      case GcType.Context:
        return this.decodeContext(node);
      case GcType.Module:
        return this.decodeModule(node);
    }
  }

  private decodeShape(node: HeapNode): void {
    const memory = this.memory;
    const proto = memory.u32(node.address + SHAPE.proto, "shape proto");
    this.add(node, proto, "internal", "prototype");
    const propSize = memory.i32(node.address + SHAPE.propSize, "shape prop_size");
    const hashSize = memory.u32(node.address + SHAPE.propHashMask, "shape hash mask") + 1;
    node.selfSize = SHAPE.props + Math.max(0, propSize) * SHAPE.propStride + hashSize * 4;
    node.name = "(shape)";
  }

  private decodeVarRef(node: HeapNode): void {
    const memory = this.memory;
    node.selfSize = VAR_REF.size;
    node.name = "(closure variable)";
    if (memory.u8(node.address + VAR_REF.isDetached, "var ref") !== 0) {
      this.addValue(node, memory.u32(node.address + VAR_REF.pvalue, "var ref pvalue"), "internal", "value");
    } else {
      // A variable still on a live frame: only an async frame is a GC object.
      const frame = memory.u32(node.address + VAR_REF.stackFrame, "var ref frame");
      if (frame !== 0 && (memory.i32(frame + STACK_FRAME.jsMode, "frame js_mode") & JS_MODE_ASYNC) !== 0) {
        this.add(node, frame - ASYNC_FUNCTION.frame, "internal", "frame");
      }
    }
  }

  private decodeAsyncFunction(node: HeapNode): void {
    const memory = this.memory;
    const base = node.address;
    node.name = "(async function frame)";
    node.selfSize = ASYNC_FUNCTION.size;
    if (memory.i32(base + ASYNC_FUNCTION.isCompleted, "async is_completed") === 0) {
      const frame = base + ASYNC_FUNCTION.frame;
      this.addValue(node, frame + STACK_FRAME.curFunc, "internal", "function");
      this.addValue(node, base + ASYNC_FUNCTION.thisVal, "internal", "this");
      const curSp = memory.u32(frame + STACK_FRAME.curSp, "frame cur_sp");
      if (curSp !== 0) {
        const argBuf = memory.u32(frame + STACK_FRAME.argBuf, "frame arg_buf");
        const count = (curSp - argBuf) / JSVALUE_SIZE;
        if (!Number.isInteger(count) || count < 0 || count > MAX_STACK_VALUES) throw new HeapReadError(frame, "async frame stack");
        for (let i = 0; i < count; i++) this.addValue(node, argBuf + i * JSVALUE_SIZE, "internal", `local [${i}]`);
        node.selfSize += count * JSVALUE_SIZE;
      }
    }
    this.addValue(node, base + ASYNC_FUNCTION.resolvingFuncs, "internal", "resolve");
    this.addValue(node, base + ASYNC_FUNCTION.resolvingFuncs + JSVALUE_SIZE, "internal", "reject");
  }

  private decodeObject(node: HeapNode): void {
    const memory = this.memory;
    const shape = memory.u32(node.address + OBJECT.shape, "object shape");
    const props = memory.u32(node.address + OBJECT.prop, "object properties");
    const slots: NamedSlots = {};
    this.slots.set(node.index, slots);
    this.add(node, shape, "hidden", "shape");
    const proto = memory.u32(shape + SHAPE.proto, "shape proto");
    if (proto !== 0) slots.proto = this.byAddress.get(proto);
    const count = memory.i32(shape + SHAPE.propCount, "shape prop_count");
    const propSize = memory.i32(shape + SHAPE.propSize, "shape prop_size");
    if (count < 0 || count > propSize || propSize * PROPERTY_SIZE > memory.size) throw new HeapReadError(shape, `shape with ${count} of ${propSize} properties`);
    node.selfSize = OBJECT.size + propSize * PROPERTY_SIZE;
    for (let i = 0; i < count; i++) {
      const entry = shape + SHAPE.props + i * SHAPE.propStride;
      const atom = memory.u32(entry + SHAPE_PROP.atom, "shape property");
      if (atom === 0) continue; // deleted
      const flags = memory.u32(entry + SHAPE_PROP.flagsWord) >>> SHAPE_PROP.flagsShift;
      const slot = props + i * PROPERTY_SIZE;
      switch (flags & PROP_TYPE_MASK) {
        case 0: {
          const tag = memory.tag(slot, "property");
          if (tag !== TAG.object && tag !== TAG.functionBytecode && tag !== TAG.module) {
            if (tag === TAG.string && this.keyIs(atom, "name")) slots.nameString = memory.string(memory.u32(slot), 80);
            break;
          }
          const key = memory.atom(atom);
          const target = this.add(node, memory.u32(slot), atom >= ATOM_TAG_INT ? "element" : "property", key);
          if (key === "constructor") slots.constructorRef = target;
          else if (key === "prototype") slots.prototype = target;
          break;
        }
        case PROP_GETSET: {
          const key = memory.atom(atom);
          this.add(node, memory.u32(slot, "getter"), "property", `get ${key}`);
          this.add(node, memory.u32(slot + 4, "setter"), "property", `set ${key}`);
          break;
        }
        case PROP_VARREF:
          // A global or module binding: the property is the variable itself.
          this.add(node, memory.u32(slot, "var ref property"), "property", memory.atom(atom));
          break;
        case PROP_AUTOINIT:
          // A lazily created built-in: holds its realm until first use.
          this.add(node, memory.u32(slot, "autoinit realm") & ~3, "hidden", "realm");
          break;
      }
    }
    this.decodeClassData(node);
  }

  private keyIs(atom: number, key: string): boolean {
    return atom < ATOM_TAG_INT && this.memory.atom(atom) === key;
  }

  /** The class's gc_mark, decoded per class. */
  private decodeClassData(node: HeapNode): void {
    const memory = this.memory;
    const base = node.address;
    const classId = node.classId;
    const opaque = memory.u32(base + OBJECT.opaque, "object data");
    const value = (address: number, type: EdgeType, name: string) => this.addValue(node, address, type, name);
    if (ARRAY_CLASSES.has(classId)) {
      const length = memory.u32(base + OBJECT.arrayCount, "array count");
      const values = memory.u32(base + OBJECT.arrayValues, "array values");
      if (length > memory.size / JSVALUE_SIZE) throw new HeapReadError(base, `array of ${length} elements`);
      node.selfSize += memory.u32(base + OBJECT.arraySize) * JSVALUE_SIZE;
      for (let i = 0; i < length; i++) value(values + i * JSVALUE_SIZE, "element", String(i));
    } else if (classId === CLASS.mappedArguments) {
      const length = memory.u32(base + OBJECT.arrayCount, "arguments count");
      const refs = memory.u32(base + OBJECT.arrayValues, "arguments var refs");
      if (length > memory.size / 4) throw new HeapReadError(base, `arguments of ${length} elements`);
      for (let i = 0; i < length; i++) this.add(node, memory.u32(refs + i * 4, "arguments var ref"), "element", String(i));
    } else if (BYTECODE_FUNCTION_CLASSES.has(classId)) {
      const bytecode = memory.u32(base + OBJECT.funcBytecode, "function bytecode");
      const varRefs = memory.u32(base + OBJECT.funcVarRefs, "function var refs");
      this.add(node, memory.u32(base + OBJECT.funcHomeObject, "home object"), "internal", "home object");
      if (bytecode === 0) return;
      if (varRefs !== 0) {
        const names = this.closureVarNames(bytecode);
        for (let i = 0; i < names.length; i++) this.add(node, memory.u32(varRefs + i * 4, "var ref"), "context", names[i]!);
        node.selfSize += names.length * 4;
      }
      this.add(node, bytecode, "internal", "code");
      this.functionNames.set(node.index, memory.atom(memory.u32(bytecode + BYTECODE.funcName)));
      this.setLocation(node, bytecode);
    } else if (classId === CLASS.boundFunction) {
      if (opaque === 0) return;
      value(opaque + BOUND_FUNCTION.funcObj, "internal", "bound target");
      value(opaque + BOUND_FUNCTION.thisVal, "internal", "bound this");
      const argc = memory.i32(opaque + BOUND_FUNCTION.argc, "bound argc");
      if (argc < 0 || argc > 65536) throw new HeapReadError(opaque, `bound function with ${argc} arguments`);
      for (let i = 0; i < argc; i++) value(opaque + BOUND_FUNCTION.argv + i * JSVALUE_SIZE, "internal", `bound argument ${i}`);
      node.selfSize += BOUND_FUNCTION.argv + argc * JSVALUE_SIZE;
      this.functionNames.set(node.index, "bound function");
    } else if (classId === CLASS.cFunction) {
      this.add(node, memory.u32(base + OBJECT.cFunctionRealm, "c function realm"), "hidden", "realm");
    } else if (classId === CLASS.cFunctionData) {
      if (opaque === 0) return;
      const count = memory.u8(opaque + C_FUNCTION_DATA.dataLen, "c function data");
      for (let i = 0; i < count; i++) value(opaque + C_FUNCTION_DATA.data + i * JSVALUE_SIZE, "internal", `data ${i}`);
      node.selfSize += C_FUNCTION_DATA.data + count * JSVALUE_SIZE;
    } else if (OBJECT_DATA_CLASSES.has(classId)) {
      value(base + OBJECT.objectData, "internal", "primitive value");
    } else if (classId === CLASS.globalObject) {
      value(base + OBJECT.globalUninitializedVars, "internal", "uninitialized variables");
    } else if (classId === CLASS.forInIterator) {
      if (opaque !== 0) value(opaque + FOR_IN_ITERATOR.obj, "internal", "iterated object");
    } else if (TYPED_ARRAY_CLASSES.has(classId)) {
      if (opaque !== 0) this.add(node, memory.u32(opaque + TYPED_ARRAY.buffer, "typed array buffer"), "internal", "buffer");
    } else if (MAP_CLASSES.has(classId)) {
      this.decodeMap(node, opaque);
    } else if (classId === CLASS.mapIterator || classId === CLASS.setIterator || classId === CLASS.arrayIterator || classId === CLASS.stringIterator) {
      if (opaque !== 0) value(opaque + ITERATOR_DATA.obj, "internal", "iterated object");
    } else if (classId === CLASS.regexpStringIterator) {
      if (opaque === 0) return;
      value(opaque + REGEXP_STRING_ITERATOR.regexp, "internal", "regexp");
      value(opaque + REGEXP_STRING_ITERATOR.string, "internal", "string");
    } else if (classId === CLASS.iteratorConcat) {
      if (opaque === 0) return;
      value(opaque + ITERATOR_CONCAT.iter, "internal", "iterator");
      value(opaque + ITERATOR_CONCAT.next, "internal", "next");
      const index = memory.i32(opaque + ITERATOR_CONCAT.index);
      const count = memory.i32(opaque + ITERATOR_CONCAT.count);
      if (count < 0 || count > 1 << 24) throw new HeapReadError(opaque, "iterator concat");
      for (let i = Math.max(0, index); i < count; i++) value(opaque + ITERATOR_CONCAT.values + i * JSVALUE_SIZE, "internal", `value ${i}`);
    } else if (classId === CLASS.iteratorHelper) {
      if (opaque === 0) return;
      value(opaque + ITERATOR_HELPER.obj, "internal", "iterator");
      value(opaque + ITERATOR_HELPER.func, "internal", "function");
      value(opaque + ITERATOR_HELPER.next, "internal", "next");
      value(opaque + ITERATOR_HELPER.inner, "internal", "inner");
    } else if (classId === CLASS.iteratorWrap) {
      if (opaque === 0) return;
      value(opaque + ITERATOR_WRAP.iter, "internal", "iterator");
      value(opaque + ITERATOR_WRAP.next, "internal", "next");
    } else if (classId === CLASS.generator) {
      if (opaque !== 0) this.add(node, memory.u32(opaque + GENERATOR.funcState, "generator state"), "internal", "frame");
    } else if (classId === CLASS.asyncGenerator) {
      this.decodeAsyncGenerator(node, opaque);
    } else if (classId === CLASS.proxy) {
      if (opaque === 0) return;
      value(opaque + PROXY.target, "internal", "target");
      value(opaque + PROXY.handler, "internal", "handler");
    } else if (classId === CLASS.promise) {
      this.decodePromise(node, opaque);
    } else if (classId === CLASS.promiseResolveFunction || classId === CLASS.promiseRejectFunction) {
      if (opaque !== 0) value(opaque + PROMISE_FUNCTION.promise, "internal", "promise");
    } else if (classId === CLASS.asyncFunctionResolve || classId === CLASS.asyncFunctionReject) {
      this.add(node, opaque, "internal", "frame");
    } else if (classId === CLASS.asyncFromSyncIterator) {
      if (opaque === 0) return;
      value(opaque + ASYNC_FROM_SYNC_ITERATOR.syncIter, "internal", "iterator");
      value(opaque + ASYNC_FROM_SYNC_ITERATOR.nextMethod, "internal", "next");
    } else if (classId === CLASS.weakRef) {
      if (opaque !== 0) value(opaque + WEAK_REF.target, "weak", "target");
    } else if (classId === CLASS.finalizationRegistry) {
      this.decodeFinalizationRegistry(node, opaque);
    } else if (classId >= CLASS.initCount) {
      // An embedder's class: its references are unknown unless it has no gc_mark at all.
      if (classId >= this.classCount) throw new HeapReadError(base, `class id ${classId}`);
      if (memory.u32(this.classArray + classId * JS_CLASS.size + JS_CLASS.gcMark, "class gc_mark") !== 0) node.opaque = true;
    }
  }

  private decodeMap(node: HeapNode, state: number): void {
    const memory = this.memory;
    if (state === 0) return;
    const weak = memory.i32(state + MAP_STATE.isWeak, "map is_weak") !== 0;
    const isSet = node.classId === CLASS.set || node.classId === CLASS.weakSet;
    let index = 0;
    memory.walkList(state + MAP_STATE.records, MAP_RECORD.size, "map records", (link) => {
      const record = link - MAP_RECORD.link;
      const i = index++;
      if (isSet) {
        this.addValue(node, record + MAP_RECORD.key, weak ? "weak" : "internal", `entry [${i}]`);
        return;
      }
      this.addValue(node, record + MAP_RECORD.key, weak ? "weak" : "internal", `key [${i}]`);
      this.addValue(node, record + MAP_RECORD.value, "internal", `value ${this.primitiveKey(record + MAP_RECORD.key) ?? `[${i}]`}`);
    });
    node.selfSize += index * MAP_RECORD.size;
  }

  /** A map key printed for an entry's name when it is a primitive: `for key "id"`, `for key 3`. */
  private primitiveKey(address: number): string | undefined {
    const { tag, pointer } = this.memory.value(address);
    if (tag === TAG.int) return `for key ${pointer | 0}`;
    if (tag === TAG.string) return `for key ${JSON.stringify(this.memory.string(pointer, 40))}`;
    return undefined;
  }

  private decodePromise(node: HeapNode, data: number): void {
    if (data === 0) return;
    for (let list = 0; list < 2; list++) {
      const what = list === 0 ? "on fulfilled" : "on rejected";
      let i = 0;
      this.memory.walkList(data + PROMISE.reactions + list * 8, 32, "promise reactions", (link) => {
        const reaction = link - PROMISE_REACTION.link;
        const n = i++;
        this.addValue(node, reaction + PROMISE_REACTION.resolvingFuncs, "internal", `${what} [${n}] resolve`);
        this.addValue(node, reaction + PROMISE_REACTION.resolvingFuncs + JSVALUE_SIZE, "internal", `${what} [${n}] reject`);
        this.addValue(node, reaction + PROMISE_REACTION.handler, "internal", `${what} [${n}] handler`);
      });
    }
    this.addValue(node, data + PROMISE.result, "internal", "result");
  }

  private decodeAsyncGenerator(node: HeapNode, data: number): void {
    if (data === 0) return;
    let i = 0;
    this.memory.walkList(data + ASYNC_GENERATOR.queue, 48, "async generator queue", (link) => {
      const request = link - ASYNC_GENERATOR_REQUEST.link;
      const n = i++;
      this.addValue(node, request + ASYNC_GENERATOR_REQUEST.result, "internal", `request [${n}] value`);
      this.addValue(node, request + ASYNC_GENERATOR_REQUEST.promise, "internal", `request [${n}] promise`);
      this.addValue(node, request + ASYNC_GENERATOR_REQUEST.resolvingFuncs, "internal", `request [${n}] resolve`);
      this.addValue(node, request + ASYNC_GENERATOR_REQUEST.resolvingFuncs + JSVALUE_SIZE, "internal", `request [${n}] reject`);
    });
    this.add(node, this.memory.u32(data + ASYNC_GENERATOR.funcState, "async generator state"), "internal", "frame");
  }

  private decodeFinalizationRegistry(node: HeapNode, data: number): void {
    if (data === 0) return;
    let i = 0;
    this.memory.walkList(data + FINALIZATION_REGISTRY.entries, 32, "finalization registry entries", (link) => {
      const entry = link - FINREC_ENTRY.link;
      const n = i++;
      this.addValue(node, entry + FINREC_ENTRY.target, "weak", `target [${n}]`);
      this.addValue(node, entry + FINREC_ENTRY.heldVal, "internal", `held value [${n}]`);
      this.addValue(node, entry + FINREC_ENTRY.token, "weak", `token [${n}]`);
    });
    this.addValue(node, data + FINALIZATION_REGISTRY.cb, "internal", "callback");
    this.add(node, this.memory.u32(data + FINALIZATION_REGISTRY.realm, "registry realm"), "hidden", "realm");
  }

  private closureVarNames(bytecode: number): string[] {
    const memory = this.memory;
    const count = memory.i32(bytecode + BYTECODE.closureVarCount, "closure_var_count");
    const vars = memory.u32(bytecode + BYTECODE.closureVar, "closure_var");
    if (count < 0 || count > 1 << 16) throw new HeapReadError(bytecode, `${count} closure variables`);
    const names: string[] = [];
    for (let i = 0; i < count && vars !== 0; i++) names.push(memory.atom(memory.u32(vars + i * CLOSURE_VAR.stride + CLOSURE_VAR.varName, "closure var")));
    return names;
  }

  private setLocation(node: HeapNode, bytecode: number): void {
    const memory = this.memory;
    if ((memory.u8(bytecode + BYTECODE.hasDebugByte, "has_debug") & BYTECODE.hasDebugBit) === 0) return;
    const evaluated = memory.atom(memory.u32(bytecode + BYTECODE.filename, "filename"));
    const buffer = memory.u32(bytecode + BYTECODE.pc2lineBuf, "pc2line");
    const length = memory.i32(bytecode + BYTECODE.pc2lineLen, "pc2line_len");
    if (buffer === 0 || length <= 0) {
      node.file = evaluated;
      node.location = evaluated;
      return;
    }
    const [line, afterLine] = memory.leb128(buffer, buffer + length);
    const [column] = memory.leb128(afterLine, buffer + length);
    const located = this.options.locate?.(evaluated, line + 1, column + 1);
    node.location = located ?? `${evaluated}:${line + 1}`;
    node.file = located ? located.replace(/:\d+(:\d+)?$/, "") : evaluated;
  }

  private decodeBytecode(node: HeapNode): void {
    const memory = this.memory;
    const base = node.address;
    const cpool = memory.u32(base + BYTECODE.cpool, "cpool");
    const count = memory.i32(base + BYTECODE.cpoolCount, "cpool_count");
    if (count < 0 || count > memory.size / JSVALUE_SIZE) throw new HeapReadError(base, `${count} constants`);
    for (let i = 0; i < count && cpool !== 0; i++) this.addValue(node, cpool + i * JSVALUE_SIZE, "internal", `constant ${i}`);
    this.add(node, memory.u32(base + BYTECODE.realm, "bytecode realm"), "hidden", "realm");
    node.name = memory.atom(memory.u32(base + BYTECODE.funcName)) || "(anonymous)";
    this.setLocation(node, base);
    const locals = memory.u16(base + BYTECODE.argCount) + memory.u16(base + BYTECODE.varCount);
    node.selfSize =
      BYTECODE.size +
      Math.max(0, memory.i32(base + BYTECODE.byteCodeLen)) +
      count * JSVALUE_SIZE +
      Math.max(0, memory.i32(base + BYTECODE.closureVarCount)) * CLOSURE_VAR.stride +
      locals * VARDEF_SIZE +
      Math.max(0, memory.i32(base + BYTECODE.pc2lineLen)) +
      Math.max(0, memory.i32(base + BYTECODE.sourceLen));
  }

  private decodeContext(node: HeapNode): void {
    const memory = this.memory;
    const base = node.address;
    const file = this.options.contexts?.get(base);
    if (file !== undefined) {
      this.contextFiles.set(node.index, file);
      node.file = file;
    }
    node.name = file !== undefined ? `context ${file}` : "(context)";
    node.selfSize = CONTEXT.size + this.classCount * JSVALUE_SIZE;
    memory.walkList(base + CONTEXT.loadedModules, MODULE.size, "loaded modules", (link) => {
      const module = link - MODULE.link;
      this.add(node, module, "internal", `module ${memory.atom(memory.u32(module + MODULE.moduleName, "module name"))}`);
    });
    const global = this.addValue(node, base + CONTEXT.globalObj, "internal", "global object");
    const lexical = this.addValue(node, base + CONTEXT.globalVarObj, "internal", "global lexical scope");
    if (global !== undefined) this.globals.set(global, node.index);
    if (lexical !== undefined) this.globals.set(lexical, node.index);
    this.addValue(node, base + CONTEXT.throwTypeError, "hidden", "%ThrowTypeError%");
    this.addValue(node, base + CONTEXT.evalObj, "hidden", "eval");
    this.addValue(node, base + CONTEXT.arrayProtoValues, "hidden", "Array.prototype.values");
    for (let i = 0; i < CONTEXT.nativeErrorCount; i++) this.addValue(node, base + CONTEXT.nativeErrorProto + i * JSVALUE_SIZE, "hidden", `${NATIVE_ERROR_NAMES[i]}.prototype`);
    const classProto = memory.u32(base + CONTEXT.classProto, "class_proto");
    for (let i = 0; i < this.classCount && classProto !== 0; i++) this.addValue(node, classProto + i * JSVALUE_SIZE, "hidden", `${CLASS_NAMES[i] ?? `class ${i}`}.prototype`);
    this.addValue(node, base + CONTEXT.iteratorCtor, "hidden", "Iterator");
    this.addValue(node, base + CONTEXT.asyncIteratorProto, "hidden", "AsyncIterator.prototype");
    this.addValue(node, base + CONTEXT.promiseCtor, "hidden", "Promise");
    this.addValue(node, base + CONTEXT.arrayCtor, "hidden", "Array");
    this.addValue(node, base + CONTEXT.regexpCtor, "hidden", "RegExp");
    this.addValue(node, base + CONTEXT.functionCtor, "hidden", "Function");
    this.addValue(node, base + CONTEXT.functionProto, "hidden", "Function.prototype");
    for (let i = 0; i < CONTEXT.shapeCount; i++) this.add(node, memory.u32(base + CONTEXT.shapes + i * 4, "context shape"), "hidden", CONTEXT_SHAPE_NAMES[i]!);
  }

  private decodeModule(node: HeapNode): void {
    const memory = this.memory;
    const base = node.address;
    node.name = memory.atom(memory.u32(base + MODULE.moduleName, "module name"));
    node.file = node.name;
    node.selfSize = MODULE.size;
    const reqCount = memory.i32(base + MODULE.reqModuleEntriesCount, "req_module_entries_count");
    const reqs = memory.u32(base + MODULE.reqModuleEntries, "req_module_entries");
    if (reqCount < 0 || reqCount > 1 << 20) throw new HeapReadError(base, `${reqCount} module requests`);
    for (let i = 0; i < reqCount; i++) this.addValue(node, reqs + i * REQ_MODULE_ENTRY.size + REQ_MODULE_ENTRY.attributes, "internal", `import attributes ${i}`);
    const exportCount = memory.i32(base + MODULE.exportEntriesCount, "export_entries_count");
    const exports = memory.u32(base + MODULE.exportEntries, "export_entries");
    if (exportCount < 0 || exportCount > 1 << 20) throw new HeapReadError(base, `${exportCount} exports`);
    for (let i = 0; i < exportCount; i++) {
      const entry = exports + i * EXPORT_ENTRY.size;
      if (memory.i32(entry + EXPORT_ENTRY.exportType, "export type") !== EXPORT_TYPE_LOCAL) continue;
      this.add(node, memory.u32(entry + EXPORT_ENTRY.varRef, "export var ref"), "context", memory.atom(memory.u32(entry + EXPORT_ENTRY.exportName)));
    }
    this.addValue(node, base + MODULE.moduleNs, "internal", "namespace");
    this.addValue(node, base + MODULE.funcObj, "internal", "function");
    this.addValue(node, base + MODULE.evalException, "internal", "exception");
    this.addValue(node, base + MODULE.metaObj, "internal", "import.meta");
    this.addValue(node, base + MODULE.promise, "internal", "promise");
    this.addValue(node, base + MODULE.resolvingFuncs, "internal", "resolve");
    this.addValue(node, base + MODULE.resolvingFuncs + JSVALUE_SIZE, "internal", "reject");
    this.addValue(node, base + MODULE.privateValue, "internal", "private value");
  }

  /** Names objects after their constructor, prototypes after their class, functions after themselves. */
  nameObjects(): void {
    const functionName = (index: number | undefined): string | undefined => {
      if (index === undefined) return undefined;
      return this.slots.get(index)?.nameString || this.functionNames.get(index) || undefined;
    };
    for (const node of this.nodes) {
      if (node.gcType !== GcType.Object) continue;
      const slots: NamedSlots = this.slots.get(node.index) ?? {};
      if (node.kind === "function") {
        node.name = functionName(node.index) ?? node.className;
        continue;
      }
      if (this.globals.has(node.index)) {
        const context = this.nodes[this.globals.get(node.index)!]!;
        const file = this.contextFiles.get(context.index);
        node.name = node.classId === CLASS.globalObject ? "(global object)" : "(global lexical scope)";
        if (file !== undefined) node.file = file;
        continue;
      }
      const ownConstructor = slots.constructorRef;
      if (ownConstructor !== undefined && this.slots.get(ownConstructor)?.prototype === node.index) {
        node.name = `${functionName(ownConstructor) ?? "(anonymous)"}.prototype`;
        const file = this.nodes[ownConstructor]!.file;
        if (file !== undefined) node.file = file;
        continue;
      }
      const protoConstructor = slots.proto === undefined ? undefined : this.slots.get(slots.proto)?.constructorRef;
      const constructorName = functionName(protoConstructor);
      node.name = constructorName && constructorName !== "Object" ? constructorName : node.className;
    }
  }

  /** What holds nodes from outside the heap: caller-known handles, contexts, queued jobs, the pending exception. */
  externalHolders(): ExternalHolder[] {
    const memory = this.memory;
    const holders: ExternalHolder[] = [];
    for (const [address, label] of this.options.holders ?? []) {
      const node = this.byAddress.get(address);
      if (node !== undefined) holders.push({ node, kind: "host", label });
    }
    for (const [node, file] of this.contextFiles) holders.push({ node, kind: "context", label: `context ${file}` });
    const contextName = (address: number): string => {
      const index = this.byAddress.get(address);
      return index === undefined ? "" : ` of ${this.nodes[index]!.name}`;
    };
    const rt = memory.runtimePointer;
    const exception = memory.value(rt + RUNTIME.currentException, "current_exception");
    if (GC_TAGS.has(exception.tag)) {
      const node = this.byAddress.get(exception.pointer);
      if (node !== undefined) holders.push({ node, kind: "exception", label: "the pending exception" });
    }
    let job = 0;
    memory.walkList(rt + RUNTIME.jobList, JOB.argv, "job_list", (link) => {
      const entry = link - JOB.link;
      const realm = memory.u32(entry + JOB.realm, "job realm");
      const label = `queued job ${job++}${contextName(realm)}`;
      const realmNode = this.byAddress.get(realm);
      if (realmNode !== undefined) holders.push({ node: realmNode, kind: "job", label });
      const argc = memory.i32(entry + JOB.argc, "job argc");
      if (argc < 0 || argc > 64) throw new HeapReadError(entry, `job with ${argc} arguments`);
      for (let i = 0; i < argc; i++) {
        const { tag, pointer } = memory.value(entry + JOB.argv + i * JSVALUE_SIZE, "job argument");
        const node = GC_TAGS.has(tag) ? this.byAddress.get(pointer) : undefined;
        if (node !== undefined) holders.push({ node, kind: "job", label: `argument ${i} of ${label}` });
      }
    });
    return holders;
  }
}
