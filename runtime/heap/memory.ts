import { ATOM_TAG_INT, ATOM_TYPE_SYMBOL, RUNTIME, STRING } from "./layout.js";

/** A read of VM memory that fell outside it: the layout does not match this heap. */
export class HeapReadError extends Error {
  constructor(address: number, what: string) {
    super(`graft heap reader: ${what} at 0x${address.toString(16)} is outside VM memory`);
    this.name = "HeapReadError";
  }
}

/** Bounds-checked little-endian reads of the VM's linear memory. */
export class VmMemory {
  private readonly view: DataView;
  private readonly atomNames = new Map<number, string>();

  constructor(
    heap: Uint8Array,
    readonly runtimePointer: number,
  ) {
    this.view = new DataView(heap.buffer, heap.byteOffset, heap.byteLength);
  }

  get size(): number {
    return this.view.byteLength;
  }

  private check(address: number, length: number, what: string): void {
    if (!Number.isInteger(address) || address <= 0 || address + length > this.view.byteLength) throw new HeapReadError(address, what);
  }

  u8(address: number, what = "byte"): number {
    this.check(address, 1, what);
    return this.view.getUint8(address);
  }

  u16(address: number, what = "u16"): number {
    this.check(address, 2, what);
    return this.view.getUint16(address, true);
  }

  u32(address: number, what = "u32"): number {
    this.check(address, 4, what);
    return this.view.getUint32(address, true);
  }

  i32(address: number, what = "i32"): number {
    this.check(address, 4, what);
    return this.view.getInt32(address, true);
  }

  /** A JSValue at `address`: [tag (high word, signed), payload (low word)]. */
  value(address: number): { tag: number; pointer: number } {
    this.check(address, 8, "JSValue");
    return { pointer: this.view.getUint32(address, true), tag: this.view.getInt32(address + 4, true) };
  }

  /** A JSString's text (8- or 16-bit), cut at `limit` characters. */
  string(address: number, limit = 200): string {
    const lengthWord = this.u32(address + STRING.lengthWord, "string length");
    const length = lengthWord & 0x7fffffff;
    const wide = lengthWord >>> 31 === 1;
    const shown = Math.min(length, limit);
    this.check(address + STRING.chars, shown * (wide ? 2 : 1), "string characters");
    let text = "";
    for (let i = 0; i < shown; i++) {
      text += String.fromCharCode(wide ? this.view.getUint16(address + STRING.chars + i * 2, true) : this.view.getUint8(address + STRING.chars + i));
    }
    return length > limit ? `${text}…` : text;
  }

  /** The name of an atom (property key): a string, an array index, or a symbol's description. */
  atom(atom: number): string {
    if (atom >= ATOM_TAG_INT) return String(atom - ATOM_TAG_INT);
    const cached = this.atomNames.get(atom);
    if (cached !== undefined) return cached;
    const size = this.i32(this.runtimePointer + RUNTIME.atomSize, "atom table size");
    if (atom <= 0 || atom >= size) return `#atom${atom}`;
    const array = this.u32(this.runtimePointer + RUNTIME.atomArray, "atom table");
    const entry = this.u32(array + atom * 4, "atom entry");
    if (entry === 0 || (entry & 1) === 1) return `#atom${atom}`;
    const atomType = this.u32(entry + STRING.hashWord) >>> 30;
    const text = this.string(entry);
    const name = atomType === ATOM_TYPE_SYMBOL ? `Symbol(${text})` : text;
    this.atomNames.set(atom, name);
    return name;
  }
}
