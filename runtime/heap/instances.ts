/**
 * Instances of a class without building a graph: one walk of gc_obj_list that reads each
 * object's shape->proto and compares prototype chains against the class's prototype.
 * Chains are memoised per prototype, so the walk costs about what QuickJS's own GC list
 * walk costs.
 */
import { FUNCTION_CLASSES, GC_HEADER, GcType, LIST, OBJECT, RUNTIME, PROP_TYPE_MASK, PROPERTY_SIZE, SHAPE, SHAPE_PROP, TAG, type HeapTarget } from "./layout.js";
import { HeapReadError, VmMemory } from "./memory.js";

/** What a prototype-chain walk may take at most: deeper means a corrupt heap. */
const MAX_CHAIN = 100_000;
/** Class id -> 1 for the function classes (a table: one lookup per object in the walk). */
const IS_FUNCTION_CLASS = new Uint8Array(1 << 16);
for (const id of FUNCTION_CLASSES) IS_FUNCTION_CLASS[id] = 1;

export interface FoundInstances {
  /** Addresses of the instances (JSObject*), in gc_obj_list order. */
  addresses: Uint32Array;
  /** 1 where the instance is callable (a function object, e.g. of a class extending Function). */
  callable: Uint8Array;
}

/**
 * Every object whose prototype chain includes the object at `prototypeAddress`, except
 * prototypes: objects that are some live function's `prototype` (a class's, a superclass
 * version's, any function's) are not instances. Read the heap right after a full GC so that
 * only live objects are seen.
 *
 * With `takeReferences`, each instance's ref_count is raised by one as it is found (its
 * header is in the cache then; raising them all later costs a cache miss each): the caller
 * owns those references and hands them to holdObjects, or gives them back with
 * dropReferences. If the walk fails, it gives them back itself.
 */
export function findInstances(target: HeapTarget, prototypeAddress: number, takeReferences = false): FoundInstances {
  const memory = new VmMemory(target.module.HEAPU8, target.rtPointer);
  const { words, signedWords, halfWords, bytes } = memory;
  const prototypeAtom = memory.findAtom("prototype");
  const limit = bytes.length - OBJECT.size;

  /** Prototype address -> whether prototypeAddress is on its chain (itself included). */
  const inherits = new Map<number, boolean>([[0, false]]);
  /** Shape address -> index of its "prototype" property, or -1 (functions' shapes only). */
  const prototypeSlot = new Map<number, number>();
  const prototypes = new Set<number>();

  const shapeOf = (object: number): number => {
    if (object <= 0 || object > limit || (object & 3) !== 0) throw new HeapReadError(object, "object");
    const shape = words[(object + OBJECT.shape) >>> 2]!;
    if (shape <= 0 || shape + SHAPE.props > bytes.length || (shape & 3) !== 0) throw new HeapReadError(object, "object shape");
    return shape;
  };
  const chainIncludes = (proto: number): boolean => {
    const known = inherits.get(proto);
    if (known !== undefined) return known;
    const walked: number[] = [];
    let verdict = false;
    for (let current = proto; ; ) {
      const seen = inherits.get(current);
      if (seen !== undefined) {
        verdict = seen;
        break;
      }
      if (current === prototypeAddress) {
        verdict = true;
        break;
      }
      walked.push(current);
      if (walked.length > MAX_CHAIN) throw new HeapReadError(proto, "prototype chain");
      current = words[(shapeOf(current) + SHAPE.proto) >>> 2]!;
    }
    for (const address of walked) inherits.set(address, verdict);
    return verdict;
  };
  /** The object a function's own "prototype" data property holds, or 0. */
  const ownPrototype = (fn: number, shape: number): number => {
    let slot = prototypeSlot.get(shape);
    if (slot === undefined) {
      slot = -1;
      const count = memory.i32(shape + SHAPE.propCount, "shape prop_count");
      for (let i = 0; i < count; i++) {
        const entry = shape + SHAPE.props + i * SHAPE.propStride;
        if (memory.word(entry + SHAPE_PROP.atom, "shape property") !== prototypeAtom) continue;
        // A normal data property; an unused function's prototype is still AUTOINIT (no object yet).
        if (((memory.word(entry + SHAPE_PROP.flagsWord) >>> SHAPE_PROP.flagsShift) & PROP_TYPE_MASK) === 0) slot = i;
        break;
      }
      prototypeSlot.set(shape, slot);
    }
    if (slot < 0) return 0;
    const value = memory.word(fn + OBJECT.prop, "object properties") + slot * PROPERTY_SIZE;
    return memory.i32(value + 4, "property") === TAG.object ? memory.word(value, "property") : 0;
  };

  // One inlined loop over gc_obj_list (this is the hot path); objects of a few prototypes
  // alternate in the list (an Item, its tags array, the next Item, ...): two memo slots.
  const head = memory.runtimePointer + RUNTIME.gcObjList;
  memory.word(head + LIST.next, "gc_obj_list");
  const cap = (bytes.length >>> 4) + 1;
  let count = 0;
  let protoA = -1;
  let verdictA = false;
  let protoB = -1;
  let verdictB = false;
  let found = new Uint32Array(1024);
  let foundCount = 0;
  const callableFound = new Set<number>();
  const foundPrototypes = new Set<number>();
  try {
    for (let link = words[(head + LIST.next) >>> 2]!; link !== head; link = words[(link + LIST.next) >>> 2]!) {
      const address = link - GC_HEADER.link;
      if (address <= 0 || address > limit || (link & 3) !== 0 || ++count > cap) throw new HeapReadError(link, "gc_obj_list link");
      if ((bytes[address + GC_HEADER.typeByte]! & 0x0f) !== GcType.Object) continue;
      const shape = words[(address + OBJECT.shape) >>> 2]!;
      if (shape <= 0 || shape + SHAPE.props > bytes.length || (shape & 3) !== 0) throw new HeapReadError(address, "object shape");
      const isFunction = IS_FUNCTION_CLASS[halfWords[(address + OBJECT.classId) >>> 1]!] === 1;
      if (isFunction && prototypeAtom !== 0) {
        const prototype = ownPrototype(address, shape);
        if (prototype !== 0) prototypes.add(prototype);
      }
      const proto = words[(shape + SHAPE.proto) >>> 2]!;
      let verdict: boolean;
      if (proto === protoA) verdict = verdictA;
      else if (proto === protoB) verdict = verdictB;
      else {
        verdict = chainIncludes(proto);
        protoB = protoA;
        verdictB = verdictA;
        protoA = proto;
        verdictA = verdict;
      }
      if (!verdict || address === prototypeAddress) continue;
      if (foundCount === found.length) {
        const grown = new Uint32Array(found.length * 2);
        grown.set(found);
        found = grown;
      }
      found[foundCount++] = address;
      if (takeReferences) signedWords[(address + GC_HEADER.refCount) >>> 2]! += 1;
      if (isFunction) callableFound.add(address);
    }

    // The prototypes the walk took for instances (a subclass's prototype, when looking for a
    // base class's instances): usually none, and then no found address needs a lookup.
    for (const prototype of prototypes) {
      if (prototype !== prototypeAddress && chainIncludes(words[(shapeOf(prototype) + SHAPE.proto) >>> 2]!)) foundPrototypes.add(prototype);
    }
  } catch (error) {
    if (takeReferences) dropReferences(memory, found.subarray(0, foundCount));
    throw error;
  }
  const addresses = new Uint32Array(foundCount);
  const callable = new Uint8Array(foundCount);
  let kept = 0;
  for (let i = 0; i < foundCount; i++) {
    const address = found[i]!;
    if (foundPrototypes.size > 0 && foundPrototypes.has(address)) {
      if (takeReferences) signedWords[(address + GC_HEADER.refCount) >>> 2]! -= 1;
      continue;
    }
    callable[kept] = callableFound.size > 0 && callableFound.has(address) ? 1 : 0;
    addresses[kept++] = address;
  }
  return { addresses: addresses.subarray(0, kept), callable: callable.subarray(0, kept) };
}

/**
 * Gives back references findInstances took (`takeReferences`) and nobody holds: each
 * ref_count goes down by one. The objects were live before it raised them, with holders of
 * their own, so none drops to 0 here (that would need QuickJS to free the object).
 */
export function dropReferences(memory: VmMemory, addresses: ArrayLike<number>): void {
  const { signedWords } = memory;
  for (let i = 0; i < addresses.length; i++) signedWords[(addresses[i]! + GC_HEADER.refCount) >>> 2]! -= 1;
}
