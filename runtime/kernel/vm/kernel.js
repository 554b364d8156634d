/**
 * The part of graft that runs inside the VM, in a context of its own. It owns the
 * canonical classes (one per top-level class of a script, for the life of the runtime),
 * grafts each new version's members onto them, and keeps a journal so that a failed
 * reload can be undone completely (R3, R12).
 *
 * It is plain JavaScript evaluated by QuickJS; the host drives it through
 * runtime/kernel/kernel.ts. It holds nothing of a superseded version (R11): namespaces
 * point at the newest getters, canonical classes at the newest constructor, retired
 * classes only through WeakRefs.
 */
(function () {
"use strict";

// Intrinsics. Scripts can reach this realm (functions made here are handed to them), so the
// kernel never calls anything it looks up at run time on a shared global or prototype: the
// functions it calls are captured here, before any script runs; its collections carry own
// copies of their methods on prototype chains that end in null; the descriptors, tables and
// reports it builds have no prototype. A script that replaces Map.prototype.get or
// Reflect.construct in this realm changes nothing the kernel does. (An accessor a script
// installs on a shared prototype is out of reach of this: that needs the realm frozen.)
const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);
const { assign, create, defineProperty, freeze, getPrototypeOf, hasOwn, setPrototypeOf } = Object;
const { getOwnPropertyDescriptor: intrinsicDescriptor, keys: intrinsicKeys } = Object;
const { apply, construct: reflectConstruct, ownKeys: intrinsicOwnKeys } = Reflect;
const { isArray } = Array;
const { stringify } = JSON;
const { Error, TypeError, ReferenceError, SyntaxError, Map, Set, WeakMap, WeakRef, Promise } = globalThis;
const functionToString = uncurryThis(Function.prototype.toString);
const objectIsPrototypeOf = uncurryThis(Object.prototype.isPrototypeOf);
const symbolDescription = uncurryThis(intrinsicDescriptor(Symbol.prototype, "description").get);
const weakRefDeref = uncurryThis(WeakRef.prototype.deref);
const promiseReject = uncurryThis(Promise.reject);
const stringSlice = uncurryThis(String.prototype.slice);
const stringIndexOf = uncurryThis(String.prototype.indexOf);
const stringLastIndexOf = uncurryThis(String.prototype.lastIndexOf);
const stringCharCodeAt = uncurryThis(String.prototype.charCodeAt);
const symbolToString = uncurryThis(Symbol.prototype.toString);
const { is: sameValue } = Object;
const { max } = Math;
const toStringTag = Symbol.toStringTag;
const FUNCTION_PROTOTYPE = Function.prototype;

/** Steps through an intrinsic iterator with its `next` as captured. */
class SafeIterator {
  #inner;
  #next;
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
}

const ITERATING = [Symbol.iterator, "keys", "values", "entries"];

/**
 * Gives Safe's prototype an own copy of every method of Base's (the iterating ones wrapped
 * in SafeIterator) and ends its chain there; then freezes both.
 */
function ownMethods(Safe, Base, next) {
  const keys = intrinsicOwnKeys(Base.prototype);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === "constructor") continue;
    const descriptor = intrinsicDescriptor(Base.prototype, key);
    const method = descriptor.value;
    if (typeof method === "function" && next !== undefined && ITERATING.includes(key)) {
      descriptor.value = function () { return new SafeIterator(apply(method, this, []), next); };
    }
    defineProperty(Safe.prototype, key, descriptor);
  }
  setPrototypeOf(Safe.prototype, null);
  freeze(Safe.prototype);
  freeze(Safe);
}

/** The next of an intrinsic iterator, as captured now. */
function nextOf(iterator) {
  return getPrototypeOf(iterator).next;
}

class SafeMap extends Map {
  constructor() {
    super();
  }
}
ownMethods(SafeMap, Map, nextOf(new Map().values()));

class SafeSet extends Set {
  /** @param {Iterable<unknown>} [items] a SafeSet or SafeArray */
  constructor(items) {
    super();
    if (items !== undefined) for (const item of items) this.add(item);
  }
}
ownMethods(SafeSet, Set, nextOf(new Set().values()));

// (One constructor signature for the checker: WeakMap's are overloaded.)
class SafeWeakMap extends /** @type {new () => WeakMap<object, any>} */ (WeakMap) {
  constructor() {
    super();
  }
}
ownMethods(SafeWeakMap, WeakMap, undefined);

class SafeArray extends Array {
  constructor() {
    super();
  }
}
// filter, map and slice build their results with the species: keep it SafeArray.
defineProperty(SafeArray, Symbol.species, { value: SafeArray });
ownMethods(SafeArray, Array, nextOf([].values()));

/** A SafeArray of the items of an array-like, read by index. */
function safeArrayOf(arrayLike) {
  const result = new SafeArray();
  for (let i = 0; i < arrayLike.length; i++) result.push(arrayLike[i]);
  return result;
}

/** A SafeArray of the items of a SafeMap's or SafeSet's iterator. */
function safeArrayFrom(iterator) {
  const result = new SafeArray();
  for (const item of iterator) result.push(item);
  return result;
}

function list(...items) {
  return safeArrayOf(items);
}

function objectKeys(target) {
  return safeArrayOf(intrinsicKeys(target));
}

function ownKeys(target) {
  return safeArrayOf(intrinsicOwnKeys(target));
}

/**
 * The fields of a property descriptor, without a prototype: no inherited `get` or `value`
 * changes what it says.
 * @param {PropertyDescriptor} fields
 * @returns {PropertyDescriptor}
 */
function bare(fields) {
  return setPrototypeOf(fields, null);
}

/** A property descriptor without a prototype: no inherited `get` or `value` changes it. */
function ownDescriptor(target, key) {
  const descriptor = intrinsicDescriptor(target, key);
  if (descriptor !== undefined) setPrototypeOf(descriptor, null);
  return descriptor;
}

function ownDescriptors(target) {
  const descriptors = create(null);
  const keys = ownKeys(target);
  for (let i = 0; i < keys.length; i++) descriptors[keys[i]] = ownDescriptor(target, keys[i]);
  return descriptors;
}
const files = new SafeMap();
const classMeta = new SafeWeakMap();
let retiredRefs = new SafeArray();
/** Earlier versions' classes, weakly: alive after a full GC means user code holds them. */
let supersededRefs = new SafeArray();
let txn = null;

const SKIP_PROTO = new SafeSet(list("constructor"));
const SKIP_STATIC = new SafeSet(list("prototype", "length", "name"));

function fileRecord(file) {
  let record = files.get(file);
  if (record === undefined) {
    const namespace = create(null);
    defineProperty(namespace, toStringTag, bare({ value: "Module" }));
    record = { file, namespace, classes: new SafeMap(), classOrder: new SafeArray(), hotData: {}, disposers: new SafeArray(), loaded: false, exportKeys: new SafeArray(), evaluator: null };
    files.set(file, record);
  }
  return record;
}

function journal(undo) {
  if (txn === null) throw new Error("graft kernel: no reload transaction is open");
  txn.undo.push(undo);
}

function keyLabel(key) {
  return typeof key === "symbol" ? "[" + (symbolDescription(key) ?? "symbol") + "]" : key;
}

function describe(descriptor) {
  if (descriptor.get || descriptor.set) {
    return "accessor:" + (descriptor.get ? functionToString(descriptor.get) : "") + "|" + (descriptor.set ? functionToString(descriptor.set) : "");
  }
  const value = descriptor.value;
  if (typeof value === "function") return "function:" + functionToString(value);
  try { return "data:" + stringify(value); } catch { return "data:?"; }
}

function setNamespace(record, getters) {
  const namespace = record.namespace;
  const saved = record.exportKeys.map((key) => ({ __proto__: null, key, descriptor: ownDescriptor(namespace, key) }));
  const savedKeys = record.exportKeys;
  journal(() => {
    for (const key of objectKeys(namespace)) delete namespace[key];
    for (const { key, descriptor } of saved) if (descriptor) defineProperty(namespace, key, descriptor);
    record.exportKeys = savedKeys;
  });
  for (const key of objectKeys(namespace)) if (!hasOwn(getters, key)) delete namespace[key];
  for (const key of objectKeys(getters)) {
    defineProperty(namespace, key, bare({ get: getters[key], enumerable: true, configurable: true }));
  }
  record.exportKeys = objectKeys(getters);
}

function makeCanonical(file, name) {
  const cell = { impl: null };
  const canonical = class {
    constructor(...args) {
      const impl = cell.impl;
      if (impl === null) throw new ReferenceError("class " + name + " (" + file + ") is used before its definition has finished evaluating");
      return reflectConstruct(impl, args, new.target);
    }
  };
  defineProperty(canonical, "name", bare({ value: name, configurable: true }));
  classMeta.set(canonical, { file, name, cell, version: 0, retired: false, protoKeys: new SafeSet(), staticKeys: new SafeSet() });
  return canonical;
}

function snapshotClass(canonical, meta) {
  return {
    parent: getPrototypeOf(canonical),
    protoParent: getPrototypeOf(canonical.prototype),
    protoDescriptors: ownDescriptors(canonical.prototype),
    staticDescriptors: ownDescriptors(canonical),
    impl: meta.cell.impl,
    version: meta.version,
    protoKeys: new SafeSet(meta.protoKeys),
    staticKeys: new SafeSet(meta.staticKeys),
  };
}

function restoreOwnProperties(target, descriptors, skip) {
  for (const key of ownKeys(target)) {
    if (skip.has(key)) continue;
    if (!hasOwn(descriptors, key)) delete target[key];
  }
  for (const key of ownKeys(descriptors)) {
    if (skip.has(key)) continue;
    defineProperty(target, key, descriptors[key]);
  }
}

function restoreClass(canonical, meta, saved) {
  setPrototypeOf(canonical, saved.parent);
  setPrototypeOf(canonical.prototype, saved.protoParent);
  restoreOwnProperties(canonical.prototype, saved.protoDescriptors, new SafeSet());
  restoreOwnProperties(canonical, saved.staticDescriptors, new SafeSet(list("prototype")));
  meta.cell.impl = saved.impl;
  meta.version = saved.version;
  meta.protoKeys = saved.protoKeys;
  meta.staticKeys = saved.staticKeys;
}

/**
 * Makes target's own members those of source (skipping `skip`), removes the keys of `owned`
 * that source no longer has, and reports the differences against `before` (the
 * descriptors target had when the transaction began). Returns the keys now owned.
 */
function graftMembers(target, source, owned, skip, report, before) {
  const defined = new SafeSet();
  for (const key of ownKeys(source)) {
    if (skip.has(key)) continue;
    defined.add(key);
    const descriptor = ownDescriptor(source, key);
    const previous = hasOwn(before, key) ? before[key] : undefined;
    if (previous === undefined) report.added.push(keyLabel(key));
    else if (describe(previous) !== describe(descriptor) || previous.enumerable !== descriptor.enumerable) report.changed.push(keyLabel(key));
    descriptor.configurable = true;
    defineProperty(target, key, descriptor);
  }
  for (const key of owned) {
    if (!defined.has(key)) {
      delete target[key];
      report.removed.push(keyLabel(key));
    }
  }
  return defined;
}

function className(value) {
  if (value === null || value === undefined) return null;
  const meta = classMeta.get(value);
  if (meta) return meta.name;
  return typeof value.name === "string" && value.name !== "" ? value.name : null;
}

/**
 * Phase 1 of grafting a version: the inheritance chain, prototype members, static
 * functions and the constructor. Runs from a static block at the top of the class body,
 * so that the class's own static initialisers can already use it (R8).
 */
function linkClass(canonical, meta, impl) {
  if (typeof impl !== "function" || impl.prototype === undefined) throw new TypeError("graft: " + meta.name + " is not a class");
  const saved = snapshotClass(canonical, meta);
  journal(() => restoreClass(canonical, meta, saved));
  const patch = {
    __proto__: null,
    file: meta.file, name: meta.name, version: meta.version + 1, created: meta.version === 0,
    prototype: { __proto__: null, added: new SafeArray(), changed: new SafeArray(), removed: new SafeArray() },
    static: { __proto__: null, added: new SafeArray(), changed: new SafeArray(), removed: new SafeArray() },
  };
  const parent = getPrototypeOf(impl);
  const oldParent = getPrototypeOf(canonical);
  if (parent !== oldParent) {
    const newBase = classMeta.has(parent) || parent !== FUNCTION_PROTOTYPE ? className(parent) : null;
    const oldBase = classMeta.has(oldParent) || oldParent !== FUNCTION_PROTOTYPE ? className(oldParent) : null;
    if (meta.version > 0 && newBase !== oldBase) patch.newBase = newBase ?? "(none)";
  }
  setPrototypeOf(canonical.prototype, getPrototypeOf(impl.prototype));
  meta.protoKeys = graftMembers(canonical.prototype, impl.prototype, meta.protoKeys, SKIP_PROTO, patch.prototype, saved.protoDescriptors);
  // Until finishClass, statics are read through the new version: its initialisers are
  // still defining them on impl, and may read the ones defined before (R8).
  for (const key of meta.staticKeys) delete canonical[key];
  setPrototypeOf(canonical, impl);
  // QuickJS names stack frames after a function's "name" property.
  defineProperty(impl, "name", bare({ value: meta.name, configurable: true }));
  if (meta.cell.impl !== null) {
    const superseded = { ref: new WeakRef(meta.cell.impl), file: meta.file, name: meta.name, version: meta.version };
    supersededRefs.push(superseded);
    journal(() => { supersededRefs = supersededRefs.filter((entry) => entry !== superseded); });
  }
  meta.cell.impl = impl;
  meta.version += 1;
  return { impl, patch, saved };
}

/** Phase 2, once the class definition has finished: all static members, with removals. */
function finishClass(canonical, meta, linked) {
  setPrototypeOf(canonical, getPrototypeOf(linked.impl));
  meta.staticKeys = graftMembers(canonical, linked.impl, meta.staticKeys, SKIP_STATIC, linked.patch.static, linked.saved.staticDescriptors);
  return linked.patch;
}

function begin() {
  if (txn !== null) throw new Error("graft kernel: a reload transaction is already open");
  txn = { undo: new SafeArray(), pending: new SafeMap(), removed: new SafeArray() };
}

/** Runs a change that is never undone (declarations, the host module) outside a reload. */
function withTransaction(change) {
  txn = { undo: new SafeArray(), pending: new SafeMap(), removed: new SafeArray() };
  try { change(); } finally { txn = null; }
}

function rollback() {
  if (txn === null) return;
  const undo = txn.undo;
  txn = null;
  for (let i = undo.length - 1; i >= 0; i--) undo[i]();
}

function declareExports(file, names, explanation) {
  const record = fileRecord(file);
  if (record.loaded) return;
  if (txn === null) return withTransaction(() => declareExports(file, names, explanation));
  const getters = create(null);
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    getters[name] = () => { throw new ReferenceError("'" + name + "' of " + file + " is not initialised yet: " + explanation); };
  }
  setNamespace(record, getters);
}

function runModule(file, version, moduleFunction, dependencies) {
  if (txn === null) throw new Error("graft kernel: no reload transaction is open");
  const record = fileRecord(file);
  const pending = { file, version, defined: new SafeSet(), order: new SafeArray(), disposers: new SafeArray(), patches: new SafeArray(), evaluator: null };
  /** Classes between phase 1 (static block) and phase 2 (end of definition). */
  const linking = new SafeMap();
  txn.pending.set(file, pending);
  const hot = {
    data: record.hotData,
    dispose(callback) {
      if (typeof callback !== "function") throw new TypeError("import.meta.hot.dispose expects a function");
      pending.disposers.push(callback);
    },
    accept() {},
  };
  const api = {
    meta: { url: "graft:" + file, hot },
    require(index) { return fileRecord(dependencies[index]).namespace; },
    exports(getters, stars) {
      const all = create(null);
      if (stars) {
        for (let i = 0; i < stars.length; i++) {
          const star = stars[i];
          for (const key of objectKeys(star)) if (key !== "default") all[key] = () => star[key];
        }
      }
      assign(all, getters);
      setNamespace(record, all);
    },
    cls(name) {
      if (pending.defined.has(name)) throw new SyntaxError("class " + name + " is defined twice at the top level of " + file);
      pending.defined.add(name);
      pending.order.push(name);
      let canonical = record.classes.get(name);
      if (canonical === undefined) {
        canonical = makeCanonical(file, name);
        record.classes.set(name, canonical);
        journal(() => record.classes.delete(name));
      }
      return canonical;
    },
    early(canonical, impl) {
      const meta = classMeta.get(canonical);
      linking.set(canonical, linkClass(canonical, meta, impl));
    },
    install(canonical, impl) {
      const meta = classMeta.get(canonical);
      let linked = linking.get(canonical);
      if (linked === undefined || linked.impl !== impl) linked = linkClass(canonical, meta, impl);
      linking.delete(canonical);
      pending.patches.push(finishClass(canonical, meta, linked));
    },
    define(name, impl) {
      const canonical = api.cls(name);
      api.install(canonical, impl);
      return canonical;
    },
    scope(evaluator) {
      if (typeof evaluator !== "function") throw new TypeError("graft: scope() expects the module's evaluator function");
      pending.evaluator = evaluator;
    },
    dynamicImport(specifier) {
      return promiseReject(Promise, new Error("import(" + stringify(String(specifier)) + ") in " + file + ": dynamic import is not supported; use a static import"));
    },
  };
  moduleFunction(api);
}

function retire(record, name, report) {
  const canonical = record.classes.get(name);
  const meta = classMeta.get(canonical);
  meta.retired = true;
  record.classes.delete(name);
  retiredRefs.push(new WeakRef(canonical));
  report.retired.push({ __proto__: null, file: record.file, name, version: meta.version });
}

function runDisposers(record, report) {
  for (const callback of record.disposers) {
    try { callback(record.hotData); }
    catch (error) { report.disposeErrors.push({ __proto__: null, file: record.file, message: String(error && error.stack ? error + "\n" + error.stack : error) }); }
  }
  record.disposers = new SafeArray();
}

function removeFile(file) {
  if (txn === null) throw new Error("graft kernel: no reload transaction is open");
  const record = fileRecord(file);
  setNamespace(record, create(null));
  txn.removed.push(file);
}

function commit() {
  if (txn === null) throw new Error("graft kernel: no reload transaction is open");
  const report = { __proto__: null, patched: new SafeArray(), retired: new SafeArray(), disposeErrors: new SafeArray() };
  for (const pending of txn.pending.values()) {
    const record = fileRecord(pending.file);
    runDisposers(record, report);
    record.disposers = pending.disposers;
    // Only the committed version's scope stays reachable for evaluate(): the previous one is dropped here.
    record.evaluator = pending.evaluator;
    for (const name of record.classOrder) if (!pending.defined.has(name)) retire(record, name, report);
    record.classOrder = pending.order;
    record.loaded = true;
    report.patched.push(...pending.patches);
  }
  for (const file of txn.removed) {
    const record = fileRecord(file);
    runDisposers(record, report);
    for (const name of record.classOrder) retire(record, name, report);
    record.classOrder = new SafeArray();
    record.evaluator = null;
    record.loaded = false;
  }
  txn = null;
  retiredRefs = retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
  supersededRefs = supersededRefs.filter((entry) => weakRefDeref(entry.ref) !== undefined);
  return stringify(report);
}

function inherits(candidate, base) {
  for (let parent = getPrototypeOf(candidate); parent !== null; parent = getPrototypeOf(parent)) {
    if (parent === base) return true;
  }
  return false;
}

function findSubclasses(base, inclusive, includeRetired) {
  const result = new SafeArray();
  const matches = (candidate) => (candidate === base ? inclusive : inherits(candidate, base));
  for (const file of safeArrayFrom(files.keys()).sort()) {
    const record = files.get(file);
    for (const name of record.classOrder) {
      const candidate = record.classes.get(name);
      if (candidate !== undefined && matches(candidate)) result.push(candidate);
    }
  }
  if (includeRetired) {
    retiredRefs = retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
    for (const ref of retiredRefs) {
      const candidate = weakRefDeref(ref);
      if (candidate !== undefined && matches(candidate)) result.push(candidate);
    }
  }
  return result;
}

/** Runs REPL code (already compiled for it) inside the current version of a file's module scope. */
function evaluateIn(file, code) {
  const record = files.get(file);
  if (record === undefined || record.evaluator === null) throw new Error("graft kernel: " + file + " has no running version to evaluate in");
  return apply(record.evaluator, undefined, [code]);
}

function getClass(file, name) {
  const record = files.get(file);
  return record === undefined ? undefined : record.classes.get(name);
}

function classInfo(value) {
  const meta = classMeta.get(value);
  return meta === undefined ? undefined : list(meta.file, meta.name, meta.version, meta.retired);
}

function namespaceOf(file) {
  return fileRecord(file).namespace;
}

function namespaceKeys(file) {
  return objectKeys(fileRecord(file).namespace);
}

function classNames(file) {
  const record = files.get(file);
  return record === undefined ? new SafeArray() : record.classOrder.slice();
}

function retiredClasses() {
  retiredRefs = retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
  return retiredRefs.map((ref) => weakRefDeref(ref));
}

/**
 * Every class graft knows that is alive, for the heap tools, as data: [values, labels] where
 * values[i] is a class, a class version or the prototype of one, and labels (JSON) holds
 * [kind, file, name, version, isPrototype] for each; kind is "class" | "version" | "retired" |
 * "superseded". The host formats the descriptions.
 */
function heapClasses() {
  const values = new SafeArray();
  const labels = new SafeArray();
  const add = (cls, kind, file, name, version) => {
    values.push(cls);
    labels.push(list(kind, file, name, version, 0));
    const prototype = cls.prototype;
    if (prototype !== undefined && prototype !== null) {
      values.push(prototype);
      labels.push(list(kind, file, name, version, 1));
    }
  };
  for (const record of files.values()) {
    for (const name of record.classOrder) {
      const cls = record.classes.get(name);
      const meta = classMeta.get(cls);
      add(cls, "class", record.file, name, meta.version);
      if (meta.cell.impl !== null) add(meta.cell.impl, "version", record.file, name, meta.version);
    }
  }
  for (const ref of retiredRefs) {
    const cls = weakRefDeref(ref);
    if (cls === undefined) continue;
    const meta = classMeta.get(cls);
    add(cls, "retired", meta.file, meta.name, meta.version);
  }
  for (const entry of supersededRefs) {
    const impl = weakRefDeref(entry.ref);
    if (impl !== undefined) add(impl, "superseded", entry.file, entry.name, entry.version);
  }
  return list(values, stringify(labels));
}

/** Drops the bookkeeping of versions that died: run after each full collection. */
function prune() {
  retiredRefs = retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
  supersededRefs = supersededRefs.filter((entry) => weakRefDeref(entry.ref) !== undefined);
}

/** [class, file, name, version] of every earlier class version still alive. */
function supersededVersions() {
  supersededRefs = supersededRefs.filter((entry) => weakRefDeref(entry.ref) !== undefined);
  return supersededRefs.map((entry) => list(weakRefDeref(entry.ref), entry.file, entry.name, entry.version));
}

/** The class version an object was built by: its canonical class or a superseded version. */
function versionOf(impl) {
  for (const entry of supersededRefs) if (weakRefDeref(entry.ref) === impl) return list(entry.file, entry.name, entry.version);
  return undefined;
}

function setHostExports(values) {
  const record = fileRecord("host");
  const getters = create(null);
  for (const key of objectKeys(values)) { const value = values[key]; getters[key] = () => value; }
  withTransaction(() => setNamespace(record, getters));
  record.loaded = true;
}

/** 2 for an array, 1 for a plain object (of any context), 0 for anything else. */
function plainKind(value) {
  if (isArray(value)) return 2;
  if (value === null || typeof value !== "object") return 0;
  const proto = getPrototypeOf(value);
  if (proto === null) return 1;
  return getPrototypeOf(proto) === null && hasOwn(proto, "isPrototypeOf") ? 1 : 0;
}

function construct(target, args) {
  return reflectConstruct(target, args);
}

function invoke(target, thisValue, args) {
  return apply(target, thisValue, args);
}

function isPrototypeOf(prototype, value) {
  return objectIsPrototypeOf(prototype, value);
}

const PREVIEW_ENTRIES = 6;
const PREVIEW_STRING = 60;

function quote(text) {
  const short = text.length > PREVIEW_STRING ? stringSlice(text, 0, PREVIEW_STRING) + "..." : text;
  let quoted = "'";
  for (let i = 0; i < short.length; i++) {
    const code = stringCharCodeAt(short, i);
    quoted += code === 92 ? "\\\\" : code === 39 ? "\\'" : code === 10 ? "\\n" : short[i];
  }
  return quoted + "'";
}

/** [A-Za-z0-9_$], and no digit first unless `digits`. */
function isIdentifierCode(code, digits) {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36 || (digits && code >= 48 && code <= 57);
}

/** A key that prints without quotes: /^[A-Za-z_$][\w$]*$/. */
function isIdentifier(key) {
  if (key.length === 0 || !isIdentifierCode(stringCharCodeAt(key, 0), false)) return false;
  for (let i = 1; i < key.length; i++) if (!isIdentifierCode(stringCharCodeAt(key, i), true)) return false;
  return true;
}

/** Source text that starts with the keyword `class`: /^class\b/. */
function isClassSource(text) {
  return stringSlice(text, 0, 5) === "class" && !(text.length > 5 && isIdentifierCode(stringCharCodeAt(text, 5), true));
}

/** The class an object was built by (its prototype's own constructor), as "Name" or null. */
function instanceClassName(value) {
  const proto = getPrototypeOf(value);
  if (proto === null) return "[Object: null prototype]";
  const descriptor = ownDescriptor(proto, "constructor");
  const ctor = descriptor && typeof descriptor.value === "function" ? descriptor.value : null;
  if (ctor === null) return null;
  const meta = classMeta.get(ctor);
  return meta ? meta.name : typeof ctor.name === "string" && ctor.name !== "" ? ctor.name : null;
}

/** One value inside a preview, never calling script code (getters show as [Getter]). */
function previewItem(value) {
  switch (typeof value) {
    case "string": return quote(value);
    case "bigint": return String(value) + "n";
    case "symbol": return symbolToString(value);
    case "function": {
      const meta = classMeta.get(value);
      if (meta) return "[class " + meta.name + "]";
      const name = typeof value.name === "string" && value.name !== "" ? value.name : "(anonymous)";
      return (isClassSource(functionToString(value)) ? "[class " : "[Function ") + name + "]";
    }
    case "object":
      if (value === null) return "null";
      if (isArray(value)) return "Array(" + value.length + ")";
      return (instanceClassName(value) ?? "Object") + " {...}";
    default:
      return sameValue(value, -0) ? "-0" : String(value);
  }
}

/**
 * What util.inspect shows of a VM value: JSON of { kind, className, owner, items, more }.
 * owner is [file, name, version, retired] for an instance of (or a) graft class.
 */
function preview(value) {
  /** @type {{ __proto__: null, kind: string, className: string | null, owner: unknown[] | null, items: string[], more: number }} */
  const result = { __proto__: null, kind: typeof value, className: null, owner: null, items: new SafeArray(), more: 0 };
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    result.items.push(previewItem(value));
    return stringify(result);
  }
  let keys;
  let skip = new SafeSet();
  if (typeof value === "function") {
    const meta = classMeta.get(value);
    if (meta) {
      result.kind = "class";
      result.owner = list(meta.file, meta.name, meta.version, meta.retired);
    } else {
      result.items.push(previewItem(value));
      return stringify(result);
    }
    keys = ownKeys(value).filter((key) => typeof key === "string");
    skip = SKIP_STATIC;
  } else if (isArray(value)) {
    result.kind = "array";
    result.className = "Array(" + value.length + ")";
    skip = new SafeSet(list("length"));
    keys = objectKeys(value);
  } else {
    const name = instanceClassName(value);
    result.className = name;
    const proto = getPrototypeOf(value);
    const ctor = proto === null ? undefined : ownDescriptor(proto, "constructor");
    const meta = ctor && typeof ctor.value === "function" ? classMeta.get(ctor.value) : undefined;
    if (meta) result.owner = list(meta.file, meta.name, meta.version, meta.retired);
    keys = objectKeys(value);
  }
  keys = keys.filter((key) => !skip.has(key));
  for (const key of keys.slice(0, PREVIEW_ENTRIES)) {
    const descriptor = ownDescriptor(value, key);
    if (descriptor === undefined) continue;
    const text = "value" in descriptor ? previewItem(descriptor.value) : descriptor.get && descriptor.set ? "[Getter/Setter]" : descriptor.get ? "[Getter]" : "[Setter]";
    const label = result.kind === "array" ? "" : (isIdentifier(key) ? key : quote(key)) + ": ";
    result.items.push(label + text);
  }
  result.more = max(0, keys.length - PREVIEW_ENTRIES);
  return stringify(result);
}

return {
  construct, invoke, isPrototypeOf, begin, rollback, commit, declareExports, runModule, removeFile,
  findSubclasses, getClass, classInfo, namespaceOf, namespaceKeys, classNames, retiredClasses, supersededVersions, versionOf, prune, heapClasses, setHostExports, plainKind,
  preview, evaluateIn,
};
})();
