/**
 * Struct layout of the pinned QuickJS build (quickjs-emscripten 0.32.0 release-sync:
 * QuickJS 2025-09-13, wasm32, NaN-boxed 8-byte JSValue), every offset in one place.
 *
 * The numbers were derived from that build's own quickjs.c (vendor/quickjs in
 * justjake/quickjs-emscripten) by compiling offsetof() for an ILP32 target with 8-byte
 * aligned 64-bit integers (the wasm32 ABI), and are checked against the running VM by
 * verifyLayout() (self-check.ts) and by test/heap-layout.test.ts. On any other build the heap tools
 * throw HeapUnsupportedError; nothing else in graft depends on these numbers.
 */
import type { QuickJSContext, QuickJSRuntime } from "quickjs-emscripten-core";

export const QUICKJS_VERSION = "2025-09-13";
export const BUILD_DESCRIPTION = "quickjs-emscripten 0.32.0 release-sync (QuickJS 2025-09-13, wasm32)";

/** Heap features are not available on this build; everything else keeps working. */
export class HeapUnsupportedError extends Error {
  constructor(
    readonly build: string,
    readonly reason: string,
  ) {
    super(
      `graft heap tools do not support this QuickJS build (${build || "unknown build"}): ${reason}. ` +
        `Heap inspection needs ${BUILD_DESCRIPTION}; scripts, reloads and the host API keep working.`,
    );
    this.name = "HeapUnsupportedError";
  }
}

// ---------------------------------------------------------------------------------------
// Values

/** sizeof(JSValue): NaN-boxed, payload (pointer) in the low word, tag in the high word. */
export const JSVALUE_SIZE = 8;
/** JS_TAG_* of the values that point at ref-counted memory (quickjs.h, JS_NAN_BOXING). */
export const TAG = {
  bigInt: -9,
  symbol: -8,
  string: -7,
  stringRope: -6,
  module: -3,
  functionBytecode: -2,
  object: -1,
  int: 0,
  bool: 1,
  null: 2,
  undefined: 3,
  uninitialized: 4,
  catchOffset: 5,
  exception: 6,
  shortBigInt: 7,
  float64: 8,
} as const;
/** The tags JS_MarkValue follows: only these point at GC objects. */
export const GC_TAGS = new Set<number>([TAG.object, TAG.functionBytecode, TAG.module]);

// ---------------------------------------------------------------------------------------
// JSRuntime

export const RUNTIME = {
  atomSize: 44,
  atomArray: 56,
  classCount: 64,
  classArray: 68,
  contextList: 72,
  gcObjList: 80,
  /** JSMallocState.malloc_size: what the collector's threshold is compared with (this build counts 8 bytes an allocation). */
  mallocSize: 20,
  /** JSMallocState.malloc_limit: the memory limit (checked against the VM's option at start). */
  mallocLimit: 24,
  mallocGcThreshold: 108,
  /** stack_size, stack_top, stack_limit: QuickJS's own stack check (emscripten stack). */
  stackSize: 120,
  currentException: 136,
  /** The word holding current_exception_is_uncatchable and in_out_of_memory. */
  exceptionFlags: 144,
  /** struct JSStackFrame *: the innermost running JS or C function, NULL when idle. */
  currentStackFrame: 148,
  jobList: 168,
} as const;
/** JSClass in rt->class_array. */
export const JS_CLASS = { size: 24, className: 4, gcMark: 12 } as const;
/** struct list_head { prev, next } (4-byte pointers). */
export const LIST = { prev: 0, next: 4 } as const;

// ---------------------------------------------------------------------------------------
// GC objects

/** JSGCObjectHeader: ref_count, a byte with gc_obj_type in its low 4 bits, the list link. */
export const GC_HEADER = { refCount: 0, typeByte: 4, link: 8, size: 16 } as const;

export enum GcType {
  Object = 0,
  FunctionBytecode = 1,
  Shape = 2,
  VarRef = 3,
  AsyncFunction = 4,
  Context = 5,
  Module = 6,
}
export const GC_TYPE_COUNT = 7;

export const OBJECT = {
  /** Byte of flags: extensible 0x01, free_mark 0x02, is_exotic 0x04, fast_array 0x08, is_constructor 0x10. */
  flagsByte: 5,
  fastArrayBit: 0x08,
  classId: 6,
  weakrefCount: 16,
  shape: 20,
  prop: 24,
  /** The class-specific union (u), 8-byte aligned. */
  union: 32,
  opaque: 32,
  funcBytecode: 32,
  funcVarRefs: 36,
  funcHomeObject: 40,
  cFunctionRealm: 32,
  arraySize: 32,
  arrayValues: 36,
  arrayCount: 40,
  regexpPattern: 32,
  regexpBytecode: 36,
  objectData: 32,
  globalUninitializedVars: 32,
  size: 48,
} as const;

export const SHAPE = {
  propHashMask: 24,
  propSize: 28,
  propCount: 32,
  deletedPropCount: 36,
  proto: 44,
  props: 48,
  propStride: 8,
} as const;
/** JSShapeProperty: hash_next:26 | flags:6 in the first word, then the atom. */
export const SHAPE_PROP = { flagsWord: 0, flagsShift: 26, atom: 4 } as const;
/** JSProperty is one JSValue wide (value | getter,setter | var_ref | realm_and_id,opaque). */
export const PROPERTY_SIZE = 8;
export const PROP_TYPE_MASK = 0x30;
export const PROP_NORMAL = 0x00;
export const PROP_GETSET = 0x10;
export const PROP_VARREF = 0x20;
export const PROP_AUTOINIT = 0x30;

/** JSString / JSAtomStruct: len:31 | is_wide_char:1, hash:30 | atom_type:2, hash_next, chars. */
export const STRING = { lengthWord: 4, hashWord: 8, hashNext: 12, chars: 16 } as const;
export const ATOM_TAG_INT = 0x80000000;
export const ATOM_TYPE = { string: 1, globalSymbol: 2, symbol: 3 } as const;
/** Private names share atom_type 3 with symbols and carry this hash. */
export const ATOM_HASH_PRIVATE = (1 << 30) - 1;

export const BYTECODE = {
  jsMode: 16,
  /** Byte holding super_allowed 0x01, arguments_allowed 0x02, has_debug 0x04. */
  hasDebugByte: 18,
  hasDebugBit: 0x04,
  byteCodeBuf: 20,
  byteCodeLen: 24,
  funcName: 28,
  vardefs: 32,
  closureVar: 36,
  argCount: 40,
  varCount: 42,
  realm: 52,
  cpool: 56,
  cpoolCount: 60,
  closureVarCount: 64,
  filename: 68,
  sourceLen: 72,
  pc2lineLen: 76,
  pc2lineBuf: 80,
  size: 88,
} as const;
export const CLOSURE_VAR = { varName: 4, stride: 8 } as const;
export const VARDEF_SIZE = 12;

export const VAR_REF = { isDetached: 5, pvalue: 16, value: 24, stackFrame: 28, size: 32 } as const;
/** JSStackFrame. */
export const STACK_FRAME = { prevFrame: 0, curFunc: 8, argBuf: 16, jsMode: 36, curSp: 40 } as const;
export const JS_MODE_ASYNC = 1 << 2;
/** JSAsyncFunctionState (a GC object of its own). */
export const ASYNC_FUNCTION = { thisVal: 16, isCompleted: 32, resolvingFuncs: 40, frame: 56, size: 104 } as const;

export const BOUND_FUNCTION = { funcObj: 0, thisVal: 8, argc: 16, argv: 24 } as const;
export const C_FUNCTION_DATA = { dataLen: 5, data: 8 } as const;
export const FOR_IN_ITERATOR = { obj: 0 } as const;
export const TYPED_ARRAY = { buffer: 12 } as const;
export const MAP_STATE = { isWeak: 0, records: 4, recordCount: 12 } as const;
export const MAP_RECORD = { link: 8, key: 24, value: 32, size: 40 } as const;
/** Map/Set/Array/String iterator data: the iterated object first. */
export const ITERATOR_DATA = { obj: 0 } as const;
export const REGEXP_STRING_ITERATOR = { regexp: 0, string: 8 } as const;
export const GENERATOR = { funcState: 4 } as const;
export const ITERATOR_CONCAT = { index: 0, count: 4, iter: 16, next: 24, values: 32 } as const;
export const ITERATOR_HELPER = { obj: 0, next: 8, func: 16, inner: 24 } as const;
export const ITERATOR_WRAP = { iter: 0, next: 8 } as const;
export const PROXY = { target: 0, handler: 8 } as const;
export const PROMISE = { reactions: 4, result: 24 } as const;
export const PROMISE_REACTION = { link: 0, resolvingFuncs: 8, handler: 24 } as const;
export const PROMISE_FUNCTION = { promise: 0 } as const;
export const ASYNC_FROM_SYNC_ITERATOR = { syncIter: 0, nextMethod: 8 } as const;
export const ASYNC_GENERATOR = { funcState: 8, queue: 12 } as const;
export const ASYNC_GENERATOR_REQUEST = { link: 0, result: 16, promise: 24, resolvingFuncs: 32 } as const;
export const FINALIZATION_REGISTRY = { entries: 12, realm: 20, cb: 24 } as const;
export const FINREC_ENTRY = { link: 0, target: 8, heldVal: 16, token: 24 } as const;
export const WEAK_REF = { target: 16 } as const;

export const CONTEXT = {
  rt: 16,
  link: 20,
  /** array_shape, arguments_shape, mapped_arguments_shape, regexp_shape, regexp_result_shape. */
  shapes: 36,
  shapeCount: 5,
  classProto: 56,
  functionProto: 64,
  functionCtor: 72,
  arrayCtor: 80,
  regexpCtor: 88,
  promiseCtor: 96,
  nativeErrorProto: 104,
  nativeErrorCount: 8,
  iteratorCtor: 168,
  asyncIteratorProto: 176,
  arrayProtoValues: 184,
  throwTypeError: 192,
  evalObj: 200,
  globalObj: 208,
  globalVarObj: 216,
  /** int interrupt_counter: polls left before the runtime's interrupt handler is asked again. */
  interruptCounter: 232,
  loadedModules: 236,
  size: 256,
} as const;
export const CONTEXT_SHAPE_NAMES = ["Array shape", "arguments shape", "mapped arguments shape", "RegExp shape", "RegExp result shape"];
export const NATIVE_ERROR_NAMES = ["EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError", "InternalError", "AggregateError"];

export const MODULE = {
  moduleName: 16,
  link: 20,
  reqModuleEntries: 28,
  reqModuleEntriesCount: 32,
  exportEntries: 40,
  exportEntriesCount: 44,
  moduleNs: 80,
  funcObj: 88,
  promise: 152,
  resolvingFuncs: 160,
  evalException: 184,
  metaObj: 192,
  privateValue: 200,
  size: 208,
} as const;
export const REQ_MODULE_ENTRY = { attributes: 8, size: 16 } as const;
export const EXPORT_ENTRY = { varRef: 4, exportType: 8, exportName: 16, size: 20 } as const;
export const EXPORT_TYPE_LOCAL = 0;

/** JSJobEntry in rt->job_list (not a GC object: a holder from outside the heap). */
export const JOB = { link: 0, realm: 8, argc: 16, argv: 24 } as const;

// ---------------------------------------------------------------------------------------
// Classes

export const CLASS = {
  object: 1, array: 2, error: 3, number: 4, string: 5, boolean: 6, symbol: 7, arguments: 8, mappedArguments: 9,
  date: 10, moduleNs: 11, cFunction: 12, bytecodeFunction: 13, boundFunction: 14, cFunctionData: 15,
  generatorFunction: 16, forInIterator: 17, regexp: 18, arrayBuffer: 19, sharedArrayBuffer: 20,
  uint8cArray: 21, float64Array: 32, dataView: 33, bigInt: 34, map: 35, set: 36, weakMap: 37, weakSet: 38,
  iterator: 39, iteratorConcat: 40, iteratorHelper: 41, iteratorWrap: 42, mapIterator: 43, setIterator: 44,
  arrayIterator: 45, stringIterator: 46, regexpStringIterator: 47, generator: 48, globalObject: 49, proxy: 50,
  promise: 51, promiseResolveFunction: 52, promiseRejectFunction: 53, asyncFunction: 54, asyncFunctionResolve: 55,
  asyncFunctionReject: 56, asyncFromSyncIterator: 57, asyncGeneratorFunction: 58, asyncGenerator: 59, weakRef: 60,
  finalizationRegistry: 61,
  /** JS_CLASS_INIT_COUNT: ids from here on are registered by the embedder (quickjs-emscripten's HostRef). */
  initCount: 62,
} as const;

/** JS_CLASS_* names as dumpMemoryUsage prints them (its class_name atom). */
export const CLASS_NAMES: Record<number, string> = {
  1: "Object", 2: "Array", 3: "Error", 4: "Number", 5: "String", 6: "Boolean", 7: "Symbol", 8: "Arguments",
  9: "Arguments", 10: "Date", 11: "Object", 12: "Function", 13: "Function", 14: "Function", 15: "Function",
  16: "GeneratorFunction", 17: "ForInIterator", 18: "RegExp", 19: "ArrayBuffer", 20: "SharedArrayBuffer",
  21: "Uint8ClampedArray", 22: "Int8Array", 23: "Uint8Array", 24: "Int16Array", 25: "Uint16Array", 26: "Int32Array",
  27: "Uint32Array", 28: "BigInt64Array", 29: "BigUint64Array", 30: "Float16Array", 31: "Float32Array", 32: "Float64Array",
  33: "DataView", 34: "BigInt", 35: "Map", 36: "Set", 37: "WeakMap", 38: "WeakSet", 39: "Iterator",
  40: "Iterator Concat", 41: "Iterator Helper", 42: "Iterator Wrap", 43: "Map Iterator", 44: "Set Iterator",
  45: "Array Iterator", 46: "String Iterator", 47: "RegExp String Iterator", 48: "Generator", 49: "Object",
  50: "Proxy", 51: "Promise", 52: "PromiseResolveFunction", 53: "PromiseRejectFunction", 54: "AsyncFunction",
  55: "AsyncFunctionResolve", 56: "AsyncFunctionReject", 57: "AsyncFromSyncIterator", 58: "AsyncGeneratorFunction",
  59: "AsyncGenerator", 60: "WeakRef", 61: "FinalizationRegistry",
};

export const BYTECODE_FUNCTION_CLASSES = new Set<number>([
  CLASS.bytecodeFunction, CLASS.generatorFunction, CLASS.asyncFunction, CLASS.asyncGeneratorFunction,
]);
export const FUNCTION_CLASSES = new Set<number>([
  ...BYTECODE_FUNCTION_CLASSES, CLASS.cFunction, CLASS.boundFunction, CLASS.cFunctionData,
  CLASS.promiseResolveFunction, CLASS.promiseRejectFunction, CLASS.asyncFunctionResolve, CLASS.asyncFunctionReject,
]);
export const ARRAY_CLASSES = new Set<number>([CLASS.array, CLASS.arguments]);
export const OBJECT_DATA_CLASSES = new Set<number>([CLASS.number, CLASS.string, CLASS.boolean, CLASS.symbol, CLASS.date, CLASS.bigInt]);
export const MAP_CLASSES = new Set<number>([CLASS.map, CLASS.set, CLASS.weakMap, CLASS.weakSet]);
export const TYPED_ARRAY_CLASSES = new Set<number>(Array.from({ length: CLASS.dataView - CLASS.uint8cArray + 1 }, (_, i) => CLASS.uint8cArray + i));

// ---------------------------------------------------------------------------------------
// Access to a quickjs-emscripten runtime's memory

/** What the heap tools need of a VM: its linear memory and its JSRuntime. */
export interface HeapTarget {
  /** The emscripten module; `HEAPU8` is re-read on every use (memory growth replaces it). */
  module: { HEAPU8: Uint8Array };
  /** Address of the JSRuntime. */
  rtPointer: number;
}

interface RuntimeInternals {
  module: { HEAPU8: Uint8Array };
  rt: { value: number };
}

/** The heap target of a quickjs-emscripten runtime (reads its protected fields). */
export function heapTargetOf(runtime: QuickJSRuntime): HeapTarget {
  const internals = runtime as unknown as RuntimeInternals;
  return { module: internals.module, rtPointer: internals.rt.value };
}

/** Address of a context's JSContext. */
export function contextPointerOf(context: QuickJSContext): number {
  return (context as unknown as { ctx: { value: number } }).ctx.value;
}
