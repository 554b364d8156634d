/**
 * Class grafting: the canonical class graft keeps for each top-level class (R4, R6), and
 * how each new version's members, inheritance and statics are grafted onto it (R5, R7, R8),
 * journaled so a failed reload puts the class back as it was.
 */
"use strict";

/**
 * @param {KernelState} state
 * @param {ReturnType<typeof kernelJournal>} transactions
 */
const kernelGrafting = (state, transactions) => {
const { TypeError, ReferenceError, WeakRef } = globalThis;
const { classMeta } = state;
const { journal, restoreOwnProperties } = transactions;

const SKIP_STATIC = new SafeSet(list("prototype", "length", "name"));

/** @param {Key} key */
function keyLabel(key) {
  return typeof key === "symbol" ? "[" + (symbolDescription(key) ?? "symbol") + "]" : key;
}

/**
 * The host's reader of an object's QuickJS class name (values.js has the same): whether an
 * object is a Proxy cannot be asked in JavaScript without running its traps.
 * @type {((value: object) => string) | null}
 */
let classOf = null;

/** @param {(value: object) => string} reader */
function setClassReader(reader) {
  classOf = reader;
}

/**
 * Whether `value` is a Proxy (read from VM memory: no trap runs). Before the host set the
 * reader every object counts as one, so that nothing is looked into.
 * @param {object} value
 */
function isProxy(value) {
  return classOf === null || classOf(value) === "Proxy";
}

/** How many values one member's comparison reads, and how deep, before it calls the member changed. */
const MAX_COMPARED_VALUES = 10000;
const MAX_COMPARED_DEPTH = 32;

/**
 * Whether two data values are the same data: primitives by value, functions by source text,
 * plain arrays and plain objects member by member (own data properties, read without
 * running script code: no getter, no Proxy trap). Anything else (a Map, a class instance, a
 * Proxy, an accessor), a cycle, or more than the bounds above counts as different.
 * @param {unknown} a
 * @param {unknown} b
 * @param {{ left: number }} budget
 * @param {number} depth
 * @returns {boolean}
 */
function sameData(a, b, budget, depth) {
  if (sameValue(a, b)) return true;
  if (typeof a === "function" && typeof b === "function") return functionToString(a) === functionToString(b);
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (classOf === null || depth > MAX_COMPARED_DEPTH || --budget.left < 0) return false;
  const kind = classOf(a);
  if (kind !== classOf(b) || !plainOfKind(a, kind) || !plainOfKind(b, kind)) return false;
  const keys = ownKeys(a);
  const otherKeys = ownKeys(b);
  // Every member counts against the bound, so a table of 100,000 entries is "changed" at once.
  budget.left -= keys.length;
  if (keys.length !== otherKeys.length || budget.left < 0) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = /** @type {Key} */ (keys[i]);
    if (key !== otherKeys[i]) return false;
    const x = /** @type {PropertyDescriptor} */ (ownDescriptor(a, key));
    const y = /** @type {PropertyDescriptor} */ (ownDescriptor(b, key));
    if (!hasOwn(x, "value") || !hasOwn(y, "value") || x.enumerable !== y.enumerable || x.writable !== y.writable) return false;
    if (!sameData(x.value, y.value, budget, depth + 1)) return false;
  }
  return true;
}

/**
 * A plain array (prototype: some realm's Array.prototype) or plain object (prototype null or
 * some realm's Object.prototype): never a Proxy, an instance of a class, or another built-in.
 * @param {object} value
 * @param {string} kind its class name
 */
function plainOfKind(value, kind) {
  if (kind !== "Array" && kind !== "Object") return false;
  const proto = getPrototypeOf(value);
  if (proto === null) return kind === "Object";
  if (classOf === null || classOf(proto) !== kind) return false;
  const root = getPrototypeOf(proto);
  return kind === "Object" ? root === null && hasOwn(proto, "isPrototypeOf") : root !== null && classOf(root) === "Object" && getPrototypeOf(root) === null;
}

/**
 * Whether a member changed between two versions. Functions and accessors compare by
 * source text; data structurally (sameData: bounded, no script code run), so a forced
 * reload of `static verbs = ["look"]` reports nothing. Data is never serialised: that
 * would run a script's toJSON or getters.
 * @param {PropertyDescriptor} before
 * @param {PropertyDescriptor} after
 */
function memberChanged(before, after) {
  if (before.enumerable !== after.enumerable) return true;
  // Methods, the usual member: both data descriptors holding functions (an accessor's has no
  // `value`, own or inherited: descriptorTable).
  const value = before.value;
  const next = after.value;
  if (typeof value === "function" && typeof next === "function") return functionToString(value) !== functionToString(next);
  const beforeAccessor = !hasOwn(before, "value");
  if (beforeAccessor !== !hasOwn(after, "value")) return true;
  if (beforeAccessor) return sourceOf(before.get) !== sourceOf(after.get) || sourceOf(before.set) !== sourceOf(after.set);
  return !sameData(value, next, { left: MAX_COMPARED_VALUES }, 0);
}

/** @param {Function | undefined} fn */
function sourceOf(fn) {
  return fn === undefined ? "" : functionToString(fn);
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
  classMeta.set(canonical, { file, name, cell, version: 0, retired: false, protoKeys: new SafeArray(), staticKeys: new SafeArray(), privates: null, committedVersion: 0, fieldKeys: new SafeSet(), fieldsText: "", migrateSource: null });
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
    protoDescriptors: descriptorTable(canonical.prototype),
    staticDescriptors: descriptorTable(canonical),
    impl: meta.cell.impl,
    version: meta.version,
    // Never changed in place (grafting replaces them): kept as they are, not copied.
    protoKeys: meta.protoKeys,
    staticKeys: meta.staticKeys,
  };
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
 * Makes target's own members those of source (but a class's own `constructor`, or its
 * `prototype`, `length` and `name` for statics), removes the keys of `owned` that source no
 * longer has, and reports the differences against `before` (the descriptors target had when
 * the transaction began). Returns the keys now owned. Per member this is the hot loop of a
 * reload (~90 members for five classes), so it makes as few calls as it can.
 * @param {any} target
 * @param {object} source
 * @param {Key[]} owned
 * @param {boolean} statics
 * @param {MemberChanges} report
 * @param {Descriptors} before without a prototype
 * @param {boolean} assignable `before` is what target has now (no script code ran since it was read)
 * @returns {Key[]}
 */
function graftMembers(target, source, owned, statics, report, before, assignable) {
  /** @type {Key[]} */
  const defined = new SafeArray();
  const descriptors = descriptorTable(source);
  // Read by index only: a plain array of the kernel's realm.
  const keys = intrinsicOwnKeys(descriptors);
  for (let i = 0; i < keys.length; i++) {
    const key = /** @type {Key} */ (keys[i]);
    if (statics ? key === "prototype" || key === "length" || key === "name" : key === "constructor") continue;
    defined[defined.length] = key;
    const descriptor = /** @type {PropertyDescriptor} */ (descriptors[key]);
    const previous = before[key];
    if (previous === undefined) report.added[report.added.length] = keyLabel(key);
    else if (memberChanged(previous, descriptor)) report.changed[report.changed.length] = keyLabel(key);
    // A method over a method (writable, configurable, as enumerable: what a class defines) takes
    // an assignment (~0.3 us against ~1.5 for defineProperty, which reads six fields of the
    // descriptor). Only while `before` is what target has: no code ran since it was read.
    if (assignable && previous !== undefined && previous.writable === true && previous.configurable === true && descriptor.writable === true && previous.enumerable === descriptor.enumerable && key !== "__proto__") {
      target[key] = descriptor.value;
      continue;
    }
    if (descriptor.configurable !== true) descriptor.configurable = true;
    defineProperty(target, key, descriptor);
  }
  for (let i = 0; i < owned.length; i++) {
    const key = /** @type {Key} */ (owned[i]);
    if (descriptors[key] === undefined) {
      delete target[key];
      report.removed[report.removed.length] = keyLabel(key);
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
 * functions and the constructor. Runs from a static block at the top of the class body
 * when the class has static initialisers that run code, so that they can already use it
 * (R8); otherwise from install, right before finishClass.
 * @param {AnyClass} canonical
 * @param {ClassMeta} meta
 * @param {unknown} impl what the class definition evaluated to
 * @param {boolean} early from the static block: the class's static initialisers run before finishClass
 * @returns {LinkedClass}
 */
function linkClass(canonical, meta, impl, early) {
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
  meta.protoKeys = graftMembers(canonical.prototype, impl.prototype, meta.protoKeys, false, patch.prototype, saved.protoDescriptors, true);
  if (early) {
    // Until finishClass, statics are read through the new version: its initialisers are
    // still defining them on impl, and may read the ones defined before (R8).
    const owned = meta.staticKeys;
    for (let i = 0; i < owned.length; i++) delete (/** @type {any} */ (canonical))[/** @type {Key} */ (owned[i])];
    setPrototypeOf(canonical, impl);
  }
  // QuickJS names stack frames after a function's "name" property; a static `name`
  // member of the class (a method, accessor or field) is the class's own and stays.
  const staticName = hasStaticName(impl, meta);
  if (!staticName) defineProperty(impl, "name", { value: meta.name, configurable: true });
  if (meta.cell.impl !== null) {
    // Pending until the transaction commits: the journal holds it for a rollback, and it is
    // the running version until then (a leak query from a host function mid-reload must not report it).
    const superseded = { ref: new WeakRef(meta.cell.impl), file: meta.file, name: meta.name, version: meta.version, pending: true };
    state.supersededRefs.push(superseded);
    transactions.openTransaction().superseded.push(superseded);
    journal(() => { state.supersededRefs = state.supersededRefs.filter((entry) => entry !== superseded); });
  }
  meta.cell.impl = impl;
  meta.version += 1;
  return { impl, patch, saved, early, staticName };
}

/**
 * Whether a class version defines a static member called `name` (which ES lets replace the
 * class's name) rather than having the name its definition gave it.
 * @param {AnyClass} impl
 * @param {ClassMeta} meta
 */
function hasStaticName(impl, meta) {
  const descriptor = intrinsicDescriptor(impl, "name");
  if (descriptor === undefined) return false;
  if (!hasOwn(descriptor, "value")) return true;
  return !(typeof descriptor.value === "string" && (descriptor.value === "" || descriptor.value === meta.name));
}

/**
 * A member report's lists are plain arrays of the kernel's realm, filled by index: only the
 * commit's JSON.stringify reads them (the realm's prototypes are frozen).
 * @returns {MemberChanges}
 */
function memberChanges() {
  return bare({ added: [], changed: [], removed: [] });
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
  const { impl, saved, early } = linked;
  setPrototypeOf(canonical, getPrototypeOf(impl));
  meta.staticKeys = graftMembers(canonical, impl, meta.staticKeys, true, linked.patch.static, saved.staticDescriptors, !early);
  // Name, length and toString as below; left alone when the class already has them and no
  // code ran since the snapshot (the usual reload: the same three defines, ~3 us a class).
  const before = saved.staticDescriptors;
  if (early ? hasStaticName(impl, meta) : linked.staticName) {
    const name = /** @type {PropertyDescriptor} */ (intrinsicDescriptor(impl, "name"));
    name.configurable = true;
    defineProperty(canonical, "name", name);
  } else if (early || !isData(before.name, meta.name)) {
    defineProperty(canonical, "name", { value: meta.name, configurable: true });
  }
  // The constructor's parameter count, and the class's source, are the version's, not those of
  // the canonical class's forwarding constructor.
  if (early || !isData(before.length, impl.length)) defineProperty(canonical, "length", { value: impl.length, configurable: true });
  const toString = /** @type {PropertyDescriptor | undefined} */ (before[/** @type {Key} */ ("toString")]);
  if (!meta.staticKeys.includes("toString") && (early || !isData(toString, classToString) || toString?.writable !== true)) defineProperty(canonical, "toString", TO_STRING);
  return linked.patch;
}

/** `String(C)`'s own static (classToString), as graft defines it. */
const TO_STRING = freeze(bare({ value: classToString, writable: true, configurable: true }));

/**
 * Whether a descriptor is of a configurable data property holding `value` (what defining
 * `{ value, configurable: true }` over it would leave as it is).
 * @param {PropertyDescriptor | undefined} descriptor
 * @param {unknown} value
 */
function isData(descriptor, value) {
  return descriptor !== undefined && descriptor.configurable === true && hasOwn(descriptor, "value") && sameValue(descriptor.value, value);
}

return bare({ makeCanonical, metaOf, linkClass, finishClass, setSourceReader, setClassReader, classToString, SKIP_STATIC, isProxy });
};
