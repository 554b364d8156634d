import type { QuickJSContext } from "quickjs-emscripten-core";
import type { Vm } from "../vm.js";
import { GcType, OBJECT, QUICKJS_VERSION, SHAPE, SHAPE_PROP } from "./layout.js";
import { VmMemory } from "./memory.js";
import { readHeap } from "./reader.js";

const PROBE_KEY = "graftLayoutProbe";
const PROBE_VALUE = 0x5eed;

/**
 * Proves the layout on the running build before any heap feature uses it: the version
 * string, a probe object found with its property where the layout says, and per-class
 * object counts equal to QuickJS's own dumpMemoryUsage. Throws with what did not hold.
 */
export function verifyLayout(vm: Vm, context: QuickJSContext): void {
  const dump = vm.runtime.dumpMemoryUsage();
  const buildLine = dump.split("\n")[0] ?? "";
  if (!buildLine.includes(`${QUICKJS_VERSION} version, 32-bit`)) {
    throw new Error(`graft's heap layout is for QuickJS ${QUICKJS_VERSION} (32-bit); this build says "${buildLine.trim()}"`);
  }
  const memory = new VmMemory(vm.emscriptenModule.HEAPU8, vm.runtimePointer);
  const probe = context.unwrapResult(context.evalCode(`({ ${PROBE_KEY}: ${PROBE_VALUE} })`));
  try {
    const valuePointer = (probe as unknown as { value: number }).value;
    const { tag, pointer } = memory.value(valuePointer);
    if (tag !== -1) throw new Error("a probe object's JSValue does not carry the object tag");
    if ((memory.u8(pointer + 4) & 0x0f) !== GcType.Object || memory.u16(pointer + OBJECT.classId) !== 1) {
      throw new Error("the probe object's GC header or class id is not where the layout says");
    }
    const shape = memory.u32(pointer + OBJECT.shape);
    const atom = memory.u32(shape + SHAPE.props + SHAPE_PROP.atom);
    const value = memory.value(memory.u32(pointer + OBJECT.prop));
    if (memory.atom(atom) !== PROBE_KEY || value.tag !== 0 || value.pointer !== PROBE_VALUE) {
      throw new Error("the probe object's property was not found through its shape");
    }
  } finally {
    probe.dispose();
  }
  const expected = classCounts(vm.runtime.dumpMemoryUsage());
  const counted = new Map<number, number>();
  for (const node of readHeap(memory).nodes) {
    if (node.gcType === GcType.Object) counted.set(node.classId, (counted.get(node.classId) ?? 0) + 1);
  }
  for (const [classId, count] of expected) {
    if (counted.get(classId) !== count) {
      throw new Error(`the heap reader found ${counted.get(classId) ?? 0} objects of class ${classId}, dumpMemoryUsage says ${count}`);
    }
  }
}

/** The "JSObject classes" table of dumpMemoryUsage: class id -> live objects. */
export function classCounts(dump: string): Map<number, number> {
  const counts = new Map<number, number>();
  const lines = dump.split("\n");
  const start = lines.findIndex((line) => line.trim() === "JSObject classes");
  if (start === -1) return counts;
  for (const line of lines.slice(start + 1)) {
    const match = /^\s+(\d+)\s+(\d+)\s+\S/.exec(line);
    if (!match) break;
    counts.set(Number(match[2]), Number(match[1]));
  }
  return counts;
}
