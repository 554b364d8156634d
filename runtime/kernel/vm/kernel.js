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
const files = new Map();
const classMeta = new WeakMap();
let retiredRefs = [];
/** Earlier versions' classes, weakly: alive after a full GC means user code holds them. */
let supersededRefs = [];
let txn = null;

const SKIP_PROTO = new Set(["constructor"]);
const SKIP_STATIC = new Set(["prototype", "length", "name"]);

function fileRecord(file) {
  let record = files.get(file);
  if (record === undefined) {
    const namespace = Object.create(null);
    Object.defineProperty(namespace, Symbol.toStringTag, { value: "Module" });
    record = { file, namespace, classes: new Map(), classOrder: [], hotData: {}, disposers: [], loaded: false, exportKeys: [] };
    files.set(file, record);
  }
  return record;
}

function journal(undo) {
  if (txn === null) throw new Error("graft kernel: no reload transaction is open");
  txn.undo.push(undo);
}

function keyLabel(key) {
  return typeof key === "symbol" ? "[" + (key.description ?? "symbol") + "]" : key;
}

function describe(descriptor) {
  if (descriptor.get || descriptor.set) {
    return "accessor:" + (descriptor.get ? Function.prototype.toString.call(descriptor.get) : "") + "|" + (descriptor.set ? Function.prototype.toString.call(descriptor.set) : "");
  }
  const value = descriptor.value;
  if (typeof value === "function") return "function:" + Function.prototype.toString.call(value);
  try { return "data:" + JSON.stringify(value); } catch { return "data:?"; }
}

function setNamespace(record, getters) {
  const namespace = record.namespace;
  const saved = record.exportKeys.map((key) => [key, Object.getOwnPropertyDescriptor(namespace, key)]);
  const savedKeys = record.exportKeys;
  journal(() => {
    for (const key of Object.keys(namespace)) delete namespace[key];
    for (const [key, descriptor] of saved) if (descriptor) Object.defineProperty(namespace, key, descriptor);
    record.exportKeys = savedKeys;
  });
  for (const key of Object.keys(namespace)) if (!(key in getters)) delete namespace[key];
  for (const key of Object.keys(getters)) {
    Object.defineProperty(namespace, key, { get: getters[key], enumerable: true, configurable: true });
  }
  record.exportKeys = Object.keys(getters);
}

function makeCanonical(file, name) {
  const cell = { impl: null };
  const canonical = class {
    constructor(...args) {
      const impl = cell.impl;
      if (impl === null) throw new ReferenceError("class " + name + " (" + file + ") is used before its definition has finished evaluating");
      return Reflect.construct(impl, args, new.target);
    }
  };
  Object.defineProperty(canonical, "name", { value: name, configurable: true });
  classMeta.set(canonical, { file, name, cell, version: 0, retired: false, protoKeys: new Set(), staticKeys: new Set() });
  return canonical;
}

function snapshotClass(canonical, meta) {
  return {
    parent: Object.getPrototypeOf(canonical),
    protoParent: Object.getPrototypeOf(canonical.prototype),
    protoDescriptors: Object.getOwnPropertyDescriptors(canonical.prototype),
    staticDescriptors: Object.getOwnPropertyDescriptors(canonical),
    impl: meta.cell.impl,
    version: meta.version,
    protoKeys: new Set(meta.protoKeys),
    staticKeys: new Set(meta.staticKeys),
  };
}

function restoreOwnProperties(target, descriptors, skip) {
  for (const key of Reflect.ownKeys(target)) {
    if (skip.has(key)) continue;
    if (!Object.prototype.hasOwnProperty.call(descriptors, key)) delete target[key];
  }
  for (const key of Reflect.ownKeys(descriptors)) {
    if (skip.has(key)) continue;
    Object.defineProperty(target, key, descriptors[key]);
  }
}

function restoreClass(canonical, meta, saved) {
  Object.setPrototypeOf(canonical, saved.parent);
  Object.setPrototypeOf(canonical.prototype, saved.protoParent);
  restoreOwnProperties(canonical.prototype, saved.protoDescriptors, new Set());
  restoreOwnProperties(canonical, saved.staticDescriptors, new Set(["prototype"]));
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
  const defined = new Set();
  for (const key of Reflect.ownKeys(source)) {
    if (skip.has(key)) continue;
    defined.add(key);
    const descriptor = Object.getOwnPropertyDescriptor(source, key);
    const previous = Object.prototype.hasOwnProperty.call(before, key) ? before[key] : undefined;
    if (previous === undefined) report.added.push(keyLabel(key));
    else if (describe(previous) !== describe(descriptor) || previous.enumerable !== descriptor.enumerable) report.changed.push(keyLabel(key));
    descriptor.configurable = true;
    Object.defineProperty(target, key, descriptor);
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
    file: meta.file, name: meta.name, version: meta.version + 1, created: meta.version === 0,
    prototype: { added: [], changed: [], removed: [] },
    static: { added: [], changed: [], removed: [] },
  };
  const parent = Object.getPrototypeOf(impl);
  const oldParent = Object.getPrototypeOf(canonical);
  if (parent !== oldParent) {
    const newBase = classMeta.has(parent) || parent !== Object.getPrototypeOf(Object) ? className(parent) : null;
    const oldBase = classMeta.has(oldParent) || oldParent !== Object.getPrototypeOf(Object) ? className(oldParent) : null;
    if (meta.version > 0 && newBase !== oldBase) patch.newBase = newBase ?? "(none)";
  }
  Object.setPrototypeOf(canonical.prototype, Object.getPrototypeOf(impl.prototype));
  meta.protoKeys = graftMembers(canonical.prototype, impl.prototype, meta.protoKeys, SKIP_PROTO, patch.prototype, saved.protoDescriptors);
  // Until finishClass, statics are read through the new version: its initialisers are
  // still defining them on impl, and may read the ones defined before (R8).
  for (const key of meta.staticKeys) delete canonical[key];
  Object.setPrototypeOf(canonical, impl);
  // QuickJS names stack frames after a function's "name" property.
  Object.defineProperty(impl, "name", { value: meta.name, configurable: true });
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
  Object.setPrototypeOf(canonical, Object.getPrototypeOf(linked.impl));
  meta.staticKeys = graftMembers(canonical, linked.impl, meta.staticKeys, SKIP_STATIC, linked.patch.static, linked.saved.staticDescriptors);
  return linked.patch;
}

function begin() {
  if (txn !== null) throw new Error("graft kernel: a reload transaction is already open");
  txn = { undo: [], pending: new Map(), removed: [] };
}

/** Runs a change that is never undone (declarations, the host module) outside a reload. */
function withTransaction(change) {
  txn = { undo: [], pending: new Map(), removed: [] };
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
  const getters = {};
  for (const name of names) {
    getters[name] = () => { throw new ReferenceError("'" + name + "' of " + file + " is not initialised yet: " + explanation); };
  }
  setNamespace(record, getters);
}

function runModule(file, version, moduleFunction, dependencies) {
  if (txn === null) throw new Error("graft kernel: no reload transaction is open");
  const record = fileRecord(file);
  const pending = { file, version, defined: new Set(), order: [], disposers: [], patches: [] };
  /** Classes between phase 1 (static block) and phase 2 (end of definition). */
  const linking = new Map();
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
      const all = {};
      if (stars) {
        for (const star of stars) {
          for (const key of Object.keys(star)) if (key !== "default") all[key] = () => star[key];
        }
      }
      Object.assign(all, getters);
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
    dynamicImport(specifier) {
      return Promise.reject(new Error("import(" + JSON.stringify(String(specifier)) + ") in " + file + ": dynamic import is not supported; use a static import"));
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
  report.retired.push({ file: record.file, name, version: meta.version });
}

function runDisposers(record, report) {
  for (const callback of record.disposers) {
    try { callback(record.hotData); }
    catch (error) { report.disposeErrors.push({ file: record.file, message: String(error && error.stack ? error + "\n" + error.stack : error) }); }
  }
  record.disposers = [];
}

function removeFile(file) {
  if (txn === null) throw new Error("graft kernel: no reload transaction is open");
  const record = fileRecord(file);
  setNamespace(record, {});
  txn.removed.push(file);
}

function commit() {
  if (txn === null) throw new Error("graft kernel: no reload transaction is open");
  const report = { patched: [], retired: [], disposeErrors: [] };
  for (const pending of txn.pending.values()) {
    const record = fileRecord(pending.file);
    runDisposers(record, report);
    record.disposers = pending.disposers;
    for (const name of record.classOrder) if (!pending.defined.has(name)) retire(record, name, report);
    record.classOrder = pending.order;
    record.loaded = true;
    report.patched.push(...pending.patches);
  }
  for (const file of txn.removed) {
    const record = fileRecord(file);
    runDisposers(record, report);
    for (const name of record.classOrder) retire(record, name, report);
    record.classOrder = [];
    record.loaded = false;
  }
  txn = null;
  retiredRefs = retiredRefs.filter((ref) => ref.deref() !== undefined);
  supersededRefs = supersededRefs.filter((entry) => entry.ref.deref() !== undefined);
  return JSON.stringify(report);
}

function inherits(candidate, base) {
  for (let parent = Object.getPrototypeOf(candidate); parent !== null; parent = Object.getPrototypeOf(parent)) {
    if (parent === base) return true;
  }
  return false;
}

function findSubclasses(base, inclusive, includeRetired) {
  const result = [];
  const matches = (candidate) => (candidate === base ? inclusive : inherits(candidate, base));
  for (const file of [...files.keys()].sort()) {
    const record = files.get(file);
    for (const name of record.classOrder) {
      const candidate = record.classes.get(name);
      if (candidate !== undefined && matches(candidate)) result.push(candidate);
    }
  }
  if (includeRetired) {
    retiredRefs = retiredRefs.filter((ref) => ref.deref() !== undefined);
    for (const ref of retiredRefs) {
      const candidate = ref.deref();
      if (candidate !== undefined && matches(candidate)) result.push(candidate);
    }
  }
  return result;
}

function getClass(file, name) {
  const record = files.get(file);
  return record === undefined ? undefined : record.classes.get(name);
}

function classInfo(value) {
  const meta = classMeta.get(value);
  return meta === undefined ? undefined : [meta.file, meta.name, meta.version, meta.retired];
}

function namespaceOf(file) {
  return fileRecord(file).namespace;
}

function namespaceKeys(file) {
  return Object.keys(fileRecord(file).namespace);
}

function classNames(file) {
  const record = files.get(file);
  return record === undefined ? [] : record.classOrder.slice();
}

function retiredClasses() {
  retiredRefs = retiredRefs.filter((ref) => ref.deref() !== undefined);
  return retiredRefs.map((ref) => ref.deref());
}

/**
 * Every class graft knows that is alive, for the heap tools, as data: [values, labels] where
 * values[i] is a class, a class version or the prototype of one, and labels (JSON) holds
 * [kind, file, name, version, isPrototype] for each; kind is "class" | "version" | "retired" |
 * "superseded". The host formats the descriptions.
 */
function heapClasses() {
  const values = [];
  const labels = [];
  const add = (cls, kind, file, name, version) => {
    values.push(cls);
    labels.push([kind, file, name, version, 0]);
    const prototype = cls.prototype;
    if (prototype !== undefined && prototype !== null) {
      values.push(prototype);
      labels.push([kind, file, name, version, 1]);
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
    const cls = ref.deref();
    if (cls === undefined) continue;
    const meta = classMeta.get(cls);
    add(cls, "retired", meta.file, meta.name, meta.version);
  }
  for (const entry of supersededRefs) {
    const impl = entry.ref.deref();
    if (impl !== undefined) add(impl, "superseded", entry.file, entry.name, entry.version);
  }
  return [values, JSON.stringify(labels)];
}

/** Drops the bookkeeping of versions that died: run after each full collection. */
function prune() {
  retiredRefs = retiredRefs.filter((ref) => ref.deref() !== undefined);
  supersededRefs = supersededRefs.filter((entry) => entry.ref.deref() !== undefined);
}

/** [class, file, name, version] of every earlier class version still alive. */
function supersededVersions() {
  supersededRefs = supersededRefs.filter((entry) => entry.ref.deref() !== undefined);
  return supersededRefs.map((entry) => [entry.ref.deref(), entry.file, entry.name, entry.version]);
}

/** The class version an object was built by: its canonical class or a superseded version. */
function versionOf(impl) {
  for (const entry of supersededRefs) if (entry.ref.deref() === impl) return [entry.file, entry.name, entry.version];
  return undefined;
}

function setHostExports(values) {
  const record = fileRecord("host");
  const getters = {};
  for (const key of Object.keys(values)) { const value = values[key]; getters[key] = () => value; }
  withTransaction(() => setNamespace(record, getters));
  record.loaded = true;
}

/** 2 for an array, 1 for a plain object (of any context), 0 for anything else. */
function plainKind(value) {
  if (Array.isArray(value)) return 2;
  if (value === null || typeof value !== "object") return 0;
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return 1;
  return Object.getPrototypeOf(proto) === null && Object.prototype.hasOwnProperty.call(proto, "isPrototypeOf") ? 1 : 0;
}

function construct(target, args) {
  return Reflect.construct(target, args);
}

function invoke(target, thisValue, args) {
  return Reflect.apply(target, thisValue, args);
}

function isPrototypeOf(prototype, value) {
  return Object.prototype.isPrototypeOf.call(prototype, value);
}

const PREVIEW_ENTRIES = 6;
const PREVIEW_STRING = 60;

function quote(text) {
  const short = text.length > PREVIEW_STRING ? text.slice(0, PREVIEW_STRING) + "..." : text;
  return "'" + short.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n") + "'";
}

/** The class an object was built by (its prototype's own constructor), as "Name" or null. */
function instanceClassName(value) {
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return "[Object: null prototype]";
  const descriptor = Object.getOwnPropertyDescriptor(proto, "constructor");
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
    case "symbol": return value.toString();
    case "function": {
      const meta = classMeta.get(value);
      if (meta) return "[class " + meta.name + "]";
      const name = typeof value.name === "string" && value.name !== "" ? value.name : "(anonymous)";
      return (/^class\b/.test(Function.prototype.toString.call(value)) ? "[class " : "[Function ") + name + "]";
    }
    case "object":
      if (value === null) return "null";
      if (Array.isArray(value)) return "Array(" + value.length + ")";
      return (instanceClassName(value) ?? "Object") + " {...}";
    default:
      return Object.is(value, -0) ? "-0" : String(value);
  }
}

/**
 * What util.inspect shows of a VM value: JSON of { kind, className, owner, items, more }.
 * owner is [file, name, version, retired] for an instance of (or a) graft class.
 */
function preview(value) {
  /** @type {{ kind: string, className: string | null, owner: unknown[] | null, items: string[], more: number }} */
  const result = { kind: typeof value, className: null, owner: null, items: [], more: 0 };
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    result.items.push(previewItem(value));
    return JSON.stringify(result);
  }
  let keys;
  let skip = new Set();
  if (typeof value === "function") {
    const meta = classMeta.get(value);
    if (meta) {
      result.kind = "class";
      result.owner = [meta.file, meta.name, meta.version, meta.retired];
    } else {
      result.items.push(previewItem(value));
      return JSON.stringify(result);
    }
    keys = Reflect.ownKeys(value).filter((key) => typeof key === "string");
    skip = SKIP_STATIC;
  } else if (Array.isArray(value)) {
    result.kind = "array";
    result.className = "Array(" + value.length + ")";
    skip = new Set(["length"]);
    keys = Object.keys(value);
  } else {
    const name = instanceClassName(value);
    result.className = name;
    const proto = Object.getPrototypeOf(value);
    const ctor = proto === null ? undefined : Object.getOwnPropertyDescriptor(proto, "constructor");
    const meta = ctor && typeof ctor.value === "function" ? classMeta.get(ctor.value) : undefined;
    if (meta) result.owner = [meta.file, meta.name, meta.version, meta.retired];
    keys = Object.keys(value);
  }
  keys = keys.filter((key) => !skip.has(key));
  for (const key of keys.slice(0, PREVIEW_ENTRIES)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor === undefined) continue;
    const text = "value" in descriptor ? previewItem(descriptor.value) : descriptor.get && descriptor.set ? "[Getter/Setter]" : descriptor.get ? "[Getter]" : "[Setter]";
    const label = result.kind === "array" ? "" : (/^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key)) + ": ";
    result.items.push(label + text);
  }
  result.more = Math.max(0, keys.length - PREVIEW_ENTRIES);
  return JSON.stringify(result);
}

return {
  construct, invoke, isPrototypeOf, begin, rollback, commit, declareExports, runModule, removeFile,
  findSubclasses, getClass, classInfo, namespaceOf, namespaceKeys, classNames, retiredClasses, supersededVersions, versionOf, prune, heapClasses, setHostExports, plainKind,
  preview,
};
})();
