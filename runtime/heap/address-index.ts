import { CHUNK } from "./chunks.js";

/**
 * Address -> node index for millions of GC objects, kept in address order: the nodes sorted
 * by address (a counting sort into buckets of 2^shift bytes, about one node a bucket) and
 * where each bucket starts. A lookup reads one bucket entry and compares the few addresses in
 * it. An object's references mostly lie near it (its shape, the array allocated with it), so
 * the reader's lookups, made in gc_obj_list order, stay in the same cache lines, where a hash
 * scatters neighbours across the table and each lookup misses the cache. ~12 bytes a node.
 */
export class AddressIndex {
  private readonly base: number;
  /** Last valid offset from `base`. */
  private readonly span: number;
  private readonly shift: number;
  /** Bucket b's nodes are at positions [start[b], start[b + 1]) of `sorted` and `order`. */
  private readonly start: Int32Array;
  private readonly sorted: Uint32Array;
  private readonly order: Int32Array;

  /** Indexes `addresses[0..count)`: index i is found by addresses[i]. Addresses must be distinct and non-zero. */
  constructor(addresses: Uint32Array, count: number) {
    // Each loop is a function called on a chunk at a time (see chunks.ts).
    // Seeded with an address, not 2^32 - 1: a start that is no small integer would make V8 recompile the loops.
    let min = count === 0 ? 0 : addresses[0]!;
    let max = min;
    for (let from = 0; from < count; from += CHUNK) {
      min = lowest(addresses, from, Math.min(count, from + CHUNK), min);
      max = highest(addresses, from, Math.min(count, from + CHUNK), max);
    }
    this.base = min;
    this.span = max - min;
    // Buckets wide enough that there are no more of them than nodes.
    let shift = 3;
    while (Math.floor(this.span / 2 ** shift) + 1 > Math.max(1, count)) shift++;
    this.shift = shift;
    const buckets = Math.floor(this.span / 2 ** shift) + 1;
    const start = new Int32Array(buckets + 1);
    for (let from = 0; from < count; from += CHUNK) countBuckets(addresses, from, Math.min(count, from + CHUNK), min, shift, start);
    for (let from = 1; from <= buckets; from += CHUNK) runningSum(start, from, Math.min(buckets + 1, from + CHUNK));
    this.sorted = new Uint32Array(count);
    this.order = new Int32Array(count);
    // start[b] serves as bucket b's fill cursor, which leaves it at bucket b + 1's start...
    for (let from = 0; from < count; from += CHUNK) fillBuckets(addresses, from, Math.min(count, from + CHUNK), min, shift, start, this.sorted, this.order);
    // ...so shift the starts back by one bucket.
    start.copyWithin(1, 0, buckets);
    start[0] = 0;
    this.start = start;
    for (let from = 0; from < buckets; from += CHUNK) {
      const to = Math.min(buckets, from + CHUNK);
      for (let b = crowdedBucket(start, from, to); b !== -1; b = crowdedBucket(start, b + 1, to)) this.sortBucket(start[b]!, start[b + 1]!);
    }
  }

  /** The index of `address`, or -1. */
  get(address: number): number {
    const offset = address - this.base;
    if (offset < 0 || offset > this.span) return -1;
    const bucket = offset >>> this.shift;
    const { start, sorted } = this;
    let low = start[bucket]!;
    let high = start[bucket + 1]!;
    if (high - low > SCAN_LIMIT) {
      // A crowded bucket (objects packed in a small part of a sparse heap): sorted, so halve it.
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (sorted[middle]! < address) low = middle + 1;
        else high = middle;
      }
      return sorted[low] === address ? this.order[low]! : -1;
    }
    for (; low < high; low++) if (sorted[low] === address) return this.order[low]!;
    return -1;
  }

  /** Host bytes it takes. */
  get byteLength(): number {
    return this.start.byteLength + this.sorted.byteLength + this.order.byteLength;
  }

  private sortBucket(from: number, to: number): void {
    const positions = Array.from({ length: to - from }, (_, i) => from + i).sort((a, b) => this.sorted[a]! - this.sorted[b]!);
    const addresses = positions.map((p) => this.sorted[p]!);
    const indices = positions.map((p) => this.order[p]!);
    this.sorted.set(addresses, from);
    this.order.set(indices, from);
  }
}

/** Buckets holding more nodes than this are searched by halving instead of one by one. */
const SCAN_LIMIT = 8;

function lowest(addresses: Uint32Array, from: number, to: number, min: number): number {
  for (let i = from; i < to; i++) if (addresses[i]! < min) min = addresses[i]!;
  return min;
}

function highest(addresses: Uint32Array, from: number, to: number, max: number): number {
  for (let i = from; i < to; i++) if (addresses[i]! > max) max = addresses[i]!;
  return max;
}

/** start[b + 1] += how many of addresses[from..to) fall in bucket b. */
function countBuckets(addresses: Uint32Array, from: number, to: number, min: number, shift: number, start: Int32Array): void {
  for (let i = from; i < to; i++) start[((addresses[i]! - min) >>> shift) + 1]! += 1;
}

/** Counts summed in place, from `from` on: start[b] = where bucket b starts. */
function runningSum(start: Int32Array, from: number, to: number): void {
  for (let b = from; b < to; b++) start[b]! += start[b - 1]!;
}

function fillBuckets(addresses: Uint32Array, from: number, to: number, min: number, shift: number, cursor: Int32Array, sorted: Uint32Array, order: Int32Array): void {
  for (let i = from; i < to; i++) {
    const address = addresses[i]!;
    const position = cursor[(address - min) >>> shift]!++;
    sorted[position] = address;
    order[position] = i;
  }
}

/** The first bucket in [from, to) holding more than SCAN_LIMIT nodes, or -1. */
function crowdedBucket(start: Int32Array, from: number, to: number): number {
  for (let b = from; b < to; b++) if (start[b + 1]! - start[b]! > SCAN_LIMIT) return b;
  return -1;
}
