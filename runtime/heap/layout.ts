/**
 * Struct layout of the pinned QuickJS build (2025-09-13, wasm32, NaN-boxed JSValue), read
 * from its quickjs.c. Every offset here is checked at start-up by verifyLayout() and by
 * test/heap-layout.test.ts; on any other build the heap tools refuse to run.
 */
export const QUICKJS_VERSION = "2025-09-13";

export const RUNTIME = {
  atomSize: 44,
  atomArray: 56,
  classCount: 64,
  gcObjList: 80,
  mallocGcThreshold: 108,
} as const;

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

export const OBJECT = {
  classId: 6,
  shape: 20,
  prop: 24,
  /** The class-specific union, 8-byte aligned. */
  union: 32,
  funcBytecode: 32,
  funcVarRefs: 36,
  funcHomeObject: 40,
  arrayValues: 36,
  arrayCount: 40,
  objectData: 32,
  boundFunction: 32,
  cFunctionRealm: 32,
  cFunctionDataRecord: 32,
  mapState: 32,
  size: 48,
} as const;

export const SHAPE = { propHashMask: 24, propSize: 28, propCount: 32, proto: 44, props: 48, propStride: 8 } as const;
/** JSShapeProperty: flags in the top 6 bits of the first word, then the atom. */
export const SHAPE_PROP = { flagsWord: 0, atom: 4 } as const;
export const PROP_TYPE_MASK = 0x30;
export const PROP_GETSET = 0x10;
export const PROP_VARREF = 0x20;
export const PROP_AUTOINIT = 0x30;

export const BYTECODE = {
  funcName: 28,
  closureVar: 36,
  cpool: 56,
  cpoolCount: 60,
  closureVarCount: 64,
  realm: 52,
  byteCodeLen: 24,
  hasDebugByte: 18,
  filename: 68,
  pc2lineLen: 76,
  pc2lineBuf: 80,
  size: 88,
} as const;
export const CLOSURE_VAR = { varName: 4, stride: 8 } as const;

export const VAR_REF = { isDetached: 5, pvalue: 16, value: 24, size: 32 } as const;
export const BOUND_FUNCTION = { funcObj: 0, thisVal: 8, argc: 16, argv: 24 } as const;
export const C_FUNCTION_DATA = { dataLen: 5, data: 8 } as const;
export const MAP_STATE = { isWeak: 0, records: 4 } as const;
export const MAP_RECORD = { empty: 4, link: 8, key: 24, value: 32 } as const;

export const CONTEXT = {
  arrayShape: 36,
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
  size: 240,
} as const;

export const STRING = { lengthWord: 4, hashWord: 8, chars: 16 } as const;
export const ATOM_TAG_INT = 0x80000000;
export const ATOM_TYPE_SYMBOL = 3;

/** JSValue tags (high word) of the values that point at GC objects. */
export const TAG = { object: -1, functionBytecode: -2, module: -3, string: -7, symbol: -8 } as const;

/** JS_CLASS_* ids and names, as dumpMemoryUsage prints them. */
export const CLASS_NAMES: Record<number, string> = {
  1: "Object", 2: "Array", 3: "Error", 4: "Number", 5: "String", 6: "Boolean", 7: "Symbol", 8: "Arguments",
  9: "Arguments", 10: "Date", 11: "Module", 12: "Function", 13: "Function", 14: "Function", 15: "Function",
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

export const CLASS = {
  object: 1, array: 2, number: 4, string: 5, boolean: 6, symbol: 7, arguments: 8, date: 10, cFunction: 12,
  bytecodeFunction: 13, boundFunction: 14, cFunctionData: 15, generatorFunction: 16, bigInt: 34, map: 35, set: 36,
  weakMap: 37, weakSet: 38, globalObject: 49, asyncFunction: 54, asyncGeneratorFunction: 58,
} as const;

export const BYTECODE_FUNCTION_CLASSES = new Set<number>([
  CLASS.bytecodeFunction, CLASS.generatorFunction, CLASS.asyncFunction, CLASS.asyncGeneratorFunction,
]);
export const OBJECT_DATA_CLASSES = new Set<number>([CLASS.number, CLASS.string, CLASS.boolean, CLASS.symbol, CLASS.date, CLASS.bigInt]);
export const MAP_CLASSES = new Set<number>([CLASS.map, CLASS.set, CLASS.weakMap, CLASS.weakSet]);
