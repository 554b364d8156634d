/**
 * Address -> node index for millions of GC objects in two flat arrays: open addressing
 * with linear probing over an Int32Array (8 bytes a node, against ~50 for a Map).
 */
export class AddressIndex {
  private readonly table: Int32Array;
  private readonly mask: number;
  /** 32 - log2(table size): the hash keeps the product's high bits, the well-mixed ones. */
  private readonly shift: number;

  /** Indexes `addresses[0..count)`: index i is found by addresses[i]. Addresses must be distinct and non-zero. */
  constructor(
    private readonly addresses: Uint32Array,
    count: number,
  ) {
    let bits = 4;
    while (1 << bits < count * 2) bits++;
    this.table = new Int32Array(1 << bits).fill(-1);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    for (let i = 0; i < count; i++) {
      let slot = hash(addresses[i]!, this.shift);
      while (this.table[slot] !== -1) slot = (slot + 1) & this.mask;
      this.table[slot] = i;
    }
  }

  /** The index of `address`, or -1. */
  get(address: number): number {
    const { table, mask, addresses } = this;
    let slot = hash(address, this.shift);
    for (;;) {
      const index = table[slot]!;
      if (index === -1 || addresses[index] === address) return index;
      slot = (slot + 1) & mask;
    }
  }

  /** Host bytes it takes. */
  get byteLength(): number {
    return this.table.byteLength;
  }
}

/** GC objects are 8-byte aligned: drop those bits, then Fibonacci hashing (the product's top bits). */
function hash(address: number, shift: number): number {
  return Math.imul(address >>> 3, 0x9e3779b1) >>> shift;
}
