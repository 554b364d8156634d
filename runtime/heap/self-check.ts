/**
 * The start-up self-check of the heap layout (layout.ts) on the running build: the version
 * string, probe values found where the layout says, per-class counts equal to QuickJS's own
 * dumpMemoryUsage. On any other build the heap tools refuse with HeapUnsupportedError.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import {
  BUILD_DESCRIPTION, BYTECODE, CLASS, CLOSURE_VAR, CONTEXT, GC_HEADER, GcType, HeapUnsupportedError, JSVALUE_SIZE, OBJECT,
  QUICKJS_VERSION, RUNTIME, SHAPE, SHAPE_PROP, TAG, VAR_REF, contextPointerOf, heapTargetOf, type HeapTarget,
} from "./layout.js";
import { VmMemory } from "./memory.js";

const PROBE_KEY = "graftLayoutProbe";
const PROBE_VALUE = 0x5eed;
const PROBE_FILE = "graft-layout-probe.js";

/** The first line of dumpMemoryUsage: "QuickJS memory usage -- 2025-09-13 version, 32-bit, ...". */
export function buildOf(runtime: QuickJSRuntime): string {
  const line = runtime.dumpMemoryUsage().split("\n")[0] ?? "";
  return line.replace(/^QuickJS memory usage -- /, "").replace(/, malloc limit.*$/, "").trim();
}

/** The "JSObject classes" table of dumpMemoryUsage: class id -> live objects. */
/** JS_CLASS_INIT_COUNT: class ids from here on belong to the embedder. */
const CLASS_INIT_COUNT = 62;
/** Key under which the dump's "other" row (all embedder classes together) is counted. */
export const OTHER_CLASSES = -1;

export function classCountsFromDump(dump: string): Map<number, number> {
  const counts = new Map<number, number>();
  const lines = dump.split("\n");
  const start = lines.findIndex((line) => line.trim() === "JSObject classes");
  if (start === -1) return counts;
  for (const line of lines.slice(start + 1)) {
    const match = /^\s+(\d+)\s+(\d+)\s+\S/.exec(line);
    // Embedder classes (id >= JS_CLASS_INIT_COUNT) are summed in one row, "other", without an id.
    const other = /^\s+(\d+)\s+other\s*$/.exec(line);
    if (other) {
      counts.set(OTHER_CLASSES, Number(other[1]));
      continue;
    }
    if (!match) break;
    counts.set(Number(match[2]), Number(match[1]));
  }
  return counts;
}

/**
 * Walks gc_obj_list and counts the objects of each class (JSObject GC objects only), the
 * way JS_ComputeMemoryUsage does. Bounds-checked and capped; throws HeapReadError.
 */
export function countObjectsByClass(target: HeapTarget): Map<number, number> {
  const memory = new VmMemory(target.module.HEAPU8, target.rtPointer);
  const counts = new Map<number, number>();
  memory.walkList(target.rtPointer + RUNTIME.gcObjList, GC_HEADER.size, "gc_obj_list", (link) => {
    const address = link - GC_HEADER.link;
    if ((memory.u8(address + GC_HEADER.typeByte) & 0x0f) !== GcType.Object) return;
    const classId = memory.u16(address + OBJECT.classId);
    counts.set(classId, (counts.get(classId) ?? 0) + 1);
  });
  return counts;
}

/**
 * Proves the layout on the running build before any heap feature uses it: the version
 * string, probe values found where the layout says (an object's property through its shape,
 * an array's element, a closure's function name, file and captured variable, the context's
 * global object), and per-class object counts equal to QuickJS's own dumpMemoryUsage.
 * Throws HeapUnsupportedError naming the build and what did not hold. Disposes every
 * handle it creates.
 */
export function verifyLayout(runtime: QuickJSRuntime, context: QuickJSContext): void {
  const build = buildOf(runtime);
  const fail = (reason: string): never => {
    throw new HeapUnsupportedError(build, reason);
  };
  if (!build.startsWith(`${QUICKJS_VERSION} version, 32-bit`)) fail(`expected "${QUICKJS_VERSION} version, 32-bit"`);
  const target = heapTargetOf(runtime);
  try {
    const probe = context.unwrapResult(
      context.evalCode(
        `(() => { let graftProbeVar = { ${PROBE_KEY}: ${PROBE_VALUE} };\n` +
          `  return [graftProbeVar, function graftProbeFn() { return graftProbeVar; }]; })()`,
        PROBE_FILE,
      ),
    );
    try {
      checkProbe(target, context, probe, fail);
    } finally {
      probe.dispose();
    }
    const expected = classCountsFromDump(runtime.dumpMemoryUsage());
    const counted = new Map<number, number>();
    for (const [id, count] of countObjectsByClass(target)) {
      const key = id >= CLASS_INIT_COUNT ? OTHER_CLASSES : id;
      counted.set(key, (counted.get(key) ?? 0) + count);
    }
    if (expected.size === 0) fail("dumpMemoryUsage printed no JSObject classes table");
    for (const id of new Set([...expected.keys(), ...counted.keys()])) {
      if ((expected.get(id) ?? 0) !== (counted.get(id) ?? 0)) {
        fail(`gc_obj_list holds ${counted.get(id) ?? 0} objects of class ${id}, dumpMemoryUsage says ${expected.get(id) ?? 0}`);
      }
    }
  } catch (error) {
    if (error instanceof HeapUnsupportedError) throw error;
    fail(error instanceof Error ? error.message : String(error));
  }
}

function checkProbe(target: HeapTarget, context: QuickJSContext, probe: QuickJSHandle, fail: (reason: string) => never): void {
  const memory = new VmMemory(target.module.HEAPU8, target.rtPointer);
  const array = memory.value((probe as unknown as { value: number }).value);
  if (array.tag !== TAG.object) fail("a probe array's JSValue does not carry the object tag");
  const isGcObject = (address: number, type: GcType): boolean => (memory.u8(address + GC_HEADER.typeByte) & 0x0f) === type;
  if (!isGcObject(array.pointer, GcType.Object) || memory.u16(array.pointer + OBJECT.classId) !== CLASS.array) fail("the probe array's class id is not where the layout says");
  if (memory.u32(array.pointer + OBJECT.arrayCount) !== 2) fail("the probe array's element count is not where the layout says");
  const values = memory.u32(array.pointer + OBJECT.arrayValues);
  const object = memory.value(values);
  const fn = memory.value(values + JSVALUE_SIZE);
  if (object.tag !== TAG.object || fn.tag !== TAG.object) fail("the probe array's elements are not objects");

  // An object's property through its shape.
  if (memory.u16(object.pointer + OBJECT.classId) !== CLASS.object) fail("the probe object's class id is not where the layout says");
  const shape = memory.u32(object.pointer + OBJECT.shape);
  if (!isGcObject(shape, GcType.Shape) || memory.i32(shape + SHAPE.propCount) !== 1) fail("the probe object's shape is not where the layout says");
  const atom = memory.u32(shape + SHAPE.props + SHAPE_PROP.atom);
  const value = memory.value(memory.u32(object.pointer + OBJECT.prop));
  if (memory.atom(atom) !== PROBE_KEY || value.tag !== TAG.int || value.pointer !== PROBE_VALUE) fail("the probe object's property was not found through its shape");

  // A closure: name, file, captured variable (a detached var ref holding the object).
  if (memory.u16(fn.pointer + OBJECT.classId) !== CLASS.bytecodeFunction) fail("the probe function's class id is not where the layout says");
  const bytecode = memory.u32(fn.pointer + OBJECT.funcBytecode);
  if (!isGcObject(bytecode, GcType.FunctionBytecode)) fail("the probe function's bytecode is not where the layout says");
  if (memory.atom(memory.u32(bytecode + BYTECODE.funcName)) !== "graftProbeFn") fail("the probe function's name is not where the layout says");
  if ((memory.u8(bytecode + BYTECODE.hasDebugByte) & BYTECODE.hasDebugBit) === 0 || memory.atom(memory.u32(bytecode + BYTECODE.filename)) !== PROBE_FILE) {
    fail("the probe function's file name is not where the layout says");
  }
  if (memory.i32(bytecode + BYTECODE.closureVarCount) !== 1) fail("the probe function's closure variable count is not where the layout says");
  const closureVars = memory.u32(bytecode + BYTECODE.closureVar);
  if (memory.atom(memory.u32(closureVars + CLOSURE_VAR.varName)) !== "graftProbeVar") fail("the probe function's closure variable name is not where the layout says");
  const varRef = memory.u32(memory.u32(fn.pointer + OBJECT.funcVarRefs));
  if (!isGcObject(varRef, GcType.VarRef) || memory.u8(varRef + VAR_REF.isDetached) !== 1) fail("the probe function's variable reference is not where the layout says");
  const captured = memory.value(memory.u32(varRef + VAR_REF.pvalue));
  if (captured.tag !== TAG.object || captured.pointer !== object.pointer) fail("the probe closure's captured value is not where the layout says");

  // The context: its GC header, runtime back pointer and global object.
  const ctx = contextPointerOf(context);
  if (!isGcObject(ctx, GcType.Context) || memory.u32(ctx + CONTEXT.rt) !== target.rtPointer) fail("the context is not where the layout says");
  const global = memory.value(ctx + CONTEXT.globalObj);
  if (global.tag !== TAG.object || memory.u16(global.pointer + OBJECT.classId) !== CLASS.globalObject) fail("the context's global object is not where the layout says");
}
