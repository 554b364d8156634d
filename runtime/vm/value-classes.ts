import type { QuickJSHandle } from "quickjs-emscripten-core";
import { BYTECODE, BYTECODE_FUNCTION_CLASSES, CLASS, CONTEXT, JS_CLASS, OBJECT, RUNTIME, SHAPE, STACK_FRAME, TAG } from "../heap/layout.js";
import { VmMemory } from "../heap/memory.js";

/**
 * Facts about VM objects read from linear memory, where asking the VM would run script
 * code: an object's class (a Proxy answers every question through its traps), the realm
 * an object or function belongs to, the realm of the script function calling the host.
 * Objects never move in QuickJS; pointers stay valid while a handle holds the object.
 */
export class ValueClasses {
  private readonly names = new Map<number, string>();
  private cached: VmMemory | undefined;

  constructor(
    private readonly heap: () => Uint8Array,
    private readonly runtimePointer: () => number,
  ) {}

  /** A reader of VM memory, made again whenever the memory has grown (its buffer replaced). */
  private memory(): VmMemory {
    const heap = this.heap();
    if (this.cached === undefined || this.cached.bytes.buffer !== heap.buffer) this.cached = new VmMemory(heap, this.runtimePointer());
    return this.cached;
  }

  /** The object's QuickJS class name ("Object", "Array", "Proxy", "Map", ...), or "" for a non-object. */
  classNameOf(handle: QuickJSHandle): string {
    const memory = this.memory();
    const slot = (handle as unknown as { value: number }).value;
    if (memory.i32(slot + 4) !== TAG.object) return "";
    return this.className(memory, memory.u16(memory.u32(slot) + OBJECT.classId));
  }

  private className(memory: VmMemory, id: number): string {
    // QuickJS names a few classes after others (a Proxy's class name is "Object").
    if (id === CLASS.proxy) return "Proxy";
    let name = this.names.get(id);
    if (name === undefined) {
      const classes = memory.u32(this.runtimePointer() + RUNTIME.classArray);
      name = memory.atom(memory.u32(classes + id * JS_CLASS.size + JS_CLASS.className)) || `class ${id}`;
      this.names.set(id, name);
    }
    return name;
  }

  /**
   * The realm (JSContext pointer) an object belongs to, by the end of its prototype chain:
   * some realm's Object.prototype (`objectPrototypes` maps those to their contexts).
   */
  realmOf(handle: QuickJSHandle, objectPrototypes: ReadonlyMap<number, number>): number | undefined {
    const memory = this.memory();
    const slot = (handle as unknown as { value: number }).value;
    if (memory.i32(slot + 4) !== TAG.object) return undefined;
    let object = memory.u32(slot);
    for (let depth = 0; depth < 256 && object !== 0; depth++) {
      const realm = objectPrototypes.get(object);
      if (realm !== undefined) return realm;
      object = memory.u32(memory.u32(object + OBJECT.shape) + SHAPE.proto);
    }
    return undefined;
  }

  /** The realm of the innermost script function on the VM's stack (the caller of a host function). */
  callerRealm(): number | undefined {
    try {
      const memory = this.memory();
      let frame = memory.u32(this.runtimePointer() + RUNTIME.currentStackFrame);
      for (let depth = 0; frame !== 0 && depth < 64; depth++, frame = memory.u32(frame + STACK_FRAME.prevFrame)) {
        if (memory.i32(frame + STACK_FRAME.curFunc + 4) !== TAG.object) continue;
        const fn = memory.u32(frame + STACK_FRAME.curFunc);
        if (!BYTECODE_FUNCTION_CLASSES.has(memory.u16(fn + OBJECT.classId))) continue;
        return memory.u32(memory.u32(fn + OBJECT.funcBytecode) + BYTECODE.realm);
      }
    } catch {
      // unreadable: no caller known
    }
    return undefined;
  }

  /** The address of a context's Object.prototype (class_proto[JS_CLASS_OBJECT]). */
  objectPrototypeOf(contextPointer: number): number {
    const memory = this.memory();
    return memory.u32(memory.u32(contextPointer + CONTEXT.classProto) + 1 * 8);
  }
}
