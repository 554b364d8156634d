/**
 * Where the reader puts nodes and edges while it walks the heap, before it knows how many
 * there are: flat typed arrays that double when full, cut to size at the end. (Monomorphic
 * classes: these are written once or more per VM object.)
 */

/** Per-node columns, one row per GC object in gc_obj_list order. */
export class NodeSink {
  count = 0;
  address: Uint32Array;
  gcType: Uint8Array;
  /** JS_CLASS_* id for objects, 0 otherwise. */
  classId: Uint16Array;
  refCount: Int32Array;
  selfSize: Float64Array;
  /** String ids (0: none). */
  name: Int32Array;
  file: Int32Array;
  location: Int32Array;
  opaque: Uint8Array;
  /** Node i's edges start at outStart[i] (one more entry than rows). */
  outStart: Int32Array;
  /** Objects: 1 + the decoder's slot of their shape (its prototype names them), 0 if unread. */
  shape: Int32Array;

  constructor(capacity: number) {
    const size = Math.max(1024, capacity);
    this.address = new Uint32Array(size);
    this.gcType = new Uint8Array(size);
    this.classId = new Uint16Array(size);
    this.refCount = new Int32Array(size);
    this.selfSize = new Float64Array(size);
    this.name = new Int32Array(size);
    this.file = new Int32Array(size);
    this.location = new Int32Array(size);
    this.opaque = new Uint8Array(size);
    this.outStart = new Int32Array(size + 1);
    this.shape = new Int32Array(size);
  }

  /** A new row; returns its index. */
  add(address: number, gcType: number, classId: number, refCount: number, firstEdge: number): number {
    const at = this.count;
    if (at === this.address.length) this.grow();
    this.address[at] = address;
    this.gcType[at] = gcType;
    this.classId[at] = classId;
    this.refCount[at] = refCount;
    this.outStart[at] = firstEdge;
    this.count = at + 1;
    return at;
  }

  /**
   * The columns cut to the row count; outStart gets its closing entry. Copies when more than
   * an eighth would be spare (the spare capacity goes back), views of the same memory otherwise.
   */
  finish(edgeCount: number): Omit<NodeSink, "add" | "finish"> {
    const count = this.count;
    this.outStart[count] = edgeCount;
    const copy = this.address.length - count > count >>> 3;
    return {
      count,
      address: cut(this.address, count, copy),
      gcType: cut(this.gcType, count, copy),
      classId: cut(this.classId, count, copy),
      refCount: cut(this.refCount, count, copy),
      selfSize: cut(this.selfSize, count, copy),
      name: cut(this.name, count, copy),
      file: cut(this.file, count, copy),
      location: cut(this.location, count, copy),
      opaque: cut(this.opaque, count, copy),
      outStart: cut(this.outStart, count + 1, copy),
      shape: cut(this.shape, count, copy),
    };
  }

  private grow(): void {
    const size = this.address.length * 2;
    this.address = grown(this.address, new Uint32Array(size));
    this.gcType = grown(this.gcType, new Uint8Array(size));
    this.classId = grown(this.classId, new Uint16Array(size));
    this.refCount = grown(this.refCount, new Int32Array(size));
    this.selfSize = grown(this.selfSize, new Float64Array(size));
    this.name = grown(this.name, new Int32Array(size));
    this.file = grown(this.file, new Int32Array(size));
    this.location = grown(this.location, new Int32Array(size));
    this.opaque = grown(this.opaque, new Uint8Array(size));
    this.outStart = grown(this.outStart, new Int32Array(size + 1));
    this.shape = grown(this.shape, new Int32Array(size));
  }
}

/**
 * Edges in three parallel columns. While the heap is walked `to` holds the target's address
 * (nodes further down the list are not known yet); the reader then turns it into node indices.
 */
export class EdgeSink {
  to: Uint32Array;
  type: Uint8Array;
  name: Int32Array;
  length = 0;

  /** `expected`: a first guess of the edge count. */
  constructor(expected: number) {
    const size = Math.max(1024, expected);
    this.to = new Uint32Array(size);
    this.type = new Uint8Array(size);
    this.name = new Int32Array(size);
  }

  push(to: number, type: number, name: number): void {
    const at = this.length;
    if (at === this.to.length) this.grow();
    this.to[at] = to;
    this.type[at] = type;
    this.name[at] = name;
    this.length = at + 1;
  }

  private grow(): void {
    const size = this.to.length * 2;
    this.to = grown(this.to, new Uint32Array(size));
    this.type = grown(this.type, new Uint8Array(size));
    this.name = grown(this.name, new Int32Array(size));
  }
}

/** The first `length` elements: a copy, or a view of the same memory. */
export function cut<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(array: T, length: number, copy: boolean): T {
  return (copy ? array.slice(0, length) : array.subarray(0, length)) as T;
}

function grown<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(from: T, to: T): T {
  (to as Uint8Array).set(from as Uint8Array);
  return to;
}

/** References from a few nodes to addresses (e.g. each prototype's own `constructor`), in node order, before the addresses are resolved. */
export class NodeRefs {
  length = 0;
  node = new Int32Array(1024);
  address = new Uint32Array(1024);

  push(node: number, address: number): void {
    const at = this.length;
    if (at === this.node.length) {
      const node = new Int32Array(at * 2);
      node.set(this.node);
      this.node = node;
      const address = new Uint32Array(at * 2);
      address.set(this.address);
      this.address = address;
    }
    this.node[at] = node;
    this.address[at] = address;
    this.length = at + 1;
  }
}
