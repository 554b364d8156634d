import { ATOM_HASH_PRIVATE, ATOM_TAG_INT, ATOM_TYPE, GC_HEADER, LIST, RUNTIME, STRING } from "./layout.js";

/** A read of VM memory that fell outside it, or a walk that did not end: the layout does not match this heap. */
export class HeapReadError extends Error {
  constructor(address: number, what: string) {
    super(`graft heap reader: ${what} at 0x${(address >>> 0).toString(16)} is outside VM memory or malformed`);
    this.name = "HeapReadError";
  }
}

/**
 * Bounds-checked little-endian reads of the VM's linear memory. Every read checks its
 * range; every list walk is capped by what could fit in memory, so a wrong layout or a
 * corrupt heap gives a HeapReadError, never a crash or an endless loop.
 */
export class VmMemory {
  private readonly view: DataView;
  /** The whole memory as bytes and aligned words: the hot loops index these directly. */
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
  readonly signedWords: Int32Array;
  readonly halfWords: Uint16Array;
  private readonly atomNames = new Map<number, string>();

  constructor(
    heap: Uint8Array,
    readonly runtimePointer: number,
  ) {
    this.bytes = heap;
    this.view = new DataView(heap.buffer, heap.byteOffset, heap.byteLength);
    this.words = new Uint32Array(heap.buffer, heap.byteOffset, heap.byteLength >>> 2);
    this.signedWords = new Int32Array(heap.buffer, heap.byteOffset, heap.byteLength >>> 2);
    this.halfWords = new Uint16Array(heap.buffer, heap.byteOffset, heap.byteLength >>> 1);
  }

  get size(): number {
    return this.view.byteLength;
  }

  /** True if [address, address + length) is inside memory and address is not null. */
  inBounds(address: number, length = 1): boolean {
    return Number.isInteger(address) && address > 0 && address + length <= this.view.byteLength;
  }

  private check(address: number, length: number, what: string): void {
    if (!this.inBounds(address, length)) throw new HeapReadError(address, what);
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

  /** A JSValue at `address`: tag (high word, signed) and payload (low word). */
  value(address: number, what = "JSValue"): { tag: number; pointer: number } {
    this.check(address, 8, what);
    return { pointer: this.view.getUint32(address, true), tag: this.view.getInt32(address + 4, true) };
  }

  /** Tag of the JSValue at `address` (cheaper than value()). */
  tag(address: number, what = "JSValue"): number {
    this.check(address, 8, what);
    return this.view.getInt32(address + 4, true);
  }

  /**
   * Calls `visit` for every node of a circular struct list_head (following `next`), not the
   * head itself. Throws if a pointer leaves memory or the walk exceeds what memory could
   * hold (`minNodeSize` bytes a node).
   */
  walkList(head: number, minNodeSize: number, what: string, visit: (link: number) => void): number {
    const cap = Math.ceil(this.view.byteLength / Math.max(8, minNodeSize)) + 1;
    let count = 0;
    for (let link = this.u32(head + LIST.next, what); link !== head; link = this.u32(link + LIST.next, what)) {
      if (++count > cap) throw new HeapReadError(head, `${what} does not end`);
      this.check(link, 8, what);
      visit(link);
    }
    return count;
  }

  /**
   * Calls `visit(address, gcType)` for every GC object of the runtime's gc_obj_list, reading
   * aligned words directly (the list is walked for every heap query, so this is the hot
   * loop). Checks every link and caps the walk like walkList. Returns the object count.
   */
  forEachGcObject(visit?: (address: number, gcType: number) => void): number {
    const { words, bytes } = this;
    const head = this.runtimePointer + RUNTIME.gcObjList;
    this.check(head, 8, "gc_obj_list");
    const limit = bytes.length - GC_HEADER.size;
    const cap = (bytes.length >>> 4) + 1;
    let count = 0;
    for (let link = words[(head + LIST.next) >>> 2]!; link !== head; link = words[(link + LIST.next) >>> 2]!) {
      const address = link - GC_HEADER.link;
      if (address <= 0 || address > limit || (link & 3) !== 0 || ++count > cap) throw new HeapReadError(link, "gc_obj_list link");
      if (visit !== undefined) visit(address, bytes[address + GC_HEADER.typeByte]! & 0x0f);
    }
    return count;
  }

  /** Like u32 for a 4-byte aligned address, without the DataView: for the hot loops. */
  word(address: number, what = "u32"): number {
    if ((address & 3) !== 0 || address <= 0 || address + 4 > this.bytes.length) throw new HeapReadError(address, what);
    return this.words[address >>> 2]!;
  }

  /** The atom of a property name, or 0: scans the atom table once for a predefined name such as "prototype". */
  findAtom(text: string): number {
    const size = this.i32(this.runtimePointer + RUNTIME.atomSize, "atom table size");
    for (let atom = 1; atom < size; atom++) {
      const array = this.u32(this.runtimePointer + RUNTIME.atomArray, "atom table");
      const entry = this.u32(array + atom * 4, "atom entry");
      if (entry === 0 || (entry & 1) === 1) continue;
      if (this.u32(entry + STRING.hashWord) >>> 30 === ATOM_TYPE.string && this.atom(atom) === text) return atom;
    }
    return 0;
  }

  /** A JSString's text (8- or 16-bit characters), cut at `limit` characters. */
  string(address: number, limit = 200): string {
    const lengthWord = this.u32(address + STRING.lengthWord, "string length");
    const length = lengthWord & 0x7fffffff;
    const wide = lengthWord >>> 31 === 1;
    const shown = Math.min(length, limit);
    const start = address + STRING.chars;
    this.check(start, Math.max(1, shown * (wide ? 2 : 1)), "string characters");
    let text = "";
    if (wide) {
      for (let i = 0; i < shown; i++) text += String.fromCharCode(this.view.getUint16(start + i * 2, true));
    } else {
      for (let i = 0; i < shown; i++) text += String.fromCharCode(this.bytes[start + i]!);
    }
    return length > limit ? `${text}…` : text;
  }

  /** The name of an atom (property key): a string, an array index, a symbol's description, a #private name. */
  atom(atom: number): string {
    if (atom >= ATOM_TAG_INT) return String(atom - ATOM_TAG_INT);
    const cached = this.atomNames.get(atom);
    if (cached !== undefined) return cached;
    const size = this.i32(this.runtimePointer + RUNTIME.atomSize, "atom table size");
    if (atom <= 0 || atom >= size) return `#atom${atom}`;
    const array = this.u32(this.runtimePointer + RUNTIME.atomArray, "atom table");
    const entry = this.u32(array + atom * 4, "atom entry");
    if (entry === 0 || (entry & 1) === 1) return `#atom${atom}`; // a free slot
    const hashWord = this.u32(entry + STRING.hashWord, "atom hash");
    const atomType = hashWord >>> 30;
    const hash = hashWord & ATOM_HASH_PRIVATE;
    const text = this.string(entry);
    let name = text;
    if (atomType === ATOM_TYPE.symbol && hash !== ATOM_HASH_PRIVATE) name = `Symbol(${text})`;
    else if (atomType === ATOM_TYPE.globalSymbol) name = `Symbol.for(${text})`;
    this.atomNames.set(atom, name);
    return name;
  }

  /** Reads an unsigned LEB128 number in [start, end); returns the value and the next address. */
  leb128(start: number, end: number): [number, number] {
    let value = 0;
    let shift = 0;
    let address = start;
    while (address < end && shift < 35) {
      const byte = this.u8(address++, "LEB128");
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    return [value >>> 0, address];
  }
}
