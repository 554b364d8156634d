import type { QuickJSHandle } from "quickjs-emscripten-core";

/**
 * Reads a JSValue straight from VM memory (NaN-boxed, as in the pinned build): the host's
 * hot path decodes numbers, booleans, null and undefined without a call into the VM.
 */
export type PeekedValue =
  | { kind: "number"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  | { kind: "undefined" }
  | { kind: "string" }
  | { kind: "object" }
  | { kind: "other" };

const TAG_INT = 0;
const TAG_BOOL = 1;
const TAG_NULL = 2;
const TAG_UNDEFINED = 3;
const TAG_EXCEPTION = 6;
const TAG_LAST_NON_FLOAT = 7;
const TAG_STRING = -7;
const TAG_STRING_ROPE = -6;
const TAG_OBJECT = -1;
const TAG_FIRST = -9;
/** JS_FLOAT64_TAG_ADDEND: doubles are stored with this added to their high word. */
const FLOAT64_TAG_ADDEND = 0x7ff80000 - TAG_FIRST + 1;

export class ValuePeeker {
  private view: DataView | undefined;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  constructor(private readonly memory: () => Uint8Array) {}

  private dataView(): DataView {
    // The VM's memory can grow, which replaces its buffer and detaches the old one (a view
    // of it then reads length 0; a DataView's own byteLength would throw instead).
    if (this.view === undefined || this.bytes.length === 0) {
      const heap = this.memory();
      this.view = new DataView(heap.buffer, heap.byteOffset, heap.byteLength);
      this.bytes = new Uint8Array(heap.buffer, heap.byteOffset, 1);
    }
    return this.view;
  }

  /** A one-byte view of the buffer `view` reads: its length says whether that buffer is still the memory's. */
  private bytes: Uint8Array = new Uint8Array(0);

  /** Whether the handle holds JS_EXCEPTION: the call that made it threw, its exception pending. */
  isException(handle: QuickJSHandle): boolean {
    return this.dataView().getInt32((handle as unknown as { value: number }).value + 4, true) === TAG_EXCEPTION;
  }

  peek(handle: QuickJSHandle): PeekedValue {
    const view = this.dataView();
    const pointer = (handle as unknown as { value: number }).value;
    const tag = view.getInt32(pointer + 4, true);
    switch (tag) {
      case TAG_INT:
        return { kind: "number", value: view.getInt32(pointer, true) };
      case TAG_BOOL:
        return { kind: "boolean", value: view.getInt32(pointer, true) !== 0 };
      case TAG_NULL:
        return { kind: "null" };
      case TAG_UNDEFINED:
        return { kind: "undefined" };
      case TAG_STRING:
      case TAG_STRING_ROPE:
        return { kind: "string" };
      case TAG_OBJECT:
        return { kind: "object" };
      default:
        break;
    }
    if (tag >= TAG_FIRST && tag <= TAG_LAST_NON_FLOAT) return { kind: "other" };
    this.scratch.setUint32(0, view.getUint32(pointer, true), true);
    this.scratch.setUint32(4, ((tag >>> 0) + FLOAT64_TAG_ADDEND) >>> 0, true);
    return { kind: "number", value: this.scratch.getFloat64(0, true) };
  }
}
