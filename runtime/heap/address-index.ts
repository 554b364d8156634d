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
    // Each loop is a function of its own (see walkList in reader.ts).
    const min = count === 0 ? 0 : lowest(addresses, count);
    const max = count === 0 ? 0 : highest(addresses, count);
    this.base = min;
    this.span = max - min;
    // Buckets wide enough that there are no more of them than nodes.
    let shift = 3;
    while (Math.floor(this.span / 2 ** shift) + 1 > Math.max(1, count)) shift++;
    this.shift = shift;
    const buckets = Math.floor(this.span / 2 ** shift) + 1;
    const start = new Int32Array(buckets + 1);
    countBuckets(addresses, count, min, shift, start);
    runningSum(start);
    this.sorted = new Uint32Array(count);
    this.order = new Int32Array(count);
    // start[b] serves as bucket b's fill cursor, which leaves it at bucket b + 1's start...
    fillBuckets(addresses, count, min, shift, start, this.sorted, this.order);
    // ...so shift the starts back by one bucket.
    start.copyWithin(1, 0, buckets);
    start[0] = 0;
    this.start = start;
    for (let b = crowdedBucket(start, 0); b !== -1; b = crowdedBucket(start, b + 1)) this.sortBucket(start[b]!, start[b + 1]!);
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

function lowest(addresses: Uint32Array, count: number): number {
  let min = 0xffffffff;
  for (let i = 0; i < count; i++) if (addresses[i]! < min) min = addresses[i]!;
  return min;
}

function highest(addresses: Uint32Array, count: number): number {
  let max = 0;
  for (let i = 0; i < count; i++) if (addresses[i]! > max) max = addresses[i]!;
  return max;
}

/** start[b + 1] = how many addresses fall in bucket b. */
function countBuckets(addresses: Uint32Array, count: number, min: number, shift: number, start: Int32Array): void {
  for (let i = 0; i < count; i++) start[((addresses[i]! - min) >>> shift) + 1]! += 1;
}

/** Counts summed in place: start[b] = where bucket b starts. */
function runningSum(start: Int32Array): void {
  for (let b = 1; b < start.length; b++) start[b]! += start[b - 1]!;
}

function fillBuckets(addresses: Uint32Array, count: number, min: number, shift: number, cursor: Int32Array, sorted: Uint32Array, order: Int32Array): void {
  for (let i = 0; i < count; i++) {
    const address = addresses[i]!;
    const position = cursor[(address - min) >>> shift]!++;
    sorted[position] = address;
    order[position] = i;
  }
}

/** The first bucket from `from` on holding more than SCAN_LIMIT nodes, or -1. */
function crowdedBucket(start: Int32Array, from: number): number {
  for (let b = from; b < start.length - 1; b++) if (start[b + 1]! - start[b]! > SCAN_LIMIT) return b;
  return -1;
}
