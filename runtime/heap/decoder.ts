/**
 * Decodes one GC object's references, kind by kind, exactly as QuickJS's mark_children and
 * the classes' gc_mark functions see them, into the reader's flat edge arrays. Also notes
 * what naming needs (naming-facts.ts); the texts it interns are heap-texts.ts's, what a
 * bytecode says of its functions bytecode-facts.ts's.
 */
import {
  ASYNC_FROM_SYNC_ITERATOR, ASYNC_FUNCTION, ASYNC_GENERATOR, ASYNC_GENERATOR_REQUEST, ARRAY_CLASSES, ATOM_TAG_INT,
  BOUND_FUNCTION, BYTECODE, BYTECODE_FUNCTION_CLASSES, C_FUNCTION_DATA, CLASS, CLASS_NAMES, CLOSURE_VAR, CONTEXT,
  CONTEXT_SHAPE_NAMES, EXPORT_ENTRY, EXPORT_TYPE_LOCAL, FINALIZATION_REGISTRY, FINREC_ENTRY, FOR_IN_ITERATOR, GENERATOR,
  GcType, ITERATOR_CONCAT, ITERATOR_DATA, ITERATOR_HELPER, ITERATOR_WRAP, JS_CLASS, JS_MODE_ASYNC, JSVALUE_SIZE,
  MAP_CLASSES, MAP_RECORD, MAP_STATE, MODULE, NATIVE_ERROR_NAMES, OBJECT, OBJECT_DATA_CLASSES, PROMISE,
  PROMISE_FUNCTION, PROMISE_REACTION, PROP_AUTOINIT, PROP_GETSET, PROP_TYPE_MASK, PROP_VARREF, PROPERTY_SIZE, PROXY,
  REGEXP_STRING_ITERATOR, REQ_MODULE_ENTRY, RUNTIME, SHAPE, SHAPE_PROP, STACK_FRAME, TAG, TYPED_ARRAY,
  TYPED_ARRAY_CLASSES, VAR_REF, VARDEF_SIZE, WEAK_REF,
} from "./layout.js";
import { EDGE, type ReadOptions, type StringTable } from "./heap-data.js";
import { HeapReadError, type VmMemory } from "./memory.js";
import { DELETED, ShapeTable, SPECIAL } from "./shape-table.js";
import type { EdgeSink, NodeSink } from "./sinks.js";
import { NamingNotes, type NamingFacts } from "./naming-facts.js";
import { HeapTexts, HOT } from "./heap-texts.js";
import { BytecodeFacts } from "./bytecode-facts.js";

const MAX_STACK_VALUES = 1 << 20;

/** What decodeClassData does per class id, looked up in a table (one read a object, no Set lookups). */
const ClassData = { None: 0, Array: 1, Other: 2 } as const;
const CLASS_DATA = new Uint8Array(1 << 16).fill(ClassData.Other);
CLASS_DATA[CLASS.object] = ClassData.None;
CLASS_DATA[CLASS.error] = ClassData.None;
CLASS_DATA[CLASS.regexp] = ClassData.None;
CLASS_DATA[CLASS.arrayBuffer] = ClassData.None;
CLASS_DATA[CLASS.sharedArrayBuffer] = ClassData.None;
for (const id of ARRAY_CLASSES) CLASS_DATA[id] = ClassData.Array;


export type { NamingFacts };

export class Decoder {
  private readonly classCount: number;
  private readonly classArray: number;
  private readonly shapes: ShapeTable;
  /** Per class id: string id of "<class>.prototype", a context's hidden edge (-1: not interned yet). */
  private classProtoNames: Int32Array | undefined;
  private readonly texts: HeapTexts;
  private readonly bytecodes: BytecodeFacts;
  /** Edge names every object uses, interned up front. */
  private readonly shapeName: number;
  private readonly notes = new NamingNotes();
  /** [address of a context's global object or global lexical scope, node of the context]. */
  readonly globals: [number, number][] = [];
  readonly contextFiles = new Map<number, string>();

  constructor(
    private readonly memory: VmMemory,
    private readonly data: NodeSink,
    private readonly edges: EdgeSink,
    private readonly strings: StringTable,
    private readonly options: ReadOptions,
  ) {
    this.classCount = memory.i32(memory.runtimePointer + RUNTIME.classCount, "class_count");
    this.classArray = memory.u32(memory.runtimePointer + RUNTIME.classArray, "class_array");
    if (this.classCount < CLASS.initCount || this.classCount > 1 << 16) throw new HeapReadError(memory.runtimePointer, `class_count ${this.classCount}`);
    // Sized from the node capacity (the last snapshot's count): a heap of many contexts has a shape for every third object.
    const objects = data.address.length;
    this.shapes = new ShapeTable(Math.max(1024, objects >>> 3), Math.max(8192, objects));
    this.texts = new HeapTexts(memory, strings);
    this.bytecodes = new BytecodeFacts(memory, data, strings, this.texts, options);
    this.shapeName = this.texts.text("shape");
  }

  /** What naming needs, once the walk is done. */
  get naming(): NamingFacts {
    return this.notes.facts(this.shapes.proto.subarray(0, this.shapes.count));
  }

  /** An edge from the node being decoded to whatever is at `address` (the reader drops it unless a GC object is there). */
  private add(address: number, type: number, name: number): void {
    if (address !== 0) this.edges.push(address, type, name);
  }

  /** An edge for the JSValue at `valueAddress` if it points at a GC object (what JS_MarkValue follows); returns the address, or 0. */
  private addValue(valueAddress: number, type: number, name: number): number {
    const tag = this.memory.tag(valueAddress);
    if (tag !== TAG.object && tag !== TAG.functionBytecode && tag !== TAG.module) return 0;
    const address = this.memory.u32(valueAddress);
    this.add(address, type, name);
    return address;
  }

  /** addValue with a constant name. (A method, not a closure made per object: that allocated ~30 MB a snapshot on 3,000 scripts.) */
  private addNamed(valueAddress: number, type: number, name: string): number {
    return this.addValue(valueAddress, type, this.texts.text(name));
  }

  /** Decodes node `node` (the GC object at `base`, of GC type `gcType`). */
  decode(node: number, base: number, gcType: number): void {
    switch (gcType) {
      case GcType.Object:
        return this.decodeObject(node, base);
      case GcType.FunctionBytecode:
        return this.decodeBytecode(node, base);
      case GcType.Shape:
        return this.decodeShape(node, base);
      case GcType.VarRef:
        return this.decodeVarRef(node, base);
      case GcType.AsyncFunction:
        return this.decodeAsyncFunction(node, base);
      case GcType.Context:
        return this.decodeContext(node, base);
      case GcType.Module:
        return this.decodeModule(node, base);
    }
  }

  private decodeShape(node: number, base: number): void {
    const memory = this.memory;
    this.add(memory.u32(base + SHAPE.proto, "shape proto"), EDGE.internal, this.texts.hot(HOT.prototype));
    const propSize = memory.i32(base + SHAPE.propSize, "shape prop_size");
    const hashSize = memory.u32(base + SHAPE.propHashMask, "shape hash mask") + 1;
    this.data.selfSize[node] = SHAPE.props + Math.max(0, propSize) * SHAPE.propStride + hashSize * 4;
    this.data.name[node] = this.texts.hot(HOT.shape);
  }

  private decodeVarRef(node: number, base: number): void {
    const memory = this.memory;
    this.data.selfSize[node] = VAR_REF.size;
    this.data.name[node] = this.texts.hot(HOT.closureVariable);
    if (memory.u8(base + VAR_REF.isDetached, "var ref") !== 0) {
      this.addValue(memory.u32(base + VAR_REF.pvalue, "var ref pvalue"), EDGE.internal, this.texts.hot(HOT.value));
    } else {
      // A variable still on a live frame: only an async frame is a GC object.
      const frame = memory.u32(base + VAR_REF.stackFrame, "var ref frame");
      if (frame !== 0 && (memory.i32(frame + STACK_FRAME.jsMode, "frame js_mode") & JS_MODE_ASYNC) !== 0) {
        this.add(frame - ASYNC_FUNCTION.frame, EDGE.internal, this.texts.hot(HOT.frame));
      }
    }
  }

  private decodeAsyncFunction(node: number, base: number): void {
    const memory = this.memory;
    this.data.name[node] = this.texts.text("(async function frame)");
    this.data.selfSize[node] = ASYNC_FUNCTION.size;
    if (memory.i32(base + ASYNC_FUNCTION.isCompleted, "async is_completed") === 0) {
      const frame = base + ASYNC_FUNCTION.frame;
      this.addValue(frame + STACK_FRAME.curFunc, EDGE.internal, this.texts.text("function"));
      this.addValue(base + ASYNC_FUNCTION.thisVal, EDGE.internal, this.texts.text("this"));
      const curSp = memory.u32(frame + STACK_FRAME.curSp, "frame cur_sp");
      if (curSp !== 0) {
        const argBuf = memory.u32(frame + STACK_FRAME.argBuf, "frame arg_buf");
        const count = (curSp - argBuf) / JSVALUE_SIZE;
        if (!Number.isInteger(count) || count < 0 || count > MAX_STACK_VALUES) throw new HeapReadError(frame, "async frame stack");
        for (let i = 0; i < count; i++) this.addValue(argBuf + i * JSVALUE_SIZE, EDGE.internal, this.strings.intern(`local [${i}]`));
        this.data.selfSize[node]! += count * JSVALUE_SIZE;
      }
    }
    this.addValue(base + ASYNC_FUNCTION.resolvingFuncs, EDGE.internal, this.texts.text("resolve"));
    this.addValue(base + ASYNC_FUNCTION.resolvingFuncs + JSVALUE_SIZE, EDGE.internal, this.texts.text("reject"));
  }

  /** The id of a shape's property table in the ShapeTable, decoded once per shape (objects of one class share one). */
  private shapeId(shape: number): number {
    const id = this.shapes.find(shape);
    return id !== -1 ? id : this.readShape(shape);
  }

  private readShape(shape: number): number {
    const memory = this.memory;
    const count = memory.i32(shape + SHAPE.propCount, "shape prop_count");
    const propSize = memory.i32(shape + SHAPE.propSize, "shape prop_size");
    if (count < 0 || count > propSize || propSize * PROPERTY_SIZE > memory.size) throw new HeapReadError(shape, `shape with ${count} of ${propSize} properties`);
    const proto = memory.u32(shape + SHAPE.proto, "shape proto");
    // Checked aligned and in memory: readProperties reads the entries as words.
    if (count > 0) memory.word(shape + SHAPE.props + count * SHAPE.propStride - 4, "shape properties");
    const table = this.shapes;
    const id = table.reserve(count, propSize, proto);
    try {
      this.readProperties(shape, id, count);
    } catch (error) {
      // Only a shape that read whole takes an id.
      table.drop(id);
      throw error;
    }
    table.publish(shape, id);
    return id;
  }

  /** Fills the pool entries of shape `id` from the shape's property table. */
  private readProperties(shape: number, id: number, count: number): void {
    const words = this.memory.words;
    const table = this.shapes;
    const { kind, edgeType, name, special } = table;
    const start = table.start[id]!;
    let plain = 1;
    for (let i = 0; i < count; i++) {
      const entry = shape + SHAPE.props + i * SHAPE.propStride;
      const at = start + i;
      // In memory: readShape checked the last entry.
      const atom = words[(entry + SHAPE_PROP.atom) >>> 2]!;
      if (atom === 0) {
        kind[at] = DELETED;
        edgeType[at] = 0;
        name[at] = 0;
        special[at] = SPECIAL.none;
        plain = 0;
        continue;
      }
      const type = (words[(entry + SHAPE_PROP.flagsWord) >>> 2]! >>> SHAPE_PROP.flagsShift) & PROP_TYPE_MASK;
      kind[at] = type;
      if (type !== 0) plain = 0;
      if (atom >= ATOM_TAG_INT) {
        edgeType[at] = EDGE.element;
        name[at] = atom - ATOM_TAG_INT;
        special[at] = SPECIAL.none;
        continue;
      }
      edgeType[at] = EDGE.property;
      name[at] = this.texts.atomName(atom);
      special[at] = this.texts.special(atom);
      if (special[at] !== SPECIAL.none) plain = 0;
      if (type === PROP_GETSET) {
        this.texts.getterName(name[at]!);
        this.texts.setterName(name[at]!);
      }
    }
    table.plain[id] = plain;
  }

  /**
   * `base` is a GC object the walk checked (4-byte aligned, its first OBJECT.size bytes inside
   * memory): the object's own fields are read without checks; what they point at is checked.
   */
  private decodeObject(node: number, base: number): void {
    const memory = this.memory;
    const words = memory.words;
    const shape = words[(base + OBJECT.shape) >>> 2]!;
    const props = words[(base + OBJECT.prop) >>> 2]!;
    if (shape !== 0) this.edges.push(shape, EDGE.hidden, this.shapeName);
    const id = this.shapeId(shape);
    const shapes = this.shapes;
    const data = this.data;
    data.shape[node] = id + 1;
    data.selfSize[node] = OBJECT.size + shapes.propSize[id]! * PROPERTY_SIZE;
    const count = shapes.propCount[id]!;
    if (count > 0) {
      memory.word(props + count * PROPERTY_SIZE - 4, "object properties");
      if (shapes.plain[id] === 1) this.plainProperties(props, shapes.start[id]!, count);
      else this.properties(node, props, shapes.start[id]!, count);
    }
    const what = CLASS_DATA[data.classId[node]!];
    if (what === ClassData.Array) this.decodeArray(node, base);
    else if (what === ClassData.Other) this.decodeClassData(node, base);
  }

  /** Properties of a shape with plain values only (no accessors, no deleted slots, no keys naming needs): the common case. Its pool entries start at `start`. */
  private plainProperties(props: number, start: number, count: number): void {
    const { words, signedWords } = this.memory;
    const { edgeType, name } = this.shapes;
    const edges = this.edges;
    for (let i = 0, slot = props >>> 2; i < count; i++, slot += 2) {
      const tag = signedWords[slot + 1]!;
      if (tag !== TAG.object && tag !== TAG.functionBytecode && tag !== TAG.module) continue;
      const target = words[slot]!;
      if (target !== 0) edges.push(target, edgeType[start + i]!, name[start + i]!);
    }
  }

  private properties(node: number, props: number, start: number, count: number): void {
    const memory = this.memory;
    const { words, signedWords } = memory;
    const { kind, edgeType, name, special } = this.shapes;
    for (let i = 0, at = start; i < count; i++, at++) {
      const slot = props + i * PROPERTY_SIZE;
      switch (kind[at]) {
        case 0: {
          const tag = signedWords[(slot + 4) >>> 2]!;
          if (tag !== TAG.object && tag !== TAG.functionBytecode && tag !== TAG.module) {
            if (tag === TAG.string && special[at] === SPECIAL.name) this.notes.setOwnName(node, this.texts.stringId(words[slot >>> 2]!));
            break;
          }
          const target = words[slot >>> 2]!;
          this.add(target, edgeType[at]!, name[at]!);
          if (target !== 0 && special[at] === SPECIAL.constructor) this.notes.constructorOf.push(node, target);
          else if (target !== 0 && special[at] === SPECIAL.prototype) this.notes.prototypeOf.push(node, target);
          break;
        }
        case PROP_GETSET: {
          // An element's accessors have no key name.
          const element = edgeType[at] === EDGE.element;
          this.add(words[slot >>> 2]!, EDGE.property, element ? 0 : this.texts.getterName(name[at]!));
          this.add(words[(slot + 4) >>> 2]!, EDGE.property, element ? 0 : this.texts.setterName(name[at]!));
          break;
        }
        case PROP_VARREF:
          // A global or module binding: the property is the variable itself.
          this.add(words[slot >>> 2]!, edgeType[at]!, name[at]!);
          break;
        case PROP_AUTOINIT:
          // A lazily created built-in: holds its realm until first use.
          this.add(words[slot >>> 2]! & ~3, EDGE.hidden, this.texts.hot(HOT.realm));
          break;
      }
    }
  }

  /** The class's gc_mark, decoded per class (arrays and classes without data are done by decodeObject). */
  private decodeClassData(node: number, base: number): void {
    const memory = this.memory;
    const classId = this.data.classId[node]!;
    const opaque = memory.u32(base + OBJECT.opaque, "object data");
    if (classId === CLASS.mappedArguments) {
      const length = memory.u32(base + OBJECT.arrayCount, "arguments count");
      const refs = memory.u32(base + OBJECT.arrayValues, "arguments var refs");
      if (length > memory.size / 4) throw new HeapReadError(base, `arguments of ${length} elements`);
      for (let i = 0; i < length; i++) this.add(memory.u32(refs + i * 4, "arguments var ref"), EDGE.element, i);
    } else if (BYTECODE_FUNCTION_CLASSES.has(classId)) {
      const bytecode = memory.u32(base + OBJECT.funcBytecode, "function bytecode");
      const varRefs = memory.u32(base + OBJECT.funcVarRefs, "function var refs");
      this.add(memory.u32(base + OBJECT.funcHomeObject, "home object"), EDGE.internal, this.texts.hot(HOT.homeObject));
      if (bytecode === 0) return;
      if (varRefs !== 0) {
        const names = this.bytecodes.closureVarNames(bytecode);
        for (let i = 0; i < names.length; i++) this.add(memory.u32(varRefs + i * 4, "var ref"), EDGE.context, names[i]!);
        this.data.selfSize[node]! += names.length * 4;
      }
      this.add(bytecode, EDGE.internal, this.texts.hot(HOT.code));
      this.notes.setFunctionName(node, this.texts.atomText(memory.u32(bytecode + BYTECODE.funcName)));
      this.bytecodes.locate(node, bytecode);
    } else if (classId === CLASS.boundFunction) {
      if (opaque === 0) return;
      this.addNamed(opaque + BOUND_FUNCTION.funcObj, EDGE.internal, "bound target");
      this.addNamed(opaque + BOUND_FUNCTION.thisVal, EDGE.internal, "bound this");
      const argc = memory.i32(opaque + BOUND_FUNCTION.argc, "bound argc");
      if (argc < 0 || argc > 65536) throw new HeapReadError(opaque, `bound function with ${argc} arguments`);
      for (let i = 0; i < argc; i++) this.addNamed(opaque + BOUND_FUNCTION.argv + i * JSVALUE_SIZE, EDGE.internal, `bound argument ${i}`);
      this.data.selfSize[node]! += BOUND_FUNCTION.argv + argc * JSVALUE_SIZE;
      this.notes.setFunctionName(node, this.texts.text("bound function"));
    } else if (classId === CLASS.cFunction) {
      this.add(memory.u32(base + OBJECT.cFunctionRealm, "c function realm"), EDGE.hidden, this.texts.hot(HOT.realm));
    } else if (classId === CLASS.cFunctionData) {
      if (opaque === 0) return;
      const count = memory.u8(opaque + C_FUNCTION_DATA.dataLen, "c function data");
      for (let i = 0; i < count; i++) this.addNamed(opaque + C_FUNCTION_DATA.data + i * JSVALUE_SIZE, EDGE.internal, `data ${i}`);
      this.data.selfSize[node]! += C_FUNCTION_DATA.data + count * JSVALUE_SIZE;
    } else if (OBJECT_DATA_CLASSES.has(classId)) {
      this.addNamed(base + OBJECT.objectData, EDGE.internal, "primitive value");
    } else if (classId === CLASS.globalObject) {
      this.addNamed(base + OBJECT.globalUninitializedVars, EDGE.internal, "uninitialized variables");
    } else if (classId === CLASS.forInIterator) {
      if (opaque !== 0) this.addNamed(opaque + FOR_IN_ITERATOR.obj, EDGE.internal, "iterated object");
    } else if (TYPED_ARRAY_CLASSES.has(classId)) {
      if (opaque !== 0) this.add(memory.u32(opaque + TYPED_ARRAY.buffer, "typed array buffer"), EDGE.internal, this.texts.text("buffer"));
    } else if (MAP_CLASSES.has(classId)) {
      this.decodeMap(node, opaque);
    } else if (classId === CLASS.mapIterator || classId === CLASS.setIterator || classId === CLASS.arrayIterator || classId === CLASS.stringIterator) {
      if (opaque !== 0) this.addNamed(opaque + ITERATOR_DATA.obj, EDGE.internal, "iterated object");
    } else if (classId === CLASS.regexpStringIterator) {
      if (opaque === 0) return;
      this.addNamed(opaque + REGEXP_STRING_ITERATOR.regexp, EDGE.internal, "regexp");
      this.addNamed(opaque + REGEXP_STRING_ITERATOR.string, EDGE.internal, "string");
    } else if (classId === CLASS.iteratorConcat) {
      if (opaque === 0) return;
      this.addNamed(opaque + ITERATOR_CONCAT.iter, EDGE.internal, "iterator");
      this.addNamed(opaque + ITERATOR_CONCAT.next, EDGE.internal, "next");
      const index = memory.i32(opaque + ITERATOR_CONCAT.index);
      const count = memory.i32(opaque + ITERATOR_CONCAT.count);
      if (count < 0 || count > 1 << 24) throw new HeapReadError(opaque, "iterator concat");
      for (let i = Math.max(0, index); i < count; i++) this.addNamed(opaque + ITERATOR_CONCAT.values + i * JSVALUE_SIZE, EDGE.internal, `value ${i}`);
    } else if (classId === CLASS.iteratorHelper) {
      if (opaque === 0) return;
      this.addNamed(opaque + ITERATOR_HELPER.obj, EDGE.internal, "iterator");
      this.addNamed(opaque + ITERATOR_HELPER.func, EDGE.internal, "function");
      this.addNamed(opaque + ITERATOR_HELPER.next, EDGE.internal, "next");
      this.addNamed(opaque + ITERATOR_HELPER.inner, EDGE.internal, "inner");
    } else if (classId === CLASS.iteratorWrap) {
      if (opaque === 0) return;
      this.addNamed(opaque + ITERATOR_WRAP.iter, EDGE.internal, "iterator");
      this.addNamed(opaque + ITERATOR_WRAP.next, EDGE.internal, "next");
    } else if (classId === CLASS.generator) {
      if (opaque !== 0) this.add(memory.u32(opaque + GENERATOR.funcState, "generator state"), EDGE.internal, this.texts.hot(HOT.frame));
    } else if (classId === CLASS.asyncGenerator) {
      this.decodeAsyncGenerator(opaque);
    } else if (classId === CLASS.proxy) {
      if (opaque === 0) return;
      this.addNamed(opaque + PROXY.target, EDGE.internal, "target");
      this.addNamed(opaque + PROXY.handler, EDGE.internal, "handler");
    } else if (classId === CLASS.promise) {
      this.decodePromise(opaque);
    } else if (classId === CLASS.promiseResolveFunction || classId === CLASS.promiseRejectFunction) {
      if (opaque !== 0) this.addNamed(opaque + PROMISE_FUNCTION.promise, EDGE.internal, "promise");
    } else if (classId === CLASS.asyncFunctionResolve || classId === CLASS.asyncFunctionReject) {
      this.add(opaque, EDGE.internal, this.texts.hot(HOT.frame));
    } else if (classId === CLASS.asyncFromSyncIterator) {
      if (opaque === 0) return;
      this.addNamed(opaque + ASYNC_FROM_SYNC_ITERATOR.syncIter, EDGE.internal, "iterator");
      this.addNamed(opaque + ASYNC_FROM_SYNC_ITERATOR.nextMethod, EDGE.internal, "next");
    } else if (classId === CLASS.weakRef) {
      if (opaque !== 0) this.addNamed(opaque + WEAK_REF.target, EDGE.weak, "target");
    } else if (classId === CLASS.finalizationRegistry) {
      this.decodeFinalizationRegistry(opaque);
    } else if (classId >= CLASS.initCount) {
      // An embedder's class: its references are unknown unless it has no gc_mark at all.
      if (classId >= this.classCount) throw new HeapReadError(base, `class id ${classId}`);
      if (memory.u32(this.classArray + classId * JS_CLASS.size + JS_CLASS.gcMark, "class gc_mark") !== 0) this.data.opaque[node] = 1;
    }
  }

  private decodeArray(node: number, base: number): void {
    const memory = this.memory;
    const { words, signedWords } = memory;
    const at = base >>> 2;
    const length = words[at + (OBJECT.arrayCount >>> 2)]!;
    const values = words[at + (OBJECT.arrayValues >>> 2)]!;
    if (length > words.length >>> 1) throw new HeapReadError(base, `array of ${length} elements`);
    this.data.selfSize[node]! += words[at + (OBJECT.arraySize >>> 2)]! * JSVALUE_SIZE;
    if (length === 0) return;
    memory.word(values + length * JSVALUE_SIZE - 4, "array values");
    const edges = this.edges;
    for (let i = 0, slot = values >>> 2; i < length; i++, slot += 2) {
      const tag = signedWords[slot + 1]!;
      if (tag !== TAG.object && tag !== TAG.functionBytecode && tag !== TAG.module) continue;
      const target = words[slot]!;
      if (target !== 0) edges.push(target, EDGE.element, i);
    }
  }


  private decodeMap(node: number, state: number): void {
    const memory = this.memory;
    if (state === 0) return;
    const weak = memory.i32(state + MAP_STATE.isWeak, "map is_weak") !== 0;
    const classId = this.data.classId[node];
    const isSet = classId === CLASS.set || classId === CLASS.weakSet;
    const keyType = weak ? EDGE.weak : EDGE.internal;
    let index = 0;
    memory.walkList(state + MAP_STATE.records, MAP_RECORD.size, "map records", (link) => {
      const record = link - MAP_RECORD.link;
      const i = index++;
      if (isSet) {
        this.addValue(record + MAP_RECORD.key, keyType, this.strings.intern(`entry [${i}]`));
        return;
      }
      this.addValue(record + MAP_RECORD.key, keyType, this.strings.intern(`key [${i}]`));
      this.addValue(record + MAP_RECORD.value, EDGE.internal, this.strings.intern(`value ${this.primitiveKey(record + MAP_RECORD.key) ?? `[${i}]`}`));
    });
    this.data.selfSize[node]! += index * MAP_RECORD.size;
  }

  /** A map key printed for an entry's name when it is a primitive: `for key "id"`, `for key 3`. */
  private primitiveKey(address: number): string | undefined {
    const { tag, pointer } = this.memory.value(address);
    if (tag === TAG.int) return `for key ${pointer | 0}`;
    if (tag === TAG.string) return `for key ${JSON.stringify(this.memory.string(pointer, 40))}`;
    return undefined;
  }

  private decodePromise(data: number): void {
    if (data === 0) return;
    for (let list = 0; list < 2; list++) {
      const what = list === 0 ? "on fulfilled" : "on rejected";
      let i = 0;
      this.memory.walkList(data + PROMISE.reactions + list * 8, 32, "promise reactions", (link) => {
        const reaction = link - PROMISE_REACTION.link;
        const n = i++;
        this.addValue(reaction + PROMISE_REACTION.resolvingFuncs, EDGE.internal, this.strings.intern(`${what} [${n}] resolve`));
        this.addValue(reaction + PROMISE_REACTION.resolvingFuncs + JSVALUE_SIZE, EDGE.internal, this.strings.intern(`${what} [${n}] reject`));
        this.addValue(reaction + PROMISE_REACTION.handler, EDGE.internal, this.strings.intern(`${what} [${n}] handler`));
      });
    }
    this.addValue(data + PROMISE.result, EDGE.internal, this.texts.text("result"));
  }

  private decodeAsyncGenerator(data: number): void {
    if (data === 0) return;
    let i = 0;
    this.memory.walkList(data + ASYNC_GENERATOR.queue, 48, "async generator queue", (link) => {
      const request = link - ASYNC_GENERATOR_REQUEST.link;
      const n = i++;
      this.addValue(request + ASYNC_GENERATOR_REQUEST.result, EDGE.internal, this.strings.intern(`request [${n}] value`));
      this.addValue(request + ASYNC_GENERATOR_REQUEST.promise, EDGE.internal, this.strings.intern(`request [${n}] promise`));
      this.addValue(request + ASYNC_GENERATOR_REQUEST.resolvingFuncs, EDGE.internal, this.strings.intern(`request [${n}] resolve`));
      this.addValue(request + ASYNC_GENERATOR_REQUEST.resolvingFuncs + JSVALUE_SIZE, EDGE.internal, this.strings.intern(`request [${n}] reject`));
    });
    this.add(this.memory.u32(data + ASYNC_GENERATOR.funcState, "async generator state"), EDGE.internal, this.texts.hot(HOT.frame));
  }

  private decodeFinalizationRegistry(data: number): void {
    if (data === 0) return;
    let i = 0;
    this.memory.walkList(data + FINALIZATION_REGISTRY.entries, 32, "finalization registry entries", (link) => {
      const entry = link - FINREC_ENTRY.link;
      const n = i++;
      this.addValue(entry + FINREC_ENTRY.target, EDGE.weak, this.strings.intern(`target [${n}]`));
      this.addValue(entry + FINREC_ENTRY.heldVal, EDGE.internal, this.strings.intern(`held value [${n}]`));
      this.addValue(entry + FINREC_ENTRY.token, EDGE.weak, this.strings.intern(`token [${n}]`));
    });
    this.addValue(data + FINALIZATION_REGISTRY.cb, EDGE.internal, this.texts.text("callback"));
    this.add(this.memory.u32(data + FINALIZATION_REGISTRY.realm, "registry realm"), EDGE.hidden, this.texts.hot(HOT.realm));
  }

  private decodeBytecode(node: number, base: number): void {
    const memory = this.memory;
    const cpool = memory.u32(base + BYTECODE.cpool, "cpool");
    const count = memory.i32(base + BYTECODE.cpoolCount, "cpool_count");
    if (count < 0 || count > memory.size / JSVALUE_SIZE) throw new HeapReadError(base, `${count} constants`);
    for (let i = 0; i < count && cpool !== 0; i++) this.addValue(cpool + i * JSVALUE_SIZE, EDGE.internal, this.strings.intern(`constant ${i}`));
    this.add(memory.u32(base + BYTECODE.realm, "bytecode realm"), EDGE.hidden, this.texts.hot(HOT.realm));
    this.data.name[node] = this.strings.intern(memory.atom(memory.u32(base + BYTECODE.funcName)) || "(anonymous)");
    this.bytecodes.locate(node, base);
    const locals = memory.u16(base + BYTECODE.argCount) + memory.u16(base + BYTECODE.varCount);
    this.data.selfSize[node] =
      BYTECODE.size +
      Math.max(0, memory.i32(base + BYTECODE.byteCodeLen)) +
      count * JSVALUE_SIZE +
      Math.max(0, memory.i32(base + BYTECODE.closureVarCount)) * CLOSURE_VAR.stride +
      locals * VARDEF_SIZE +
      Math.max(0, memory.i32(base + BYTECODE.pc2lineLen)) +
      Math.max(0, memory.i32(base + BYTECODE.sourceLen));
  }

  private decodeContext(node: number, base: number): void {
    const memory = this.memory;
    const file = this.options.contexts?.get(base);
    if (file !== undefined) {
      this.contextFiles.set(node, file);
      this.data.file[node] = this.strings.intern(file);
    }
    this.data.name[node] = this.strings.intern(file !== undefined ? `context ${file}` : "(context)");
    this.data.selfSize[node] = CONTEXT.size + this.classCount * JSVALUE_SIZE;
    memory.walkList(base + CONTEXT.loadedModules, MODULE.size, "loaded modules", (link) => {
      const module = link - MODULE.link;
      this.add(module, EDGE.internal, this.strings.intern(`module ${memory.atom(memory.u32(module + MODULE.moduleName, "module name"))}`));
    });
    const global = this.addValue(base + CONTEXT.globalObj, EDGE.internal, this.texts.text("global object"));
    const lexical = this.addValue(base + CONTEXT.globalVarObj, EDGE.internal, this.texts.text("global lexical scope"));
    if (global !== 0) this.globals.push([global, node]);
    if (lexical !== 0) this.globals.push([lexical, node]);
    const hidden = (address: number, name: string): number => this.addValue(address, EDGE.hidden, this.texts.text(name));
    hidden(base + CONTEXT.throwTypeError, "%ThrowTypeError%");
    hidden(base + CONTEXT.evalObj, "eval");
    hidden(base + CONTEXT.arrayProtoValues, "Array.prototype.values");
    for (let i = 0; i < CONTEXT.nativeErrorCount; i++) hidden(base + CONTEXT.nativeErrorProto + i * JSVALUE_SIZE, `${NATIVE_ERROR_NAMES[i]}.prototype`);
    const classProto = memory.u32(base + CONTEXT.classProto, "class_proto");
    const protoNames = (this.classProtoNames ??= new Int32Array(this.classCount).fill(-1));
    for (let i = 0; i < this.classCount && classProto !== 0; i++) {
      if (protoNames[i] === -1) protoNames[i] = this.texts.text(`${CLASS_NAMES[i] ?? `class ${i}`}.prototype`);
      this.addValue(classProto + i * JSVALUE_SIZE, EDGE.hidden, protoNames[i]!);
    }
    hidden(base + CONTEXT.iteratorCtor, "Iterator");
    hidden(base + CONTEXT.asyncIteratorProto, "AsyncIterator.prototype");
    hidden(base + CONTEXT.promiseCtor, "Promise");
    hidden(base + CONTEXT.arrayCtor, "Array");
    hidden(base + CONTEXT.regexpCtor, "RegExp");
    hidden(base + CONTEXT.functionCtor, "Function");
    hidden(base + CONTEXT.functionProto, "Function.prototype");
    for (let i = 0; i < CONTEXT.shapeCount; i++) this.add(memory.u32(base + CONTEXT.shapes + i * 4, "context shape"), EDGE.hidden, this.texts.text(CONTEXT_SHAPE_NAMES[i]!));
  }

  private decodeModule(node: number, base: number): void {
    const memory = this.memory;
    const name = this.strings.intern(memory.atom(memory.u32(base + MODULE.moduleName, "module name")));
    this.data.name[node] = name;
    this.data.file[node] = name;
    this.data.selfSize[node] = MODULE.size;
    const reqCount = memory.i32(base + MODULE.reqModuleEntriesCount, "req_module_entries_count");
    const reqs = memory.u32(base + MODULE.reqModuleEntries, "req_module_entries");
    if (reqCount < 0 || reqCount > 1 << 20) throw new HeapReadError(base, `${reqCount} module requests`);
    for (let i = 0; i < reqCount; i++) this.addValue(reqs + i * REQ_MODULE_ENTRY.size + REQ_MODULE_ENTRY.attributes, EDGE.internal, this.strings.intern(`import attributes ${i}`));
    const exportCount = memory.i32(base + MODULE.exportEntriesCount, "export_entries_count");
    const exports = memory.u32(base + MODULE.exportEntries, "export_entries");
    if (exportCount < 0 || exportCount > 1 << 20) throw new HeapReadError(base, `${exportCount} exports`);
    for (let i = 0; i < exportCount; i++) {
      const entry = exports + i * EXPORT_ENTRY.size;
      if (memory.i32(entry + EXPORT_ENTRY.exportType, "export type") !== EXPORT_TYPE_LOCAL) continue;
      this.add(memory.u32(entry + EXPORT_ENTRY.varRef, "export var ref"), EDGE.context, this.texts.atomName(memory.u32(entry + EXPORT_ENTRY.exportName)));
    }
    const internal = (address: number, what: string): number => this.addValue(address, EDGE.internal, this.texts.text(what));
    internal(base + MODULE.moduleNs, "namespace");
    internal(base + MODULE.funcObj, "function");
    internal(base + MODULE.evalException, "exception");
    internal(base + MODULE.metaObj, "import.meta");
    internal(base + MODULE.promise, "promise");
    internal(base + MODULE.resolvingFuncs, "resolve");
    internal(base + MODULE.resolvingFuncs + JSVALUE_SIZE, "reject");
    internal(base + MODULE.privateValue, "private value");
  }
}
