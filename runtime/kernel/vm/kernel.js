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

/**
 * @typedef {Function & { prototype: any }} AnyClass a script's class, or a canonical one
 * @typedef {{ added: string[], changed: string[], removed: string[] }} MemberChanges
 * @typedef {{ file: string, name: string, version: number, created: boolean, prototype: MemberChanges,
 *   static: MemberChanges, newBase?: string }} Patch
 * @typedef {{ patched: Patch[], retired: { file: string, name: string, version: number }[],
 *   disposeErrors: { file: string, message: string }[], disposers: number }} CommitReport disposers: how many
 *   import.meta.hot.dispose callbacks the commit queued for the host (takeDisposer)
 * @typedef {{ impl: AnyClass | null }} Cell the version a canonical class constructs with
 * @typedef {{ file: string, name: string, cell: Cell, version: number, retired: boolean,
 *   protoKeys: Set<Key>, staticKeys: Set<Key>, privates: PrivateState | null, committedVersion: number,
 *   fieldKeys: Set<string>, migrateSource: string | null }} ClassMeta privates: its #x state, kept across versions;
 *   committedVersion, fieldKeys, migrateSource: of the version last committed (0 before the first)
 * @typedef {{ keys: Array<[string, number]>, factory: () => Record<string, Function> }} FieldList a version's instance
 *   fields ([key, offset in the stripped script]) and how to build their initialisers
 * @typedef {{ added: Array<[string, number]>, factory: (() => Record<string, Function>) | null, hook: Function | undefined,
 *   fromVersion: number }} MigrationPlan
 * @typedef {(this: void, hotData: object) => void} Disposer
 * @typedef {{ file: string, namespace: Record<string, unknown>, classes: Map<string, AnyClass>,
 *   classOrder: string[], hotData: object, disposers: Disposer[], loaded: boolean, exportKeys: string[],
 *   evaluator: Function | null, exotic: { signature: string, proxy: object } | null }} FileRecord
 *   namespace: the exports as getters, what compiled code reads imports from; exotic: the ES
 *   module namespace object (`import * as`) for the current export names; evaluator: runs
 *   REPL code in the running version's module scope
 * @typedef {{ file: string, version: number, defined: Set<string>, order: string[], disposers: Disposer[],
 *   patches: Patch[], evaluator: Function | null, open: boolean, body: Generator | AsyncGenerator | null,
 *   fields: Map<string, FieldList> }} PendingVersion a version being evaluated,
 *   until commit; closed (open false) at commit or rollback
 * @typedef {{ undo: (() => void)[], pending: Map<string, PendingVersion>, removed: string[],
 *   migrations: Map<AnyClass, MigrationPlan> }} Transaction
 * @typedef {{ [key: Key]: PropertyDescriptor }} Descriptors
 * @typedef {{ parent: object | null, protoParent: object | null, protoDescriptors: Descriptors,
 *   staticDescriptors: Descriptors, impl: AnyClass | null, version: number, protoKeys: Set<Key>,
 *   staticKeys: Set<Key> }} SavedClass
 * @typedef {{ impl: AnyClass, patch: Patch, saved: SavedClass }} LinkedClass
 * @typedef {{ ref: WeakRef<AnyClass>, file: string, name: string, version: number, pending: boolean }} Superseded
 * @typedef {{ [name: string]: () => unknown }} Getters
 */

// Captured before any script runs, like everything in intrinsics.js (evaluated just before).
const { Error, TypeError, ReferenceError, SyntaxError, WeakRef, Promise } = globalThis;

/** @type {Map<string, FileRecord>} */
const files = new SafeMap();
/** @type {WeakMap<AnyClass, ClassMeta>} */
const classMeta = new SafeWeakMap();
/** @type {Array<WeakRef<AnyClass>>} */
let retiredRefs = new SafeArray();
/**
 * Earlier versions' classes, weakly: alive after a full GC means user code holds them.
 * @type {Array<Superseded>}
 */
let supersededRefs = new SafeArray();
/** @type {Transaction | null} */
let txn = null;
/** @type {Array<{ file: string, callback: Disposer, data: object }>} */
const disposeQueue = new SafeArray();

const SKIP_PROTO = new SafeSet(list("constructor"));
const SKIP_STATIC = new SafeSet(list("prototype", "length", "name"));

/** @param {string} file */
function fileRecord(file) {
  let record = files.get(file);
  if (record === undefined) {
    const namespace = create(null);
    defineProperty(namespace, toStringTag, bare({ value: "Module" }));
    record = { file, namespace, classes: new SafeMap(), classOrder: new SafeArray(), hotData: {}, disposers: new SafeArray(), loaded: false, exportKeys: new SafeArray(), evaluator: null, exotic: null };
    files.set(file, record);
  }
  return record;
}

/** @param {() => void} undo */
function journal(undo) {
  openTransaction().undo.push(undo);
}

function openTransaction() {
  if (txn === null) throw new Error("graft kernel: no reload transaction is open");
  return txn;
}

/** @param {Key} key */
function keyLabel(key) {
  return typeof key === "symbol" ? "[" + (symbolDescription(key) ?? "symbol") + "]" : key;
}

/**
 * Whether a member changed between two versions. Functions and accessors compare by
 * source text; data by identity (a primitive by value, an object changed when the new
 * version made a new one). Data is never serialised: that would run a script's toJSON or
 * getters, and cost as much as the data (a table of 100,000 entries).
 * @param {PropertyDescriptor} before
 * @param {PropertyDescriptor} after
 */
function memberChanged(before, after) {
  if (before.enumerable !== after.enumerable) return true;
  const beforeAccessor = !hasOwn(before, "value");
  if (beforeAccessor !== !hasOwn(after, "value")) return true;
  if (beforeAccessor) return sourceOf(before.get) !== sourceOf(after.get) || sourceOf(before.set) !== sourceOf(after.set);
  const [value, next] = [before.value, after.value];
  if (typeof value === "function" && typeof next === "function") return functionToString(value) !== functionToString(next);
  return !sameValue(value, next);
}

/** @param {Function | undefined} fn */
function sourceOf(fn) {
  return fn === undefined ? "" : functionToString(fn);
}

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
 * @param {FileRecord} record
 * @param {Getters} getters without a prototype
 */
function setNamespace(record, getters) {
  const namespace = record.namespace;
  const saved = record.exportKeys.map((key) => bare({ key, descriptor: ownDescriptor(namespace, key) }));
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

/**
 * The module namespace object of a file (`import * as ns`), as ES specifies it (ECMA-262
 * 10.4.6): not extensible, null prototype, its exports in code unit order as
 * non-configurable writable data properties whose value is the live binding (reading one
 * still in its temporal dead zone throws), read-only to assignment, define and delete.
 * It is a Proxy over a sealed target that holds one placeholder per export, so the engine's
 * own invariant checks agree. A Proxy's target cannot change its keys: when a version
 * exports other names, the file gets a new namespace object (its values stay live in the
 * old one, which keeps the old names).
 * @param {FileRecord} record
 */
function namespaceObject(record) {
  const bindings = record.namespace;
  const keys = objectKeys(bindings).sort();
  const signature = keys.join("\u0000") + "\u0000" + keys.length;
  if (record.exotic !== null && record.exotic.signature === signature) return record.exotic.proxy;
  const target = create(null);
  for (const key of keys) defineProperty(target, key, bare({ value: undefined, writable: true, enumerable: true, configurable: false }));
  defineProperty(target, toStringTag, bare({ value: "Module", writable: false, enumerable: false, configurable: false }));
  preventExtensions(target);
  const exported = new SafeSet(keys);
  /** @param {Key} key */
  const read = (key) => (hasOwn(record.namespace, key) ? record.namespace[/** @type {string} */ (key)] : undefined);
  const handler = bare({
    /** @param {object} _ @param {Key} key */
    get(_, key) {
      if (typeof key === "symbol") return key === toStringTag ? "Module" : undefined;
      return exported.has(key) ? read(key) : undefined;
    },
    set() { return false; },
    /** @param {object} _ @param {Key} key */
    has(_, key) { return typeof key === "symbol" ? key === toStringTag : exported.has(key); },
    /** @param {object} _ @param {Key} key */
    deleteProperty(_, key) { return typeof key === "symbol" ? key !== toStringTag : !exported.has(key); },
    /** @param {object} _ @param {Key} key */
    getOwnPropertyDescriptor(_, key) {
      if (typeof key === "symbol") return intrinsicDescriptor(target, key);
      if (!exported.has(key)) return undefined;
      return bare({ value: read(key), writable: true, enumerable: true, configurable: false });
    },
    /**
     * [[DefineOwnProperty]] (10.4.6.6): only a request that changes nothing succeeds.
     * @param {object} _ @param {Key} key @param {PropertyDescriptor} descriptor
     */
    defineProperty(_, key, descriptor) {
      if (typeof key === "symbol") return reflectDefineProperty(target, key, descriptor);
      if (!exported.has(key)) return false;
      const current = read(key);
      if (descriptor.configurable === true || descriptor.enumerable === false || descriptor.writable === false) return false;
      if (hasOwn(descriptor, "get") || hasOwn(descriptor, "set")) return false;
      if (hasOwn(descriptor, "value")) return sameValue(descriptor.value, current);
      return true;
    },
    ownKeys() {
      /** @type {Key[]} */
      const result = keys.slice();
      result.push(toStringTag);
      return result;
    },
    getPrototypeOf() { return null; },
    /** @param {object} _ @param {object | null} proto */
    setPrototypeOf(_, proto) { return proto === null; },
    isExtensible() { return false; },
    preventExtensions() { return true; },
  });
  const proxy = new IntrinsicProxy(target, handler);
  const previous = record.exotic;
  if (txn !== null) journal(() => { record.exotic = previous; });
  record.exotic = bare({ signature, proxy });
  return proxy;
}

/**
 * @param {string} file
 * @param {string} name
 */
function makeCanonical(file, name) {
  /** @type {Cell} */
  const cell = { impl: null };
  const canonical = class {
    /** @param {unknown[]} args */
    constructor(...args) {
      const impl = cell.impl;
      if (impl === null) throw new ReferenceError("class " + name + " (" + file + ") is used before its definition has finished evaluating");
      return reflectConstruct(impl, args, new.target);
    }
  };
  defineProperty(canonical, "name", bare({ value: name, configurable: true }));
  classMeta.set(canonical, { file, name, cell, version: 0, retired: false, protoKeys: new SafeSet(), staticKeys: new SafeSet(), privates: null, committedVersion: 0, fieldKeys: new SafeSet(), migrateSource: null });
  return canonical;
}

/**
 * @param {AnyClass} canonical
 * @param {ClassMeta} meta
 * @returns {SavedClass}
 */
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

/**
 * @param {object} target
 * @param {Descriptors} descriptors
 * @param {Set<Key>} skip
 */
function restoreOwnProperties(target, descriptors, skip) {
  for (const key of ownKeys(target)) {
    if (skip.has(key)) continue;
    if (!hasOwn(descriptors, key)) delete (/** @type {any} */ (target))[key];
  }
  for (const key of ownKeys(descriptors)) {
    if (skip.has(key)) continue;
    defineProperty(target, key, /** @type {PropertyDescriptor} */ (descriptors[key]));
  }
}

/**
 * @param {AnyClass} canonical
 * @param {ClassMeta} meta
 * @param {SavedClass} saved
 */
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
 * @param {any} target
 * @param {object} source
 * @param {Set<Key>} owned
 * @param {Set<Key>} skip
 * @param {MemberChanges} report
 * @param {Descriptors} before
 * @returns {Set<Key>}
 */
function graftMembers(target, source, owned, skip, report, before) {
  const defined = new SafeSet();
  for (const key of ownKeys(source)) {
    if (skip.has(key)) continue;
    defined.add(key);
    const descriptor = /** @type {PropertyDescriptor} */ (ownDescriptor(source, key));
    const previous = hasOwn(before, key) ? before[key] : undefined;
    if (previous === undefined) report.added.push(keyLabel(key));
    else if (memberChanged(previous, descriptor)) report.changed.push(keyLabel(key));
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

/**
 * The bookkeeping of a class graft made.
 * @param {AnyClass} cls
 */
function metaOf(cls) {
  return /** @type {ClassMeta} */ (classMeta.get(cls));
}

/** @param {any} value */
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
 * @param {AnyClass} canonical
 * @param {ClassMeta} meta
 * @param {unknown} impl what the class definition evaluated to
 * @returns {LinkedClass}
 */
function linkClass(canonical, meta, impl) {
  if (typeof impl !== "function" || impl.prototype === undefined) throw new TypeError("graft: " + meta.name + " is not a class");
  const saved = snapshotClass(canonical, meta);
  journal(() => restoreClass(canonical, meta, saved));
  /** @type {Patch} */
  const patch = bare({
    file: meta.file, name: meta.name, version: meta.version + 1, created: meta.version === 0,
    prototype: memberChanges(),
    static: memberChanges(),
  });
  const parent = getPrototypeOf(impl);
  const oldParent = getPrototypeOf(canonical);
  if (parent !== oldParent) {
    const newBase = classMeta.has(parent) || parent !== FUNCTION_PROTOTYPE ? className(parent) : null;
    const oldBase = classMeta.has(oldParent) || oldParent !== FUNCTION_PROTOTYPE ? className(oldParent) : null;
    if (meta.version > 0 && newBase !== oldBase) patch.newBase = newBase ?? "(none)";
    // Same name, another class: its file was deleted and restored (or the name moved files).
    else if (meta.version > 0 && newBase !== null && classMeta.has(parent)) {
      const base = metaOf(/** @type {AnyClass} */ (parent));
      patch.newBase = newBase + " (" + base.file + (base.version > 0 ? " v" + base.version : "") + ", another class than before)";
    }
  }
  setPrototypeOf(canonical.prototype, getPrototypeOf(impl.prototype));
  meta.protoKeys = graftMembers(canonical.prototype, impl.prototype, meta.protoKeys, SKIP_PROTO, patch.prototype, saved.protoDescriptors);
  // Until finishClass, statics are read through the new version: its initialisers are
  // still defining them on impl, and may read the ones defined before (R8).
  for (const key of meta.staticKeys) delete (/** @type {any} */ (canonical))[key];
  setPrototypeOf(canonical, impl);
  // QuickJS names stack frames after a function's "name" property; a static `name`
  // member of the class (a method, accessor or field) is the class's own and stays.
  if (!hasStaticName(impl, meta)) defineProperty(impl, "name", bare({ value: meta.name, configurable: true }));
  if (meta.cell.impl !== null) {
    // Pending until the transaction commits: the journal holds it for a rollback, and it is
    // the running version until then (a leak query from a host function mid-reload must not report it).
    const superseded = { ref: new WeakRef(meta.cell.impl), file: meta.file, name: meta.name, version: meta.version, pending: true };
    supersededRefs.push(superseded);
    journal(() => { supersededRefs = supersededRefs.filter((entry) => entry !== superseded); });
  }
  meta.cell.impl = impl;
  meta.version += 1;
  return { impl, patch, saved };
}

/**
 * Whether a class version defines a static member called `name` (which ES lets replace the
 * class's name) rather than having the name its definition gave it.
 * @param {AnyClass} impl
 * @param {ClassMeta} meta
 */
function hasStaticName(impl, meta) {
  const descriptor = ownDescriptor(impl, "name");
  if (descriptor === undefined) return false;
  if (!hasOwn(descriptor, "value")) return true;
  return !(typeof descriptor.value === "string" && (descriptor.value === "" || descriptor.value === meta.name));
}

/** @returns {MemberChanges} */
function memberChanges() {
  return bare({ added: new SafeArray(), changed: new SafeArray(), removed: new SafeArray() });
}

/**
 * Where a host learns a class's source text as the script wrote it (types stripped), or
 * undefined (then the running version's own text is shown).
 * @type {((file: string, name: string) => string | undefined) | null}
 */
let sourceReader = null;

/** @param {(file: string, name: string) => string | undefined} reader */
function setSourceReader(reader) {
  sourceReader = reader;
}

/**
 * `String(C)` for a class graft keeps: the class as written, not the canonical class's
 * forwarding constructor. An own, non-enumerable static of each such class, unless the
 * class declares its own `static toString`.
 * @this {unknown}
 */
function classToString() {
  const meta = typeof this === "function" ? classMeta.get(this) : undefined;
  if (meta === undefined) return functionToString(/** @type {Function} */ (this));
  const text = sourceReader === null ? undefined : sourceReader(meta.file, meta.name);
  return typeof text === "string" ? text : functionToString(meta.cell.impl ?? /** @type {Function} */ (this));
}

/**
 * Phase 2, once the class definition has finished: all static members, with removals.
 * @param {AnyClass} canonical
 * @param {ClassMeta} meta
 * @param {LinkedClass} linked
 */
function finishClass(canonical, meta, linked) {
  setPrototypeOf(canonical, getPrototypeOf(linked.impl));
  meta.staticKeys = graftMembers(canonical, linked.impl, meta.staticKeys, SKIP_STATIC, linked.patch.static, linked.saved.staticDescriptors);
  const name = /** @type {PropertyDescriptor} */ (hasStaticName(linked.impl, meta) ? ownDescriptor(linked.impl, "name") : bare({ value: meta.name }));
  name.configurable = true;
  defineProperty(canonical, "name", name);
  // The constructor's parameter count, and the class's source, are the version's, not those of
  // the canonical class's forwarding constructor.
  defineProperty(canonical, "length", bare({ value: linked.impl.length, configurable: true }));
  if (!meta.staticKeys.has("toString")) defineProperty(canonical, "toString", bare({ value: classToString, writable: true, configurable: true }));
  return linked.patch;
}

function begin() {
  if (txn !== null) throw new Error("graft kernel: a reload transaction is already open");
  txn = { undo: new SafeArray(), pending: new SafeMap(), removed: new SafeArray(), migrations: new SafeMap() };
}

/**
 * Runs a change that is never undone (declarations, the host module) outside a reload.
 * @param {() => void} change
 */
function withTransaction(change) {
  txn = { undo: new SafeArray(), pending: new SafeMap(), removed: new SafeArray(), migrations: new SafeMap() };
  try { change(); } finally { txn = null; }
}

/**
 * Versions of the transaction can no longer define anything (see runModule's assertOpen).
 * @param {Transaction} transaction
 */
function closeVersions(transaction) {
  for (const pending of transaction.pending.values()) pending.open = false;
}

function rollback() {
  if (txn === null) return;
  closeVersions(txn);
  const undo = txn.undo;
  txn = null;
  for (let i = undo.length - 1; i >= 0; i--) /** @type {() => void} */ (undo[i])();
}

/**
 * @param {string} file
 * @param {string[]} names
 * @param {string} explanation
 */
function declareExports(file, names, explanation) {
  const record = fileRecord(file);
  if (record.loaded) return;
  if (txn === null) return withTransaction(() => declareExports(file, names, explanation));
  /** @type {Getters} */
  const getters = create(null);
  for (let i = 0; i < names.length; i++) {
    const name = /** @type {string} */ (names[i]);
    getters[name] = () => { throw new ReferenceError("'" + name + "' of " + file + " is not initialised yet: " + explanation); };
  }
  setNamespace(record, getters);
}

/**
 * hot.data's own properties as they were before this version ran: a version that fails
 * leaves nothing in it for the running one (objects inside it are live state, not copied).
 * @param {FileRecord} record
 */
function journalHotData(record) {
  const data = record.hotData;
  const saved = ownDescriptors(data);
  journal(() => {
    // A script may have frozen or sealed it: the rest of the rollback must still run.
    try { restoreOwnProperties(data, saved, new SafeSet()); } catch { /* keeps what it can */ }
  });
}

/**
 * The canonical class of a file's top-level class, made (journaled) the first time.
 * @param {FileRecord} record
 * @param {string} name
 */
function canonicalFor(record, name) {
  let canonical = record.classes.get(name);
  if (canonical === undefined) {
    canonical = makeCanonical(record.file, name);
    record.classes.set(name, canonical);
    journal(() => record.classes.delete(name));
  }
  return canonical;
}

/**
 * Links a version of a module: runs its compiled generator up to the point where its exports
 * are readable, before any module of the batch evaluates (ES's link step).
 * @param {string} file
 * @param {number} version
 * @param {(api: object) => Generator | AsyncGenerator} moduleFunction the compiled script (async when its top level awaits)
 * @param {string[]} dependencies files of its imports, in the order the compiled script asks for them
 * @param {string[]} starExports [name, file, exportName] flattened: what `export *` adds, resolved at
 *   link time to the module that binds each name (exportName "*": that module's namespace)
 */
function instantiateModule(file, version, moduleFunction, dependencies, starExports) {
  const transaction = openTransaction();
  const record = fileRecord(file);
  /** @type {PendingVersion} */
  const pending = { file, version, defined: new SafeSet(), order: new SafeArray(), disposers: new SafeArray(), patches: new SafeArray(), evaluator: null, open: true, body: null, fields: new SafeMap() };
  /** Code after a top-level await may resume after its reload ended (rolled back at the timeout). */
  const assertOpen = () => {
    if (!pending.open) throw new Error("graft: this version of " + file + " was abandoned (its reload ended while it awaited at top level): it can no longer define classes or exports");
  };
  /**
   * Classes between phase 1 (static block) and phase 2 (end of definition).
   * @type {Map<AnyClass, LinkedClass>}
   */
  const linking = new SafeMap();
  transaction.pending.set(file, pending);
  journalHotData(record);
  // import.meta outlives the top level (a module's eval keeps it): it holds the version's
  // disposer list, not the whole pending record.
  const disposers = pending.disposers;
  const hot = {
    data: record.hotData,
    /** @param {Disposer} callback */
    dispose(callback) {
      if (typeof callback !== "function") throw new TypeError("import.meta.hot.dispose expects a function");
      disposers.push(callback);
    },
    accept() {},
  };
  const api = {
    meta: { url: "graft:" + file, hot },
    /** @param {number} index */
    require(index) { return fileRecord(/** @type {string} */ (dependencies[index])).namespace; },
    /** @param {number} index */
    namespace(index) { return namespaceObject(fileRecord(/** @type {string} */ (dependencies[index]))); },
    /** @param {Getters} getters */
    exports(getters) {
      assertOpen();
      /** @type {Getters} */
      const all = create(null);
      for (let i = 0; i + 2 < starExports.length; i += 3) {
        const source = fileRecord(/** @type {string} */ (starExports[i + 1]));
        const exportName = /** @type {string} */ (starExports[i + 2]);
        all[/** @type {string} */ (starExports[i])] = exportName === "*" ? () => namespaceObject(source) : () => source.namespace[exportName];
      }
      assign(all, getters);
      setNamespace(record, all);
    },
    /** @param {string} name */
    cls(name) {
      assertOpen();
      if (pending.defined.has(name)) throw new SyntaxError("class " + name + " is defined twice at the top level of " + file);
      pending.defined.add(name);
      pending.order.push(name);
      return canonicalFor(record, name);
    },
    /**
     * The slots of a top-level class's private members, asked for just before the class is
     * defined (runtime/compile/private-names.ts).
     * @param {string | AnyClass} name
     */
    privates(name) {
      assertOpen();
      // By name before the class is defined; by the class itself for TypeScript's accessor storage.
      const canonical = typeof name === "string" ? canonicalFor(record, name) : name;
      if (!classMeta.has(canonical)) throw new TypeError("graft: privates() expects a top-level class of " + file);
      const meta = metaOf(canonical);
      if (meta.privates === null) meta.privates = newPrivateState();
      return privateSlots(canonical, meta.privates, (undo) => { if (txn !== null) txn.undo.push(undo); });
    },
    /**
     * @param {AnyClass} canonical
     * @param {unknown} impl
     */
    early(canonical, impl) {
      assertOpen();
      const meta = metaOf(canonical);
      linking.set(canonical, linkClass(canonical, meta, impl));
    },
    /**
     * @param {AnyClass} canonical
     * @param {unknown} impl
     */
    install(canonical, impl) {
      assertOpen();
      const meta = metaOf(canonical);
      let linked = linking.get(canonical);
      if (linked === undefined || linked.impl !== impl) linked = linkClass(canonical, meta, impl);
      linking.delete(canonical);
      pending.patches.push(finishClass(canonical, meta, linked));
    },
    /**
     * @param {string} name
     * @param {unknown} impl
     */
    define(name, impl) {
      const canonical = api.cls(name);
      api.install(canonical, impl);
      return canonical;
    },
    /** @param {Function} fn an anonymous `export default function` */
    nameDefault(fn) {
      defineProperty(fn, "name", bare({ value: "default", configurable: true }));
    },
    /**
     * The instance fields this version of a top-level class declares, from a static block
     * at the top of its body (runtime/compile/field-initialisers.ts).
     * @param {string} name
     * @param {Array<[string, number]>} keys
     * @param {() => Record<string, Function>} factory
     */
    fields(name, keys, factory) {
      assertOpen();
      pending.fields.set(name, bare({ keys, factory }));
    },
    /**
     * A TC39 class decorator of a top-level class, as graft applies it: it gets the class
     * version being defined (what it returns becomes the version), and the callbacks it gives
     * `context.addInitializer` run with `this` = the class graft keeps, so what they register
     * is the class every later version patches.
     * @param {AnyClass} canonical
     * @param {unknown} decorator
     */
    classDecorator(canonical, decorator) {
      if (typeof decorator !== "function") throw new TypeError("a class decorator must be a function");
      /**
       * @param {unknown} value
       * @param {{ addInitializer: (f: Function) => void }} context
       */
      return (value, context) => {
        const own = assign({}, context);
        /** @param {unknown} initializer */
        own.addInitializer = (initializer) => {
          if (typeof initializer !== "function") return apply(context.addInitializer, context, [initializer]);
          return apply(context.addInitializer, context, [function () { return apply(initializer, canonical, []); }]);
        };
        return apply(decorator, undefined, [value, own]);
      };
    },
    /**
     * TypeScript's legacy (experimentalDecorators) member decorators, applied as its emit
     * does, right after the class is defined: each gets (target, key, descriptor) and may
     * return a new descriptor, which the target then holds.
     * @param {Function[]} decorators
     * @param {object} target the class graft keeps, or its prototype
     * @param {string} key
     * @param {PropertyDescriptor | null | undefined} descriptor null: the target's own (methods, accessors)
     */
    decorate(decorators, target, key, descriptor) {
      let current = descriptor === null ? ownDescriptor(target, key) : descriptor;
      for (let i = decorators.length - 1; i >= 0; i--) {
        const result = apply(/** @type {Function} */ (decorators[i]), undefined, [target, key, current]);
        if (result) current = result;
      }
      if (current) defineProperty(target, key, current);
    },
    /**
     * Legacy class decorators get the class graft keeps; one may change it, not replace it.
     * @param {Function[]} decorators
     * @param {AnyClass} canonical
     */
    decorateClass(decorators, canonical) {
      for (let i = decorators.length - 1; i >= 0; i--) {
        const result = apply(/** @type {Function} */ (decorators[i]), undefined, [canonical]);
        if (result !== undefined && result !== canonical) {
          throw new TypeError("graft: a legacy class decorator of " + metaOf(canonical).name + " returned another class; graft keeps one class object per top-level class, so a class decorator may change the class but not replace it (TC39 decorators may)");
        }
      }
    },
    /**
     * A legacy parameter decorator, as a member decorator: (target, key) -> decorator(target, key, index).
     * @param {number} index
     * @param {Function} decorator
     */
    param(index, decorator) {
      /** @param {object} target @param {string | undefined} key */
      return (target, key) => { apply(decorator, undefined, [target, key, index]); };
    },
    /** @param {unknown} evaluator */
    scope(evaluator) {
      if (typeof evaluator !== "function") throw new TypeError("graft: scope() expects the module's evaluator function");
      pending.evaluator = evaluator;
    },
    /** @param {unknown} specifier */
    dynamicImport(specifier) {
      return promiseReject(Promise, new Error("import(" + stringify(String(specifier)) + ") in " + file + ": dynamic import is not supported; use a static import"));
    },
  };
  const body = moduleFunction(api);
  // Up to the generator's first `yield`: for an async one, that part runs synchronously too.
  body.next();
  pending.body = body;
}

/**
 * Evaluates a linked version (the rest of its generator). A module with top-level await
 * returns its evaluation's promise: the reload engine waits for it.
 * @param {string} file
 */
function evaluateModule(file) {
  const pending = openTransaction().pending.get(file);
  const body = pending === undefined ? null : pending.body;
  if (pending === undefined || body === null) throw new Error("graft kernel: " + file + " was not linked in this transaction");
  pending.body = null;
  // An async generator's step is a promise, settled when the module has evaluated.
  return body.next();
}

/**
 * @param {FileRecord} record
 * @param {string} name
 * @param {CommitReport} report
 */
function retire(record, name, report) {
  const canonical = /** @type {AnyClass} */ (record.classes.get(name));
  const meta = metaOf(canonical);
  meta.retired = true;
  record.classes.delete(name);
  retiredRefs.push(new WeakRef(canonical));
  report.retired.push(bare({ file: record.file, name, version: meta.version }));
}

/** @param {FileRecord} record */
function runDisposers(record) {
  // Queued, not called: the host calls each under a time budget of its own (takeDisposer),
  // so a callback that loops or throws cannot undo the commit around it.
  for (const callback of record.disposers) disposeQueue.push(bare({ file: record.file, callback, data: record.hotData }));
  record.disposers = new SafeArray();
}

/**
 * The next import.meta.hot.dispose callback a commit queued: [file, callback, hot.data],
 * or undefined when none is left.
 */
function takeDisposer() {
  const next = disposeQueue.shift();
  return next === undefined ? undefined : list(next.file, next.callback, next.data);
}

/** @param {string} file */
function removeFile(file) {
  const transaction = openTransaction();
  const record = fileRecord(file);
  setNamespace(record, create(null));
  transaction.removed.push(file);
}

function commit() {
  const transaction = openTransaction();
  closeVersions(transaction);
  /** @type {CommitReport} */
  const report = bare({ patched: new SafeArray(), retired: new SafeArray(), disposeErrors: new SafeArray(), disposers: 0 });
  for (const pending of transaction.pending.values()) {
    const record = fileRecord(pending.file);
    runDisposers(record);
    record.disposers = pending.disposers;
    // Only the committed version's scope stays reachable for evaluate(): the previous one is dropped here.
    record.evaluator = pending.evaluator;
    for (const name of record.classOrder) if (!pending.defined.has(name)) retire(record, name, report);
    record.classOrder = pending.order;
    for (const name of pending.order) {
      const canonical = record.classes.get(name);
      if (canonical !== undefined) settleShape(canonical, pending.fields.get(name));
    }
    record.loaded = true;
    report.patched.push(...pending.patches);
  }
  for (const file of transaction.removed) {
    const record = fileRecord(file);
    runDisposers(record);
    for (const name of record.classOrder) retire(record, name, report);
    record.classOrder = new SafeArray();
    record.evaluator = null;
    // Its dispose callbacks have had the data: graft keeps nothing of a deleted file (R11),
    // so a hot.data that holds the file's own instances does not keep its retired classes alive.
    record.hotData = {};
    record.loaded = false;
  }
  txn = null;
  retiredRefs = retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
  supersededRefs = supersededRefs.filter((entry) => weakRefDeref(entry.ref) !== undefined);
  for (const entry of supersededRefs) entry.pending = false;
  report.disposers = disposeQueue.length;
  return stringify(report);
}

/**
 * The static method a class declares to migrate its live instances when a new version
 * changes their shape (renamed or removed fields), in the spirit of Erlang's code_change:
 * `static [Symbol.for("graft.migrate")](instance, fromVersion) { ... }`.
 */
const MIGRATE = Symbol.for("graft.migrate");

/**
 * @param {AnyClass} canonical
 * @returns {Function | undefined}
 */
function migrateHookOf(canonical) {
  const descriptor = ownDescriptor(canonical, MIGRATE);
  return descriptor !== undefined && typeof descriptor.value === "function" ? descriptor.value : undefined;
}

/**
 * The classes of the open transaction whose live instances need a pass before commit:
 * a committed class whose new version adds instance fields, or declares a migration hook
 * that is new or changed. The plans stay with the transaction for migrate().
 */
function pendingMigrations() {
  const transaction = openTransaction();
  /** @type {Array<AnyClass>} */
  const classes = new SafeArray();
  for (const pending of transaction.pending.values()) {
    const record = fileRecord(pending.file);
    for (const name of pending.order) {
      const canonical = record.classes.get(name);
      if (canonical === undefined) continue;
      const meta = metaOf(canonical);
      if (meta.committedVersion === 0) continue;
      const fields = pending.fields.get(name);
      /** @type {Array<[string, number]>} */
      const added = new SafeArray();
      if (fields !== undefined) for (const entry of fields.keys) if (!meta.fieldKeys.has(entry[0])) added.push(entry);
      const hook = migrateHookOf(canonical);
      const hookChanged = hook !== undefined && functionToString(hook) !== meta.migrateSource;
      if (added.length === 0 && !hookChanged) continue;
      transaction.migrations.set(canonical, bare({ added, factory: fields === undefined ? null : fields.factory, hook: hookChanged ? hook : undefined, fromVersion: meta.committedVersion }));
      classes.push(canonical);
    }
  }
  return classes;
}

/**
 * What a thrown value says, read without running script code (own data `message`).
 * @param {unknown} thrown
 */
function thrownText(thrown) {
  if (thrown === null || (typeof thrown !== "object" && typeof thrown !== "function")) return String(thrown);
  const descriptor = ownDescriptor(thrown, "message");
  const message = descriptor !== undefined && typeof descriptor.value === "string" ? descriptor.value : "";
  return (instanceClassName(thrown) ?? "Error") + (message === "" ? "" : ": " + message);
}

/**
 * Gives live instances of a class the fields its new version added (each initialiser run
 * with `this` = the instance) and runs its new or changed migration hook on each, all
 * journaled: a throw rolls the whole reload back.
 * @param {AnyClass} canonical
 * @param {ArrayLike<object> | undefined} instances every live instance (found on the heap by the host)
 * @returns {[string, number, string] | undefined} for an initialiser that threw: the field, its offset in the
 *   stripped script and what it threw (the host reports it where the field is written)
 */
function migrate(canonical, instances) {
  const transaction = openTransaction();
  const plan = transaction.migrations.get(canonical);
  if (plan === undefined || instances === undefined) return undefined;
  const meta = metaOf(canonical);
  /** @type {Record<string, Function> | null} */
  let initialisers = null;
  for (let i = 0; i < instances.length; i++) {
    const instance = /** @type {any} */ (instances[i]);
    for (const [key, offset] of plan.added) {
      const store = stringSlice(key, 0, 1) === "#" && meta.privates !== null ? meta.privates.fields.get(key) : undefined;
      if (store !== undefined ? store.has(instance) : hasOwn(instance, key)) continue;
      if (initialisers === null) {
        initialisers = /** @type {() => Record<string, Function>} */ (plan.factory)();
        setPrototypeOf(initialisers, getPrototypeOf(canonical.prototype));
      }
      let value;
      try {
        value = apply(/** @type {Function} */ (initialisers[key]), instance, []);
      } catch (thrown) {
        return list(key, offset, thrownText(thrown));
      }
      if (store !== undefined) {
        store.set(instance, value);
        journal(() => store.delete(instance));
      } else {
        defineProperty(instance, key, bare({ value, writable: true, enumerable: true, configurable: true }));
        journal(() => { delete instance[key]; });
      }
    }
  }
  const hook = plan.hook;
  if (hook === undefined) return undefined;
  for (let i = 0; i < instances.length; i++) {
    const instance = /** @type {any} */ (instances[i]);
    journalInstance(instance, meta);
    apply(hook, canonical, [instance, plan.fromVersion]);
  }
  return undefined;
}

/**
 * At commit: what the next reload compares a class's new version against.
 * @param {AnyClass} canonical
 * @param {FieldList | undefined} fields
 */
function settleShape(canonical, fields) {
  const meta = metaOf(canonical);
  meta.committedVersion = meta.version;
  meta.fieldKeys = new SafeSet();
  if (fields !== undefined) for (const entry of fields.keys) meta.fieldKeys.add(entry[0]);
  const hook = migrateHookOf(canonical);
  meta.migrateSource = hook === undefined ? null : functionToString(hook);
}

/**
 * How to put an instance back as it is now (own properties, prototype, the class's private
 * fields): what a migration hook may change. Objects it holds are live state, not copied.
 * @param {any} instance
 * @param {ClassMeta} meta
 */
function journalInstance(instance, meta) {
  const saved = ownDescriptors(instance);
  const prototype = getPrototypeOf(instance);
  const privates = new SafeArray();
  if (meta.privates !== null) {
    for (const store of meta.privates.fields.values()) privates.push(list(store, store.has(instance), store.get(instance)));
  }
  journal(() => {
    try {
      setPrototypeOf(instance, prototype);
      restoreOwnProperties(instance, saved, new SafeSet());
    } catch { /* a frozen instance: keeps what it can */ }
    for (const [store, had, value] of privates) {
      if (had) store.set(instance, value);
      else store.delete(instance);
    }
  });
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
    retiredRefs = retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
    for (const ref of retiredRefs) {
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

function retiredClasses() {
  retiredRefs = retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
  return retiredRefs.map((ref) => weakRefDeref(ref));
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
  for (const ref of retiredRefs) {
    const cls = weakRefDeref(ref);
    if (cls === undefined) continue;
    const meta = metaOf(cls);
    add(cls, "retired", meta.file, meta.name, meta.version);
    // Its last version's implementation lives as long as it does: plumbing, like any version.
    if (meta.cell.impl !== null) add(meta.cell.impl, "retired version", meta.file, meta.name, meta.version);
  }
  for (const entry of supersededRefs) {
    const impl = weakRefDeref(entry.ref);
    if (impl !== undefined) add(impl, entry.pending ? "version" : "superseded", entry.file, entry.name, entry.version);
  }
  return list(values, stringify(labels));
}

/** Drops the bookkeeping of versions that died: run after each full collection. */
function prune() {
  retiredRefs = retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
  supersededRefs = supersededRefs.filter((entry) => weakRefDeref(entry.ref) !== undefined);
}

/** [class, file, name, version] of every earlier class version still alive (a reload's pending ones aside). */
function supersededVersions() {
  supersededRefs = supersededRefs.filter((entry) => weakRefDeref(entry.ref) !== undefined);
  return supersededRefs.filter((entry) => !entry.pending).map((entry) => list(weakRefDeref(entry.ref), entry.file, entry.name, entry.version));
}

/** The class version an object was built by: its canonical class or a superseded version. */
/** @param {unknown} impl */
function versionOf(impl) {
  for (const entry of supersededRefs) if (weakRefDeref(entry.ref) === impl) return list(entry.file, entry.name, entry.version);
  return undefined;
}

/** @param {Record<string, unknown>} values */
function setHostExports(values) {
  const record = fileRecord("host");
  /** @type {Getters} */
  const getters = create(null);
  for (const key of objectKeys(values)) { const value = values[key]; getters[key] = () => value; }
  withTransaction(() => setNamespace(record, getters));
  record.loaded = true;
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

const PREVIEW_ENTRIES = 6;
const PREVIEW_STRING = 60;

/** @param {string} text */
function quote(text) {
  const short = text.length > PREVIEW_STRING ? stringSlice(text, 0, PREVIEW_STRING) + "..." : text;
  let quoted = "'";
  for (let i = 0; i < short.length; i++) {
    const code = stringCharCodeAt(short, i);
    quoted += code === 92 ? "\\\\" : code === 39 ? "\\'" : code === 10 ? "\\n" : short[i];
  }
  return quoted + "'";
}

/**
 * [A-Za-z0-9_$], digits only if `digits`.
 * @param {number} code
 * @param {boolean} digits
 */
function isIdentifierCode(code, digits) {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36 || (digits && code >= 48 && code <= 57);
}

/** A key that prints without quotes: /^[A-Za-z_$][\w$]*$/. */
/** @param {string} key */
function isIdentifier(key) {
  if (key.length === 0 || !isIdentifierCode(stringCharCodeAt(key, 0), false)) return false;
  for (let i = 1; i < key.length; i++) if (!isIdentifierCode(stringCharCodeAt(key, i), true)) return false;
  return true;
}

/** Source text that starts with the keyword `class`: /^class\b/. */
/** @param {string} text */
function isClassSource(text) {
  return stringSlice(text, 0, 5) === "class" && !(text.length > 5 && isIdentifierCode(stringCharCodeAt(text, 5), true));
}

/** The class an object was built by (its prototype's own constructor), as "Name" or null. */
/** @param {object} value */
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
/** @param {unknown} value */
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
/** @param {any} value */
function preview(value) {
  /** @type {{ kind: string, className: string | null, owner: unknown[] | null, items: string[], more: number }} */
  const result = bare({ kind: typeof value, className: null, owner: null, items: new SafeArray(), more: 0 });
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
    keys = ownKeys(value).filter((key) => typeof key === "string").filter((key) => !(key === "toString" && ownDescriptor(value, key)?.value === classToString));
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
  construct, invoke, isPrototypeOf, begin, rollback, commit, declareExports, instantiateModule, evaluateModule, removeFile,
  findSubclasses, getClass, classInfo, namespaceOf, namespaceKeys, classNames, retiredClasses, supersededVersions, versionOf, prune, heapClasses, setHostExports, plainKind,
  preview, evaluateIn, takeDisposer, setClassReader, pendingMigrations, migrate, setSourceReader,
};
})();
