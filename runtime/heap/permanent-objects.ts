/**
 * The objects of graft's kernel realm that live exactly as long as their context: found
 * once, then left out of each full collection's walk (gc.ts setAside), which walks the
 * scripts' objects and graft's mutable state only.
 *
 * An object is permanent here when a chain of references that can never change or go away
 * leads to it from the kernel's JSContext, which is freed only when the runtime is disposed:
 *
 * - what the embedder holds until the context is freed (options.roots);
 * - the context's global object, its object of global let/const bindings, the prototype
 *   of each class and the other intrinsics the JSContext keeps (Function, Array, the error
 *   prototypes, ...): fields set when the context is made;
 * - a `const` global binding's value (its JSVarRef is marked is_const: no assignment
 *   reaches it, a lexical binding is never deleted or declared again, and it is set once);
 * - a property value of an ordinary object (or an Array) that is neither configurable nor
 *   writable, and the getter and setter of a non-configurable accessor (QuickJS refuses to
 *   delete them or define them anew with anything else: what lockDownRealm in
 *   runtime/kernel/vm/values.js makes of every intrinsic and of graft's helpers);
 * - the bytecode, closure variables (the JSVarRef objects) and home object of a bytecode
 *   function, fixed when the closure is made, and the value of each of its closure
 *   variables that is a `const` binding, once initialised (never assigned again; a
 *   binding made anew per loop iteration is another JSVarRef);
 * - in code that never assigns its declarations (options.fixedDeclarations: graft's
 *   kernel), the value of a closure variable that is a function declaration of the parent;
 * - the constants (nested functions' bytecode, template objects) of a function's bytecode.
 *
 * Nothing else is followed: not the value of a `let`, catch, parameter or class binding
 * (nor of a `var` or function declaration elsewhere), not a global `var`
 * (Object.defineProperty may replace it even when frozen), not the contents of a Map, not
 * an exotic object's properties; an object's shape (and the prototype it holds) only when
 * the object is frozen and has no global variables (a redefinition of one prepares a new
 * shape).
 *
 * Each object found (but the context and the embedder's roots, held from outside) is held
 * by one found before it, through a reference counted in its ref_count that cannot go away:
 * left out of a collection's walk, those references are never subtracted, so the collector
 * never sees one of them at a count of 0 (gc.ts relies on it). Whatever is not reached
 * so (graft's state, the scripts' objects) is walked by every collection as before.
 */
import { BYTECODE, BYTECODE_FUNCTION_CLASSES, CLASS, CLOSURE_VAR, CONTEXT, GC_HEADER, GcType, OBJECT, PROP_GETSET, PROP_TYPE_MASK, PROP_VARREF, PROPERTY_SIZE, RUNTIME, SHAPE, SHAPE_PROP, TAG, VAR_REF, JSVALUE_SIZE } from "./layout.js";
import type { VmMemory } from "./memory.js";

/** JS_PROP_CONFIGURABLE and JS_PROP_WRITABLE in a shape property's flags. */
const CONFIGURABLE = 0x01;
const WRITABLE = 0x02;
/** JSObject flags: extensible, is_exotic. */
const EXTENSIBLE = 0x01;
const EXOTIC = 0x04;
/**
 * JSClosureVar: closure_type:3 (0: a local of the parent function), is_lexical:1,
 * is_const:1 in the first byte, var_kind:4 in the second (0: a `var` or function
 * declaration; 3 a catch parameter; ...). test/permanent-objects.test.ts reads them.
 */
const CLOSURE_VAR_TYPE = 0x07;
const CLOSURE_VAR_LEXICAL = 0x08;
export const CLOSURE_VAR_CONST = 0x10;
const CLOSURE_VAR_KIND = 0x0f;
/** JSVarRef.is_const (the byte after is_detached and is_lexical). */
const VAR_REF_IS_CONST = 7;

/**
 * Exotic classes whose named (non-index) properties are ordinary ones: an Array (its
 * length aside, a number) and a String object such as String.prototype (its exotic
 * behaviour is for indices within the string).
 */
const ORDINARY_NAMED_PROPERTIES = new Set<number>([CLASS.array, CLASS.string]);

/** The JSContext's own fields holding intrinsics (each set once, when the context is made). */
const CONTEXT_INTRINSICS = [
  CONTEXT.functionProto, CONTEXT.functionCtor, CONTEXT.arrayCtor, CONTEXT.regexpCtor, CONTEXT.promiseCtor, CONTEXT.iteratorCtor,
  CONTEXT.asyncIteratorProto, CONTEXT.arrayProtoValues, CONTEXT.throwTypeError, CONTEXT.evalObj,
];

export interface PermanentObjectOptions {
  /**
   * Whether the code evaluated under `filename` never assigns a function declaration or a
   * `var` once declared (graft's kernel: it declares no `var`, and TypeScript refuses an
   * assignment to a function, TS2630): then the closures made there keep the functions
   * declared in their parent function, and those are followed too.
   */
  fixedDeclarations?: (filename: string) => boolean;
  /** Objects held from outside the heap until the context is freed (the host's handles on the kernel's functions). */
  roots?: number[];
}

/** The permanent objects found: their addresses and GC types, each object once. */
export interface PermanentObjects {
  addresses: Uint32Array;
  gcTypes: Uint8Array;
  /** The global object was not extensible any more (the realm was locked down) when they were found. */
  lockedDown: boolean;
}

/** The permanent objects of the realm of the context at `contextPointer`. */
export function findPermanentObjects(memory: VmMemory, contextPointer: number, options: PermanentObjectOptions = {}): PermanentObjects {
  const found = new Map<number, number>();
  /** Per bytecode: whether it is code whose declarations are never assigned (options.fixedDeclarations). */
  const fixedCode = new Map<number, boolean>();
  const isFixedCode = (bytecode: number): boolean => {
    if (options.fixedDeclarations === undefined) return false;
    let fixed = fixedCode.get(bytecode);
    if (fixed === undefined) {
      fixed = options.fixedDeclarations(memory.atom(memory.u32(bytecode + BYTECODE.filename, "filename")));
      fixedCode.set(bytecode, fixed);
    }
    return fixed;
  };
  const todo: number[] = [];
  const take = (address: number, gcType: number): void => {
    if (address === 0 || found.has(address)) return;
    if (!memory.inBounds(address, GC_HEADER.size) || (memory.u8(address + GC_HEADER.typeByte) & 0x0f) !== gcType) return;
    found.set(address, gcType);
    todo.push(address);
  };
  const takeValue = (valueAddress: number): void => {
    const tag = memory.tag(valueAddress, "permanent value");
    if (tag === TAG.object) take(memory.u32(valueAddress), GcType.Object);
    else if (tag === TAG.functionBytecode) take(memory.u32(valueAddress), GcType.FunctionBytecode);
  };

  if ((memory.u8(contextPointer + GC_HEADER.typeByte, "context") & 0x0f) !== GcType.Context) throw new Error("graft heap reader: not a JSContext");
  found.set(contextPointer, GcType.Context);
  const global = contextPointer + CONTEXT.globalObj;
  const lockedDown = memory.tag(global, "global object") === TAG.object && (memory.u8(memory.u32(global) + OBJECT.flagsByte) & EXTENSIBLE) === 0;
  takeValue(global);
  const classCount = memory.i32(memory.runtimePointer + RUNTIME.classCount, "class_count");
  const classProto = memory.u32(contextPointer + CONTEXT.classProto, "class_proto");
  for (let i = 0; classProto !== 0 && i < classCount; i++) takeValue(classProto + i * JSVALUE_SIZE);
  for (const field of CONTEXT_INTRINSICS) takeValue(contextPointer + field);
  for (let i = 0; i < CONTEXT.nativeErrorCount; i++) takeValue(contextPointer + CONTEXT.nativeErrorProto + i * JSVALUE_SIZE);
  for (const root of options.roots ?? []) take(root, GcType.Object);
  const lexicals = contextPointer + CONTEXT.globalVarObj;
  if (memory.tag(lexicals, "global_var_obj") === TAG.object) {
    take(memory.u32(lexicals), GcType.Object);
    takeConstBindings(memory.u32(lexicals));
  }
  while (todo.length > 0) {
    const address = todo.pop()!;
    const gcType = found.get(address);
    if (gcType === GcType.Object) lookInto(address);
    else if (gcType === GcType.FunctionBytecode) {
      const cpool = memory.u32(address + BYTECODE.cpool, "cpool");
      const count = memory.i32(address + BYTECODE.cpoolCount, "cpool_count");
      for (let i = 0; i < count; i++) takeValue(cpool + i * JSVALUE_SIZE);
    }
  }
  const addresses = new Uint32Array(found.size);
  const gcTypes = new Uint8Array(found.size);
  let i = 0;
  for (const [address, gcType] of found) {
    addresses[i] = address;
    gcTypes[i++] = gcType;
  }
  return { addresses, gcTypes, lockedDown };

  function lookInto(object: number): void {
    const classId = memory.u16(object + OBJECT.classId, "class_id");
    if (BYTECODE_FUNCTION_CLASSES.has(classId)) {
      const bytecode = memory.u32(object + OBJECT.funcBytecode, "function_bytecode");
      take(bytecode, GcType.FunctionBytecode);
      const varRefs = memory.u32(object + OBJECT.funcVarRefs, "var_refs");
      const count = bytecode === 0 || varRefs === 0 ? 0 : memory.i32(bytecode + BYTECODE.closureVarCount, "closure_var_count");
      const closureVars = count === 0 ? 0 : memory.u32(bytecode + BYTECODE.closureVar, "closure_var");
      for (let i = 0; i < count; i++) {
        const varRef = memory.u32(varRefs + i * 4, "var_ref");
        take(varRef, GcType.VarRef);
        if (varRef === 0 || memory.u8(varRef + VAR_REF.isDetached, "is_detached") === 0) continue;
        // A const binding, initialised: its value is never assigned again. In code that
        // assigns no declaration, the same holds of the parent's function declarations.
        const entry = closureVars + i * CLOSURE_VAR.stride;
        const kind = memory.u8(entry, "closure var flags");
        const declaration = (kind & (CLOSURE_VAR_TYPE | CLOSURE_VAR_LEXICAL)) === 0 && (memory.u8(entry + 1, "var_kind") & CLOSURE_VAR_KIND) === 0;
        if ((kind & CLOSURE_VAR_CONST) !== 0 || (declaration && isFixedCode(bytecode))) takeValue(varRef + VAR_REF.value);
      }
      take(memory.u32(object + OBJECT.funcHomeObject, "home_object"), GcType.Object);
    }
    const flags = memory.u8(object + OBJECT.flagsByte, "object flags");
    if ((flags & EXOTIC) !== 0 && !ORDINARY_NAMED_PROPERTIES.has(classId)) return;
    const shape = memory.u32(object + OBJECT.shape, "shape");
    const props = memory.u32(object + OBJECT.prop, "prop");
    const count = memory.i32(shape + SHAPE.propCount, "prop_count");
    // A fast array's elements are not in its shape (never followed); converting it may replace the shape.
    let frozen = (flags & EXTENSIBLE) === 0 && (flags & OBJECT.fastArrayBit) === 0;
    for (let i = 0; i < count; i++) {
      const entry = shape + SHAPE.props + i * SHAPE.propStride;
      if (memory.u32(entry + SHAPE_PROP.atom, "atom") === 0) continue;
      const propFlags = memory.u32(entry + SHAPE_PROP.flagsWord, "prop flags") >>> SHAPE_PROP.flagsShift;
      const type = propFlags & PROP_TYPE_MASK;
      const property = props + i * PROPERTY_SIZE;
      if ((propFlags & CONFIGURABLE) !== 0) {
        frozen = false;
      } else if (type === PROP_GETSET) {
        take(memory.u32(property, "getter"), GcType.Object);
        take(memory.u32(property + 4, "setter"), GcType.Object);
      } else if (type === 0 && (propFlags & WRITABLE) === 0) {
        takeValue(property);
      } else {
        frozen = false;
      }
    }
    // Frozen, with data properties and accessors only: no definition QuickJS accepts
    // changes a flag, so it keeps this shape (a global variable's redefinition would not).
    // The prototype then too: the shape holds it, and keeps it (a non-extensible object's prototype no longer changes).
    if (frozen) {
      take(shape, GcType.Shape);
      take(memory.u32(shape + SHAPE.proto, "shape proto"), GcType.Object);
    }
  }

  /** The `const` bindings of the global let/const object (their flags say configurable; a lexical binding is never deleted). */
  function takeConstBindings(object: number): void {
    const shape = memory.u32(object + OBJECT.shape, "shape");
    const props = memory.u32(object + OBJECT.prop, "prop");
    const count = memory.i32(shape + SHAPE.propCount, "prop_count");
    for (let i = 0; i < count; i++) {
      const entry = shape + SHAPE.props + i * SHAPE.propStride;
      if (memory.u32(entry + SHAPE_PROP.atom, "atom") === 0) continue;
      const propFlags = memory.u32(entry + SHAPE_PROP.flagsWord, "prop flags") >>> SHAPE_PROP.flagsShift;
      if ((propFlags & PROP_TYPE_MASK) !== PROP_VARREF) continue;
      const varRef = memory.u32(props + i * PROPERTY_SIZE, "var_ref");
      if (memory.u8(varRef + VAR_REF_IS_CONST, "is_const") === 0 || memory.u8(varRef + VAR_REF.isDetached, "is_detached") === 0) continue;
      take(varRef, GcType.VarRef);
      takeValue(varRef + VAR_REF.value);
    }
  }
}
