/**
 * Each file's record and its exports: the namespace compiled code reads imports from (the
 * exports as getters, so imports are live bindings, S3), and the ES module namespace
 * object of `import * as` (A3).
 */
"use strict";

/**
 * @param {KernelState} state
 * @param {ReturnType<typeof kernelJournal>} transactions
 */
const kernelNamespaces = (state, transactions) => {
const { ReferenceError } = globalThis;
const { files } = state;
const { journal, journalIfOpen, inTransaction, withTransaction } = transactions;

/** @param {string} file */
function fileRecord(file) {
  let record = files.get(file);
  if (record === undefined) {
    const namespace = create(null);
    defineProperty(namespace, toStringTag, bare({ value: "Module" }));
    record = { file, namespace, classes: new SafeMap(), classOrder: new SafeArray(), hotData: {}, disposers: new SafeArray(), loaded: false, exportKeys: new SafeArray(), evaluator: null, exotic: null, functions: new SafeArray(), version: 0 };
    files.set(file, record);
  }
  return record;
}

/**
 * @param {FileRecord} record
 * @param {Getters} getters without a prototype
 */
function setNamespace(record, getters) {
  const namespace = record.namespace;
  // One native read of what a rollback puts back (a reload's kernel work is mostly calls).
  const saved = descriptorTable(namespace);
  const savedKeys = record.exportKeys;
  journal(() => {
    const now = objectKeys(namespace);
    for (let i = 0; i < now.length; i++) delete namespace[/** @type {string} */ (now[i])];
    for (let i = 0; i < savedKeys.length; i++) {
      const key = /** @type {string} */ (savedKeys[i]);
      const descriptor = saved[key];
      if (descriptor !== undefined) defineProperty(namespace, key, descriptor);
    }
    record.exportKeys = savedKeys;
  });
  const old = intrinsicKeys(namespace);
  for (let i = 0; i < old.length; i++) {
    const key = /** @type {string} */ (old[i]);
    if (!hasOwn(getters, key)) delete namespace[key];
  }
  /** @type {string[]} */
  const keys = new SafeArray();
  const names = intrinsicKeys(getters);
  for (let i = 0; i < names.length; i++) {
    const key = /** @type {string} */ (names[i]);
    keys[i] = key;
    defineProperty(namespace, key, { get: getters[key], enumerable: true, configurable: true });
  }
  record.exportKeys = keys;
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
  journalIfOpen(() => { record.exotic = previous; });
  record.exotic = bare({ signature, proxy });
  return proxy;
}

/**
 * @param {string} file
 * @param {string[]} names
 * @param {string} explanation
 */
function declareExports(file, names, explanation) {
  const record = fileRecord(file);
  if (record.loaded) return;
  if (!inTransaction()) return withTransaction(() => declareExports(file, names, explanation));
  /** @type {Getters} */
  const getters = create(null);
  for (let i = 0; i < names.length; i++) {
    const name = /** @type {string} */ (names[i]);
    getters[name] = () => { throw new ReferenceError("'" + name + "' of " + file + " is not initialised yet: " + explanation); };
  }
  setNamespace(record, getters);
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

return bare({ fileRecord, setNamespace, namespaceObject, declareExports, setHostExports });
};
