/**
 * The shapes the decoder has read, each decoded once for every object that uses it, in flat
 * pooled arrays: a shape is an id, its properties a run of pool entries. A heap of many
 * scripts has hundreds of thousands of shapes (each context's intrinsics have their own), and
 * an object with typed arrays per shape cost the host more allocation and GC than the rest
 * of the read. (Monomorphic class: read once or more per VM object.)
 */

/** ShapeTable.kind of a deleted property (QuickJS leaves its entry with atom 0). */
export const DELETED = -1;

/** ShapeTable.special: the keys naming needs. */
export const SPECIAL = { none: 0, constructor: 1, prototype: 2, name: 3 } as const;

const EMPTY = 0;
/** A small direct-mapped table of shapes recently found, in front of the large one: objects of a few classes interleave in gc_obj_list. */
const RECENT_BITS = 8;

export class ShapeTable {
  /** Shapes so far; ids are 0 .. count - 1, in the order they were added. */
  count = 0;
  /**
   * Open addressing, linear probing: shape address -> 1 + id (0: empty slot). The slot is the
   * address / 8 itself, not a hash of it: objects met one after another in gc_obj_list have
   * shapes near each other in memory, and so in this table (a hashed slot missed the cache on
   * almost every lookup: ~60 ms a snapshot on 3,000 scripts). Shapes are at least 48 bytes
   * apart, so neighbours do not collide.
   */
  private keys: Uint32Array;
  private ids: Int32Array;
  private mask: number;
  private readonly recentKeys = new Uint32Array(1 << RECENT_BITS);
  private readonly recentIds = new Int32Array(1 << RECENT_BITS);

  /** Per shape id: its first pool entry, property count, prop_size, prototype address (or 0), and 1 when plainProperties applies. */
  start: Int32Array;
  propCount: Int32Array;
  propSize: Int32Array;
  proto: Uint32Array;
  plain: Uint8Array;

  /** Pool entries used. */
  length = 0;
  /** Per pool entry (a property): its PROP_* type or DELETED, edge type, name (string id, or the index for an element), SPECIAL value. */
  kind: Int8Array;
  edgeType: Uint8Array;
  name: Int32Array;
  special: Uint8Array;

  constructor(shapes = 1024, properties = 8192) {
    const slots = 1 << Math.ceil(Math.log2(shapes * 2));
    this.keys = new Uint32Array(slots);
    this.ids = new Int32Array(slots);
    this.mask = slots - 1;
    this.start = new Int32Array(shapes);
    this.propCount = new Int32Array(shapes);
    this.propSize = new Int32Array(shapes);
    this.proto = new Uint32Array(shapes);
    this.plain = new Uint8Array(shapes);
    this.kind = new Int8Array(properties);
    this.edgeType = new Uint8Array(properties);
    this.name = new Int32Array(properties);
    this.special = new Uint8Array(properties);
  }

  /** The id of the shape at `address`, or -1 if not added. */
  find(address: number): number {
    const recent = Math.imul(address, 0x9e3779b1) >>> (32 - RECENT_BITS);
    if (this.recentKeys[recent] === address) return this.recentIds[recent]!;
    const keys = this.keys;
    for (let slot = (address >>> 3) & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = keys[slot]!;
      if (key === EMPTY) return -1;
      if (key !== address) continue;
      const id = this.ids[slot]! - 1;
      this.recentKeys[recent] = address;
      this.recentIds[recent] = id;
      return id;
    }
  }

  /**
   * A new shape with `count` pool entries reserved from `start[id]` (the caller fills them and
   * `plain`); returns its id. Not yet findable: `publish` it once it read whole.
   */
  reserve(count: number, propSize: number, proto: number): number {
    const id = this.count;
    if (id === this.start.length) this.growShapes();
    if (this.length + count > this.kind.length) this.growPool(this.length + count);
    this.start[id] = this.length;
    this.propCount[id] = count;
    this.propSize[id] = propSize;
    this.proto[id] = proto;
    this.plain[id] = 1;
    this.length += count;
    this.count = id + 1;
    return id;
  }

  /** Makes the last reserved shape findable at `address`. */
  publish(address: number, id: number): void {
    if ((this.count + 1) * 2 > this.keys.length) this.rehash();
    const keys = this.keys;
    let slot = (address >>> 3) & this.mask;
    while (keys[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    keys[slot] = address;
    this.ids[slot] = id + 1;
  }

  /** Gives back the last reserved shape (it did not read whole). */
  drop(id: number): void {
    this.length = this.start[id]!;
    this.count = id;
  }

  private rehash(): void {
    const { keys, ids } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.ids = new Int32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === EMPTY) continue;
      let slot = (keys[i]! >>> 3) & this.mask;
      while (this.keys[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.keys[slot] = keys[i]!;
      this.ids[slot] = ids[i]!;
    }
  }

  private growShapes(): void {
    const size = this.start.length * 2;
    this.start = grown(this.start, new Int32Array(size));
    this.propCount = grown(this.propCount, new Int32Array(size));
    this.propSize = grown(this.propSize, new Int32Array(size));
    this.proto = grown(this.proto, new Uint32Array(size));
    this.plain = grown(this.plain, new Uint8Array(size));
  }

  private growPool(needed: number): void {
    const size = Math.max(needed, this.kind.length * 2);
    this.kind = grown(this.kind, new Int8Array(size));
    this.edgeType = grown(this.edgeType, new Uint8Array(size));
    this.name = grown(this.name, new Int32Array(size));
    this.special = grown(this.special, new Uint8Array(size));
  }
}

function grown<T extends Int8Array | Uint8Array | Int32Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
