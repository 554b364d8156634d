/**
 * What the host asks of the kernel between reloads: classes and subclasses, a file's
 * exports, the class versions the heap tools label (retired, superseded), REPL code in a
 * file's scope, and the plain calls a ScriptValue makes (construct, invoke).
 */
"use strict";

/**
 * @param {KernelState} state
 * @param {ReturnType<typeof kernelNamespaces>} namespaces
 * @param {ReturnType<typeof kernelGrafting>} grafting
 */
const kernelQueries = (state, namespaces, grafting) => {
const { Error, WeakRef } = globalThis;
const { files, classMeta } = state;
const { fileRecord } = namespaces;
const { metaOf } = grafting;

/**
 * The class name of an object read from VM memory by the host (see values.js): "Proxy" for
 * a Proxy, whose traps any question asked in JavaScript would run.
 * @type {((value: object) => string) | null}
 */
let classOf = null;

/** @param {(value: object) => string} reader */
function setClassReader(reader) {
  classOf = reader;
}

/**
 * getPrototypeOf without running a Proxy's trap: a Proxy ends the chain.
 * @param {object} value
 */
function safePrototypeOf(value) {
  return classOf !== null && classOf(value) === "Proxy" ? null : getPrototypeOf(value);
}

/**
 * @param {object} candidate
 * @param {object} base
 */
function inherits(candidate, base) {
  for (let parent = safePrototypeOf(candidate); parent !== null; parent = safePrototypeOf(parent)) {
    if (parent === base) return true;
  }
  return false;
}

/**
 * @param {AnyClass} base
 * @param {boolean} inclusive
 * @param {boolean} includeRetired
 */
function findSubclasses(base, inclusive, includeRetired) {
  /** @type {Array<AnyClass>} */
  const result = new SafeArray();
  /** @param {AnyClass} candidate */
  const matches = (candidate) => (candidate === base ? inclusive : inherits(candidate, base));
  for (const file of safeArrayFrom(files.keys()).sort()) {
    const record = /** @type {FileRecord} */ (files.get(file));
    for (const name of record.classOrder) {
      const candidate = record.classes.get(name);
      if (candidate !== undefined && matches(candidate)) result.push(candidate);
    }
  }
  if (includeRetired) {
    state.retiredRefs = state.retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
    for (const ref of state.retiredRefs) {
      const candidate = weakRefDeref(ref);
      if (candidate !== undefined && matches(candidate)) result.push(candidate);
    }
  }
  return result;
}

/**
 * Runs REPL code (already compiled for it) inside the current version of a file's module scope.
 * @param {string} file
 * @param {string} code
 */
function evaluateIn(file, code) {
  const record = files.get(file);
  if (record === undefined || record.evaluator === null) throw new Error("graft kernel: " + file + " has no running version to evaluate in");
  return apply(record.evaluator, undefined, [code]);
}

/**
 * @param {string} file
 * @param {string} name
 */
function getClass(file, name) {
  const record = files.get(file);
  return record === undefined ? undefined : record.classes.get(name);
}

/** @param {any} value */
function classInfo(value) {
  const meta = classMeta.get(value);
  return meta === undefined ? undefined : list(meta.file, meta.name, meta.version, meta.retired);
}

/** @param {string} file */
function namespaceOf(file) {
  return fileRecord(file).namespace;
}

/** @param {string} file */
function namespaceKeys(file) {
  return objectKeys(fileRecord(file).namespace);
}

/** @param {string} file */
function classNames(file) {
  const record = files.get(file);
  return record === undefined ? new SafeArray() : record.classOrder.slice();
}

/**
 * A weak reference to a graft class: what the host's class handles hold, so that a handle
 * never keeps a retired class alive.
 * @param {AnyClass} cls
 */
function weakClass(cls) {
  return new WeakRef(cls);
}

/**
 * The class `ref` refers to, or undefined once it was collected.
 * @param {WeakRef<AnyClass>} ref
 */
function derefClass(ref) {
  return weakRefDeref(ref);
}

function retiredClasses() {
  state.retiredRefs = state.retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
  return state.retiredRefs.map((ref) => weakRefDeref(ref));
}

/**
 * Every class graft knows that is alive, for the heap tools, as data: [values, labels] where
 * values[i] is a class, a class version or the prototype of one, and labels (JSON) holds
 * [kind, file, name, version, isPrototype] for each; kind is "class" | "version" | "retired" |
 * "retired version" (the last version of a retired class) | "superseded". The host formats
 * the descriptions.
 */
function heapClasses() {
  const values = new SafeArray();
  const labels = new SafeArray();
  /**
   * @param {AnyClass} cls
   * @param {string} kind
   * @param {string} file
   * @param {string} name
   * @param {number} version
   */
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
      const cls = /** @type {AnyClass} */ (record.classes.get(name));
      const meta = metaOf(cls);
      add(cls, "class", record.file, name, meta.version);
      if (meta.cell.impl !== null) add(meta.cell.impl, "version", record.file, name, meta.version);
    }
  }
  for (const ref of state.retiredRefs) {
    const cls = weakRefDeref(ref);
    if (cls === undefined) continue;
    const meta = metaOf(cls);
    add(cls, "retired", meta.file, meta.name, meta.version);
    // Its last version's implementation lives as long as it does: plumbing, like any version.
    if (meta.cell.impl !== null) add(meta.cell.impl, "retired version", meta.file, meta.name, meta.version);
  }
  for (const entry of state.supersededRefs) {
    const impl = weakRefDeref(entry.ref);
    if (impl !== undefined) add(impl, entry.pending ? "version" : "superseded", entry.file, entry.name, entry.version);
  }
  for (const entry of state.supersededFunctions) {
    const fn = weakRefDeref(entry.ref);
    if (fn === undefined) continue;
    values.push(fn);
    labels.push(list(entry.removed ? "function of a deleted file" : "superseded function", entry.file, entry.name, entry.version, 0));
  }
  return list(values, stringify(labels));
}

/** Drops the bookkeeping of versions that died: run after each full collection. */
function prune() {
  state.retiredRefs = state.retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
  state.supersededRefs = state.supersededRefs.filter((entry) => weakRefDeref(entry.ref) !== undefined);
  state.supersededFunctions = state.supersededFunctions.filter((entry) => weakRefDeref(entry.ref) !== undefined);
}

/** How many top-level functions of replaced or deleted versions are alive. */
function supersededFunctionCount() {
  state.supersededFunctions = state.supersededFunctions.filter((entry) => weakRefDeref(entry.ref) !== undefined);
  return state.supersededFunctions.length;
}

/** [class, file, name, version] of every earlier class version still alive (a reload's pending ones aside). */
function supersededVersions() {
  state.supersededRefs = state.supersededRefs.filter((entry) => weakRefDeref(entry.ref) !== undefined);
  return state.supersededRefs.filter((entry) => !entry.pending).map((entry) => list(weakRefDeref(entry.ref), entry.file, entry.name, entry.version));
}

/** The class version an object was built by: its canonical class or a superseded version. */
/** @param {unknown} impl */
function versionOf(impl) {
  for (const entry of state.supersededRefs) if (weakRefDeref(entry.ref) === impl) return list(entry.file, entry.name, entry.version);
  return undefined;
}

/** 2 for an array, 1 for a plain object (of any context), 0 for anything else. */
/** @param {unknown} value */
function plainKind(value) {
  if (isArray(value)) return 2;
  if (value === null || typeof value !== "object") return 0;
  const proto = getPrototypeOf(value);
  if (proto === null) return 1;
  return getPrototypeOf(proto) === null && hasOwn(proto, "isPrototypeOf") ? 1 : 0;
}

/**
 * @param {Function} target
 * @param {ArrayLike<unknown>} args
 */
function construct(target, args) {
  return reflectConstruct(target, args);
}

/**
 * @param {Function} target
 * @param {unknown} thisValue
 * @param {ArrayLike<unknown>} args
 */
function invoke(target, thisValue, args) {
  return apply(target, thisValue, args);
}

/**
 * @param {object} prototype
 * @param {unknown} value
 */
function isPrototypeOf(prototype, value) {
  return objectIsPrototypeOf(prototype, value);
}

return bare({
  construct, invoke, isPrototypeOf, findSubclasses, getClass, classInfo, weakClass, derefClass, namespaceOf, namespaceKeys, classNames, retiredClasses,
  supersededVersions, supersededFunctionCount, versionOf, prune, heapClasses, plainKind, evaluateIn, setClassReader,
});
};
