/**
 * The intrinsics graft's in-VM code calls, captured when the kernel's context is made,
 * before any script runs. Scripts can reach that realm (host functions, hot.data and
 * namespace getters are made there), so graft never calls a function it looks up at run
 * time on a shared global or prototype: a script that replaces Map.prototype.get or
 * Reflect.construct there changes nothing graft does.
 *
 * Evaluated as a script ahead of the kernel (runtime/kernel/kernel.ts): every binding here
 * is a global `const` of the kernel's realm, so nothing can rebind it, and the collections
 * are frozen. Their methods are own copies of the originals, on prototype chains that end
 * in null, so no method, iterator step or species a script installs is ever looked up.
 * (An accessor a script installs on a shared prototype is beyond what capturing can do;
 * that needs the realm frozen.)
 */
"use strict";

/** @typedef {string | symbol} Key */

const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);
const { assign, create, defineProperty, freeze, getPrototypeOf, hasOwn, setPrototypeOf, is: sameValue } = Object;
const { getOwnPropertyDescriptor: intrinsicDescriptor, getOwnPropertyDescriptors: intrinsicDescriptors, keys: intrinsicKeys } = Object;
const { apply, construct: reflectConstruct, ownKeys: intrinsicOwnKeys, defineProperty: reflectDefineProperty, preventExtensions } = Reflect;
const IntrinsicProxy = Proxy;
const { isArray } = Array;
const { stringify, parse: parseJson } = JSON;
const { max } = Math;
/** @type {(fn: Function) => string} */
const functionToString = uncurryThis(Function.prototype.toString);
/** @type {(prototype: object, value: unknown) => boolean} */
const objectIsPrototypeOf = uncurryThis(Object.prototype.isPrototypeOf);
/** @type {(symbol: symbol) => string | undefined} */
const symbolDescription = uncurryThis(/** @type {() => string | undefined} */ (intrinsicDescriptor(Symbol.prototype, "description")?.get));
/** @type {(symbol: symbol) => string} */
const symbolToString = uncurryThis(Symbol.prototype.toString);
/** @type {<T extends WeakKey>(ref: WeakRef<T>) => T | undefined} */
const weakRefDeref = uncurryThis(WeakRef.prototype.deref);
/** @type {(constructor: PromiseConstructor, reason: unknown) => Promise<never>} */
const promiseReject = uncurryThis(Promise.reject);
/** @type {(text: string, start?: number, end?: number) => string} */
const stringSlice = uncurryThis(String.prototype.slice);
/** @type {(text: string, index: number) => number} */
const stringCharCodeAt = uncurryThis(String.prototype.charCodeAt);
const toStringTag = Symbol.toStringTag;
const FUNCTION_PROTOTYPE = Function.prototype;

/** Steps through an intrinsic iterator with its `next` as captured. */
const SafeIterator = class SafeIterator {
  #inner;
  #next;
  /**
   * @param {Iterator<unknown>} inner
   * @param {Function} next
   */
  constructor(inner, next) {
    this.#inner = inner;
    this.#next = next;
  }
  next() {
    return apply(this.#next, this.#inner, []);
  }
  [Symbol.iterator]() {
    return this;
  }
};
setPrototypeOf(SafeIterator.prototype, null);
freeze(SafeIterator.prototype);
freeze(SafeIterator);

/**
 * Gives Safe's prototype an own copy of every method of Base's (the iterating ones wrapped
 * in SafeIterator) and ends its chain there; then freezes both.
 * @param {Function} Safe
 * @param {Function} Base
 * @param {Function | undefined} next the intrinsic iterator's next, for Base's iterators
 */
const ownMethods = (Safe, Base, next) => {
  const iterating = [Symbol.iterator, "keys", "values", "entries"];
  const keys = intrinsicOwnKeys(Base.prototype);
  for (let i = 0; i < keys.length; i++) {
    const key = /** @type {Key} */ (keys[i]);
    if (key === "constructor") continue;
    const descriptor = /** @type {PropertyDescriptor} */ (intrinsicDescriptor(Base.prototype, key));
    const method = descriptor.value;
    if (typeof method === "function" && next !== undefined && iterating.includes(key)) {
      descriptor.value = function () { return new SafeIterator(apply(method, this, []), next); };
    }
    defineProperty(Safe.prototype, key, descriptor);
  }
  setPrototypeOf(Safe.prototype, null);
  freeze(Safe.prototype);
  freeze(Safe);
};

/** @param {Iterator<unknown>} iterator @returns {Function} its next, as captured now */
const nextOf = (iterator) => getPrototypeOf(iterator).next;

/** @type {new <K, V>() => Map<K, V>} */
const SafeMap = class SafeMap extends Map {
  constructor() {
    super();
  }
};
ownMethods(SafeMap, Map, nextOf(new Map().values()));

/** @type {new <T>(items?: Set<T> | T[]) => Set<T>} */
const SafeSet = class SafeSet extends /** @type {new () => Set<any>} */ (Set) {
  /** @param {Set<unknown> | unknown[]} [items] a SafeSet or SafeArray (their own forEach: no iterator is made) */
  constructor(items) {
    super();
    if (items !== undefined) items.forEach((item) => { this.add(item); });
  }
};
ownMethods(SafeSet, Set, nextOf(new Set().values()));

/** @type {new <K extends WeakKey, V>() => WeakMap<K, V>} */
const SafeWeakMap = class SafeWeakMap extends /** @type {new () => WeakMap<any, any>} */ (WeakMap) {
  constructor() {
    super();
  }
};
ownMethods(SafeWeakMap, WeakMap, undefined);

/** @type {new <T>() => T[]} */
const SafeArray = class SafeArray extends Array {
  constructor() {
    super();
  }
};
// filter, map and slice build their results with the species: keep it SafeArray.
defineProperty(SafeArray, Symbol.species, { value: SafeArray });
ownMethods(SafeArray, Array, nextOf([].values()));

/**
 * A SafeArray of the items of an array-like, read by index.
 * @template T
 * @param {ArrayLike<T>} arrayLike
 * @returns {T[]}
 */
const safeArrayOf = (arrayLike) => {
  /** @type {T[]} */
  const result = new SafeArray();
  for (let i = 0; i < arrayLike.length; i++) result.push(/** @type {T} */ (arrayLike[i]));
  return result;
};

/**
 * A SafeArray of what a SafeMap's, SafeSet's or SafeArray's iterator gives.
 * @template T
 * @param {Iterable<T>} iterable
 * @returns {T[]}
 */
const safeArrayFrom = (iterable) => {
  /** @type {T[]} */
  const result = new SafeArray();
  for (const item of iterable) result.push(item);
  return result;
};

/**
 * @template {unknown[]} T
 * @param {T} items
 * @returns {T}
 */
const list = (...items) => /** @type {T} */ (safeArrayOf(items));

/** @param {object} target */
const objectKeys = (target) => safeArrayOf(intrinsicKeys(target));

/** @param {object} target @returns {Key[]} */
const ownKeys = (target) => safeArrayOf(intrinsicOwnKeys(target));

/**
 * The object, without a prototype: no inherited `get`, `value` or `toJSON` changes what it
 * says (for descriptors, lookup tables, and reports turned into JSON).
 * @template {object} T
 * @param {T} fields
 * @returns {T}
 */
const bare = (fields) => setPrototypeOf(fields, null);

/**
 * A property descriptor without a prototype.
 * @param {object} target
 * @param {Key} key
 */
const ownDescriptor = (target, key) => {
  const descriptor = intrinsicDescriptor(target, key);
  return descriptor === undefined ? undefined : bare(descriptor);
};

/**
 * Every own property's descriptor, in the target's own key order, as one native call makes
 * them: the table has no prototype; each descriptor is a plain object of the kernel's realm,
 * whose prototypes are frozen before any script runs (values.js lockDownRealm), so nothing
 * inherited adds a `get` or `value` to it. For grafting, which reads ~90 descriptors a
 * reload: taking each one's prototype away (ownDescriptors) costs as much again as the call.
 * @param {object} target
 * @returns {{ [key: Key]: PropertyDescriptor }}
 */
const descriptorTable = (target) => setPrototypeOf(intrinsicDescriptors(target), null);

/**
 * Every own property's descriptor, in the target's own key order (one native call: a
 * loop of getOwnPropertyDescriptor calls costs ~3x in the VM, and grafting a class reads
 * its members this way on every reload).
 * @param {object} target
 * @returns {{ [key: Key]: PropertyDescriptor }} without prototypes
 */
const ownDescriptors = (target) => {
  /** @type {{ [key: Key]: PropertyDescriptor }} */
  const descriptors = setPrototypeOf(intrinsicDescriptors(target), null);
  const keys = intrinsicOwnKeys(descriptors);
  for (let i = 0; i < keys.length; i++) setPrototypeOf(descriptors[/** @type {Key} */ (keys[i])], null);
  return descriptors;
};
