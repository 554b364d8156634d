import {
  BOUND_FUNCTION, BYTECODE, BYTECODE_FUNCTION_CLASSES, C_FUNCTION_DATA, CLASS, CLASS_NAMES, CLOSURE_VAR, CONTEXT,
  GC_HEADER, GcType, MAP_CLASSES, MAP_RECORD, MAP_STATE, OBJECT, OBJECT_DATA_CLASSES, PROP_GETSET, PROP_TYPE_MASK,
  PROP_VARREF, RUNTIME, SHAPE, SHAPE_PROP, TAG, VAR_REF,
} from "./layout.js";
import { VmMemory } from "./memory.js";

export type EdgeType = "context" | "element" | "property" | "internal" | "hidden" | "shortcut" | "weak";
export type NodeKind = "object" | "array" | "function" | "code" | "shape" | "closure variable" | "async frame" | "context" | "module";

export interface HeapEdge {
  from: number;
  to: number;
  type: EdgeType;
  /** Property name, element index, closure variable name or internal slot. */
  name: string;
}

export interface HeapNode {
  index: number;
  address: number;
  gcType: GcType;
  /** JS_CLASS_* id for objects, 0 otherwise. */
  classId: number;
  refCount: number;
  kind: NodeKind;
  /** "Rehash" for an instance, "execute" for a function, "Rehash.prototype", "Array", ... */
  name: string;
  /** Where a function is defined, as written: "commands/rehash.ts:12". */
  location?: string;
  selfSize: number;
  /** References from outside the GC heap (ref_count minus incoming edges); > 0 makes it a root. */
  externalRefs: number;
}

export interface RawHeap {
  nodes: HeapNode[];
  edges: HeapEdge[];
  byAddress: Map<number, number>;
}

/** Turns the evaluated file name and a generated line/column into "file:line" as written. */
export type Locator = (evaluatedName: string, line: number, column: number) => string | undefined;

const MAX_OBJECTS = 20_000_000;

/**
 * Reads every GC object of the runtime (its gc_obj_list) and the references between them,
 * the way QuickJS's own mark_children sees them. Objects whose references the reader does
 * not decode (promises, proxies, generators, ...) keep those as external references, which
 * makes their targets roots rather than inventing edges.
 */
export function readHeap(memory: VmMemory, locate: Locator = () => undefined): RawHeap {
  const nodes: HeapNode[] = [];
  const byAddress = new Map<number, number>();
  const head = memory.runtimePointer + RUNTIME.gcObjList;
  for (let link = memory.u32(head + 4, "gc_obj_list"); link !== head; link = memory.u32(link + 4, "gc object link")) {
    const address = link - GC_HEADER.link;
    if (nodes.length >= MAX_OBJECTS) throw new Error("graft heap reader: gc_obj_list does not end; this heap does not match the layout");
    const gcType = memory.u8(address + GC_HEADER.typeByte) & 0x0f as GcType;
    const classId = gcType === GcType.Object ? memory.u16(address + OBJECT.classId) : 0;
    byAddress.set(address, nodes.length);
    nodes.push({
      index: nodes.length,
      address,
      gcType,
      classId,
      refCount: memory.i32(address + GC_HEADER.refCount),
      kind: kindOf(gcType, classId),
      name: "",
      selfSize: 0,
      externalRefs: 0,
    });
  }
  const edges: HeapEdge[] = [];
  const decoder = new EdgeDecoder(memory, byAddress, edges, locate);
  for (const node of nodes) decoder.decode(node);
  const incoming = new Int32Array(nodes.length);
  for (const edge of edges) if (edge.type !== "weak") incoming[edge.to]! += 1;
  for (const node of nodes) node.externalRefs = Math.max(0, node.refCount - incoming[node.index]!);
  decoder.nameObjects(nodes);
  nameClosureValues(nodes, edges);
  return { nodes, edges, byAddress };
}

/** A closure variable's value edge carries the variable's name, as DevTools shows context variables. */
function nameClosureValues(nodes: HeapNode[], edges: HeapEdge[]): void {
  const variableName = new Map<number, string>();
  for (const edge of edges) {
    if (nodes[edge.to]!.gcType === GcType.VarRef && !variableName.has(edge.to)) variableName.set(edge.to, edge.name);
  }
  for (const edge of edges) {
    const name = variableName.get(edge.from);
    if (name !== undefined && edge.name === "value") {
      edge.name = name;
      edge.type = "context";
    }
  }
}

function kindOf(gcType: GcType, classId: number): NodeKind {
  switch (gcType) {
    case GcType.Object:
      if (classId === CLASS.array || classId === CLASS.arguments) return "array";
      if (BYTECODE_FUNCTION_CLASSES.has(classId) || classId === CLASS.cFunction || classId === CLASS.boundFunction || classId === CLASS.cFunctionData) return "function";
      return "object";
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

interface NamedSlots {
  proto?: number;
  constructorRef?: number;
  prototype?: number;
  nameString?: string;
}

class EdgeDecoder {
  /** Per node: the few own properties used to name objects. */
  private readonly slots = new Map<number, NamedSlots>();
  private readonly functionNames = new Map<number, string>();

  constructor(
    private readonly memory: VmMemory,
    private readonly byAddress: Map<number, number>,
    private readonly edges: HeapEdge[],
    private readonly locate: Locator,
  ) {}

  private add(from: HeapNode, address: number, type: EdgeType, name: string): number | undefined {
    const to = this.byAddress.get(address);
    if (to === undefined) return undefined;
    this.edges.push({ from: from.index, to, type, name });
    return to;
  }

  /** An edge for a JSValue if it points at a GC object. */
  private addValue(from: HeapNode, valueAddress: number, type: EdgeType, name: string): number | undefined {
    const { tag, pointer } = this.memory.value(valueAddress);
    if (tag === TAG.object || tag === TAG.functionBytecode || tag === TAG.module) return this.add(from, pointer, type, name);
    return undefined;
  }

  decode(node: HeapNode): void {
    switch (node.gcType) {
      case GcType.Object:
        return this.decodeObject(node);
      case GcType.FunctionBytecode:
        return this.decodeBytecode(node);
      case GcType.Shape: {
        const proto = this.memory.u32(node.address + SHAPE.proto);
        if (proto !== 0) this.add(node, proto, "internal", "prototype");
        const propSize = this.memory.i32(node.address + SHAPE.propSize);
        const hashSize = this.memory.u32(node.address + SHAPE.propHashMask) + 1;
        node.selfSize = SHAPE.props + propSize * SHAPE.propStride + hashSize * 4;
        node.name = "(shape)";
        return;
      }
      case GcType.VarRef: {
        node.selfSize = VAR_REF.size;
        node.name = "(closure variable)";
        if (this.memory.u8(node.address + VAR_REF.isDetached) !== 0) {
          this.addValue(node, this.memory.u32(node.address + VAR_REF.pvalue), "internal", "value");
        }
        return;
      }
      case GcType.Context:
        return this.decodeContext(node);
      case GcType.AsyncFunction:
        node.selfSize = 64;
        node.name = "(async function frame)";
        return;
      default:
        node.selfSize = 64;
        node.name = "(module)";
    }
  }

  private decodeObject(node: HeapNode): void {
    const memory = this.memory;
    const shape = memory.u32(node.address + OBJECT.shape, "object shape");
    const props = memory.u32(node.address + OBJECT.prop, "object properties");
    const slots: NamedSlots = {};
    this.slots.set(node.index, slots);
    this.add(node, shape, "hidden", "shape");
    const proto = memory.u32(shape + SHAPE.proto);
    if (proto !== 0) slots.proto = this.byAddress.get(proto);
    const count = memory.i32(shape + SHAPE.propCount, "shape prop_count");
    if (count < 0 || count > 10_000_000) throw new Error(`graft heap reader: shape at 0x${shape.toString(16)} claims ${count} properties`);
    node.selfSize = OBJECT.size + count * 8;
    for (let i = 0; i < count; i++) {
      const entry = shape + SHAPE.props + i * SHAPE.propStride;
      const atom = memory.u32(entry + SHAPE_PROP.atom);
      if (atom === 0) continue;
      const flags = memory.u32(entry + SHAPE_PROP.flagsWord) >>> 26;
      const slot = props + i * 8;
      const key = memory.atom(atom);
      switch (flags & PROP_TYPE_MASK) {
        case 0: {
          const target = this.addValue(node, slot, "property", key);
          if (key === "constructor") slots.constructorRef = target;
          else if (key === "prototype") slots.prototype = target;
          else if (key === "name") {
            const { tag, pointer } = memory.value(slot);
            if (tag === TAG.string) slots.nameString = memory.string(pointer, 80);
          }
          break;
        }
        case PROP_GETSET: {
          const getter = memory.u32(slot);
          const setter = memory.u32(slot + 4);
          if (getter !== 0) this.add(node, getter, "property", `get ${key}`);
          if (setter !== 0) this.add(node, setter, "property", `set ${key}`);
          break;
        }
        case PROP_VARREF:
          this.add(node, memory.u32(slot), "property", key);
          break;
        default:
          break; // lazily initialised built-in (JS_PROP_AUTOINIT): holds no GC object yet
      }
    }
    this.decodeClassData(node);
  }

  private decodeClassData(node: HeapNode): void {
    const memory = this.memory;
    const base = node.address;
    const classId = node.classId;
    if (classId === CLASS.array || classId === CLASS.arguments) {
      const fastArray = (memory.u8(base + 5) & 0x08) !== 0;
      if (!fastArray) return;
      const values = memory.u32(base + OBJECT.arrayValues);
      const length = memory.u32(base + OBJECT.arrayCount);
      node.selfSize += length * 8;
      for (let i = 0; i < length; i++) this.addValue(node, values + i * 8, "element", String(i));
    } else if (BYTECODE_FUNCTION_CLASSES.has(classId)) {
      const bytecode = memory.u32(base + OBJECT.funcBytecode);
      const varRefs = memory.u32(base + OBJECT.funcVarRefs);
      const home = memory.u32(base + OBJECT.funcHomeObject);
      if (home !== 0) this.add(node, home, "internal", "home object");
      if (bytecode === 0) return;
      const names = this.closureVarNames(bytecode);
      if (varRefs !== 0) {
        for (let i = 0; i < names.length; i++) {
          const ref = memory.u32(varRefs + i * 4);
          if (ref !== 0) this.add(node, ref, "context", names[i]!);
        }
      }
      this.add(node, bytecode, "internal", "code");
      this.functionNames.set(node.index, memory.atom(memory.u32(bytecode + BYTECODE.funcName)));
      node.location = this.locationOf(bytecode);
    } else if (classId === CLASS.boundFunction) {
      const bound = memory.u32(base + OBJECT.boundFunction);
      if (bound === 0) return;
      this.addValue(node, bound + BOUND_FUNCTION.funcObj, "internal", "bound target");
      this.addValue(node, bound + BOUND_FUNCTION.thisVal, "internal", "bound this");
      const argc = memory.i32(bound + BOUND_FUNCTION.argc);
      for (let i = 0; i < argc && i < 65536; i++) this.addValue(node, bound + BOUND_FUNCTION.argv + i * 8, "internal", `bound argument ${i}`);
      this.functionNames.set(node.index, "bound function");
    } else if (classId === CLASS.cFunction) {
      const realm = memory.u32(base + OBJECT.cFunctionRealm);
      if (realm !== 0) this.add(node, realm, "hidden", "realm");
    } else if (classId === CLASS.cFunctionData) {
      const record = memory.u32(base + OBJECT.cFunctionDataRecord);
      if (record === 0) return;
      const count = memory.u8(record + C_FUNCTION_DATA.dataLen);
      for (let i = 0; i < count; i++) this.addValue(node, record + C_FUNCTION_DATA.data + i * 8, "internal", `data ${i}`);
    } else if (OBJECT_DATA_CLASSES.has(classId)) {
      this.addValue(node, base + OBJECT.objectData, "internal", "primitive value");
    } else if (classId === CLASS.globalObject) {
      this.addValue(node, base + OBJECT.union, "internal", "uninitialized variables");
    } else if (MAP_CLASSES.has(classId)) {
      this.decodeMap(node);
    }
  }

  private decodeMap(node: HeapNode): void {
    const memory = this.memory;
    const state = memory.u32(node.address + OBJECT.mapState);
    if (state === 0) return;
    const weak = memory.i32(state + MAP_STATE.isWeak) !== 0;
    const head = state + MAP_STATE.records;
    let count = 0;
    for (let link = memory.u32(head + 4); link !== head; link = memory.u32(link + 4)) {
      if (++count > 50_000_000) throw new Error("graft heap reader: a Map's record list does not end");
      const record = link - MAP_RECORD.link;
      this.addValue(node, record + MAP_RECORD.key, weak ? "weak" : "internal", `key ${count - 1}`);
      this.addValue(node, record + MAP_RECORD.value, "internal", `value ${count - 1}`);
    }
    node.selfSize += count * 40;
  }

  private closureVarNames(bytecode: number): string[] {
    const memory = this.memory;
    const count = memory.i32(bytecode + BYTECODE.closureVarCount);
    const vars = memory.u32(bytecode + BYTECODE.closureVar);
    const names: string[] = [];
    for (let i = 0; i < count && vars !== 0; i++) names.push(memory.atom(memory.u32(vars + i * CLOSURE_VAR.stride + CLOSURE_VAR.varName)));
    return names;
  }

  private locationOf(bytecode: number): string | undefined {
    const memory = this.memory;
    const hasDebug = (memory.u8(bytecode + BYTECODE.hasDebugByte) & 0x04) !== 0;
    if (!hasDebug) return undefined;
    const file = memory.atom(memory.u32(bytecode + BYTECODE.filename));
    const buffer = memory.u32(bytecode + BYTECODE.pc2lineBuf);
    const length = memory.i32(bytecode + BYTECODE.pc2lineLen);
    if (buffer === 0 || length <= 0) return file;
    const [line, afterLine] = readLeb128(memory, buffer, buffer + length);
    const [column] = readLeb128(memory, afterLine, buffer + length);
    return this.locate(file, line + 1, column + 1) ?? `${file}:${line + 1}`;
  }

  private decodeBytecode(node: HeapNode): void {
    const memory = this.memory;
    const cpool = memory.u32(node.address + BYTECODE.cpool);
    const count = memory.i32(node.address + BYTECODE.cpoolCount);
    for (let i = 0; i < count && cpool !== 0; i++) this.addValue(node, cpool + i * 8, "internal", `constant ${i}`);
    const realm = memory.u32(node.address + BYTECODE.realm);
    if (realm !== 0) this.add(node, realm, "hidden", "realm");
    node.name = memory.atom(memory.u32(node.address + BYTECODE.funcName)) || "(anonymous)";
    node.location = this.locationOf(node.address);
    node.selfSize = BYTECODE.size + memory.i32(node.address + BYTECODE.byteCodeLen) + count * 8;
  }

  private decodeContext(node: HeapNode): void {
    const memory = this.memory;
    const base = node.address;
    node.selfSize = CONTEXT.size;
    node.name = "(context)";
    this.addValue(node, base + CONTEXT.globalObj, "internal", "global object");
    this.addValue(node, base + CONTEXT.globalVarObj, "internal", "global lexical scope");
    this.addValue(node, base + CONTEXT.throwTypeError, "hidden", "throw_type_error");
    this.addValue(node, base + CONTEXT.evalObj, "hidden", "eval");
    this.addValue(node, base + CONTEXT.arrayProtoValues, "hidden", "Array.prototype.values");
    for (let i = 0; i < CONTEXT.nativeErrorCount; i++) this.addValue(node, base + CONTEXT.nativeErrorProto + i * 8, "hidden", `native error prototype ${i}`);
    const classCount = memory.i32(memory.runtimePointer + RUNTIME.classCount);
    const classProto = memory.u32(base + CONTEXT.classProto);
    for (let i = 0; i < classCount && classProto !== 0; i++) this.addValue(node, classProto + i * 8, "hidden", `${CLASS_NAMES[i] ?? `class ${i}`}.prototype`);
    this.addValue(node, base + CONTEXT.iteratorCtor, "hidden", "Iterator");
    this.addValue(node, base + CONTEXT.asyncIteratorProto, "hidden", "AsyncIterator.prototype");
    this.addValue(node, base + CONTEXT.promiseCtor, "hidden", "Promise");
    this.addValue(node, base + CONTEXT.arrayCtor, "hidden", "Array");
    this.addValue(node, base + CONTEXT.regexpCtor, "hidden", "RegExp");
    this.addValue(node, base + CONTEXT.functionCtor, "hidden", "Function");
    this.addValue(node, base + CONTEXT.functionProto, "hidden", "Function.prototype");
    for (let i = 0; i < 5; i++) {
      const shape = memory.u32(base + CONTEXT.arrayShape + i * 4);
      if (shape !== 0) this.add(node, shape, "hidden", "shape");
    }
  }

  /** Names objects after their constructor, prototypes after their class, functions after themselves. */
  nameObjects(nodes: HeapNode[]): void {
    const functionName = (index: number | undefined): string | undefined => {
      if (index === undefined) return undefined;
      return this.slots.get(index)?.nameString || this.functionNames.get(index) || undefined;
    };
    for (const node of nodes) {
      if (node.gcType !== GcType.Object) continue;
      const slots: NamedSlots = this.slots.get(node.index) ?? {};
      if (node.kind === "function") {
        node.name = functionName(node.index) ?? CLASS_NAMES[node.classId] ?? "(function)";
        continue;
      }
      const ownConstructor = slots.constructorRef;
      if (ownConstructor !== undefined && this.slots.get(ownConstructor)?.prototype === node.index) {
        node.name = `${functionName(ownConstructor) ?? "(anonymous)"}.prototype`;
        continue;
      }
      const protoConstructor = slots.proto === undefined ? undefined : this.slots.get(slots.proto)?.constructorRef;
      node.name = functionName(protoConstructor) ?? CLASS_NAMES[node.classId] ?? "(object)";
    }
  }
}

function readLeb128(memory: VmMemory, start: number, end: number): [number, number] {
  let value = 0;
  let shift = 0;
  let address = start;
  while (address < end && shift < 35) {
    const byte = memory.u8(address++);
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  return [value >>> 0, address];
}
