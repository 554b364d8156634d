/**
 * Modules: linking and evaluating a version of a file (A3), with the `api` its compiled
 * code calls (classes, exports, private slots, decorators, its REPL scope) and
 * `import.meta.hot` (R9: hot.data journaled, dispose callbacks kept for the commit).
 */
"use strict";

/**
 * @param {KernelState} state
 * @param {ReturnType<typeof kernelJournal>} transactions
 * @param {ReturnType<typeof kernelNamespaces>} namespaces
 * @param {ReturnType<typeof kernelGrafting>} grafting
 * @param {ReturnType<typeof kernelImports>} imports
 */
const kernelModules = (state, transactions, namespaces, grafting, imports) => {
const { Error, TypeError, SyntaxError, Promise } = globalThis;
const { classMeta } = state;
const { journal, journalIfOpen, openTransaction, restoreOwnProperties } = transactions;
const { fileRecord, setNamespace, namespaceObject } = namespaces;
const { makeCanonical, metaOf, linkClass, finishClass } = grafting;

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
 * What one version's compiled code calls while it is defined (`__graft`): its methods are
 * shared by every version (made once: an object literal of twenty methods costs ~17 us in
 * the VM, on every reload and for every file at start-up); each api holds its version's state.
 */
class ModuleApi {
  /** @type {VersionState} */
  #v;
  /**
   * @param {VersionState} v
   * @param {object} meta import.meta
   * @param {(specifier: unknown, options: unknown) => unknown} dynamicImport
   */
  constructor(v, meta, dynamicImport) {
    this.#v = v;
    this.meta = meta;
    // Bound once by the compiled code (`__graftImport`), so called without `this`.
    this.dynamicImport = dynamicImport;
  }

  /** Code after a top-level await may resume after its reload ended (rolled back at the timeout). */
  #assertOpen() {
    const v = this.#v;
    if (!v.pending.open) throw new Error("graft: this version of " + v.file + " was abandoned (its reload ended while it awaited at top level): it can no longer define classes or exports");
  }

  /** @param {number} index */
  require(index) { return fileRecord(/** @type {string} */ (this.#v.dependencies[index])).namespace; }

  /** @param {number} index */
  namespace(index) { return namespaceObject(fileRecord(/** @type {string} */ (this.#v.dependencies[index]))); }

  /** @param {Getters} getters */
  exports(getters) {
    this.#assertOpen();
    const { starExports, typeOnly, record } = this.#v;
    /** @type {Getters} */
    const all = create(null);
    for (let i = 0; i + 2 < starExports.length; i += 3) {
      const source = fileRecord(/** @type {string} */ (starExports[i + 1]));
      const exportName = /** @type {string} */ (starExports[i + 2]);
      all[/** @type {string} */ (starExports[i])] = exportName === "*" ? () => namespaceObject(source) : () => source.namespace[exportName];
    }
    assign(all, getters);
    for (let i = 0; i < typeOnly.length; i++) delete all[/** @type {string} */ (typeOnly[i])];
    setNamespace(record, all);
  }

  /**
   * The version's top-level function bindings, when its top level has run (the rewritten
   * module's last statement): kept weakly from commit on (leaks()).
   * @param {Record<string, unknown>} bindings
   */
  functions(bindings) {
    this.#assertOpen();
    this.#v.pending.functions = bindings;
  }

  /** @param {string} name */
  cls(name) {
    this.#assertOpen();
    const { pending, file, record } = this.#v;
    if (pending.defined.has(name)) throw new SyntaxError("class " + name + " is defined twice at the top level of " + file);
    pending.defined.add(name);
    pending.order.push(name);
    return canonicalFor(record, name);
  }

  /**
   * The slots of a top-level class's private members, asked for just before the class is
   * defined (runtime/compile/private-names.ts).
   * @param {string | AnyClass} name
   */
  privates(name) {
    this.#assertOpen();
    // By name before the class is defined; by the class itself for TypeScript's accessor storage.
    const canonical = typeof name === "string" ? canonicalFor(this.#v.record, name) : name;
    if (!classMeta.has(canonical)) throw new TypeError("graft: privates() expects a top-level class of " + this.#v.file);
    const meta = metaOf(canonical);
    if (meta.privates === null) meta.privates = newPrivateState();
    return privateSlots(canonical, meta.privates, journalIfOpen);
  }

  /**
   * From a static block at the top of a class whose static initialisers run code (R8).
   * @param {AnyClass} canonical
   * @param {unknown} impl
   */
  early(canonical, impl) {
    this.#assertOpen();
    const meta = metaOf(canonical);
    this.#v.linking.set(canonical, linkClass(canonical, meta, impl, true));
  }

  /**
   * Grafts a version of a top-level class once its definition has run (linked first, unless
   * its static block already did), with the instance fields it declares, if any
   * (runtime/compile/field-initialisers.ts).
   * @param {AnyClass} canonical
   * @param {unknown} impl
   * @param {string} [fieldKeys] JSON of [[key, offset in the stripped script], ...]
   * @param {FieldInitialisers} [initialisers]
   */
  install(canonical, impl, fieldKeys, initialisers) {
    this.#assertOpen();
    const { linking, pending } = this.#v;
    const meta = metaOf(canonical);
    let linked = linking.get(canonical);
    if (linked === undefined || linked.impl !== impl) linked = linkClass(canonical, meta, impl, false);
    linking.delete(canonical);
    if (fieldKeys !== undefined) pending.fields.set(meta.name, bare({ keys: fieldKeys, initialisers: /** @type {FieldInitialisers} */ (initialisers) }));
    pending.patches.push(finishClass(canonical, meta, linked));
  }

  /**
   * @param {string} name
   * @param {unknown} impl
   * @param {string} [fieldKeys]
   * @param {FieldInitialisers} [initialisers]
   */
  define(name, impl, fieldKeys, initialisers) {
    const canonical = this.cls(name);
    this.install(canonical, impl, fieldKeys, initialisers);
    return canonical;
  }

  /** @param {Function} fn an anonymous `export default function` */
  nameDefault(fn) {
    defineProperty(fn, "name", bare({ value: "default", configurable: true }));
  }

  /**
   * TC39 decorators (decorators.js): what the compiled code makes a Decoration with, for
   * each decorated class it defines, at the top level or later. Gives the script's
   * context `Symbol.metadata`.
   * @param {unknown} symbolConstructor
   */
  decorators(symbolConstructor) {
    return decoratorsFor(symbolConstructor);
  }

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
  }

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
  }

  /**
   * A legacy parameter decorator, as a member decorator: (target, key) -> decorator(target, key, index).
   * @param {number} index
   * @param {Function} decorator
   */
  param(index, decorator) {
    /** @param {object} target @param {string | undefined} key */
    return (target, key) => { apply(decorator, undefined, [target, key, index]); };
  }

  /** @param {unknown} evaluator */
  scope(evaluator) {
    if (typeof evaluator !== "function") throw new TypeError("graft: scope() expects the module's evaluator function");
    this.#v.pending.evaluator = evaluator;
  }
}
// Scripts' code holds an api while it is defined: nothing of it changes another version's.
setPrototypeOf(ModuleApi.prototype, null);
freeze(ModuleApi.prototype);
freeze(ModuleApi);

/** Read only, by index. @type {[string[], string[], string[]]} */
const NO_LISTS = /** @type {any} */ (freeze([freeze([]), freeze([]), freeze([])]));

/**
 * Links a version of a module: runs its compiled generator up to the point where its exports
 * are readable, before any module of the batch evaluates (ES's link step).
 * @param {string} file
 * @param {number} version
 * @param {(api: object) => Generator | AsyncGenerator} moduleFunction the compiled script (async when its top level awaits)
 * @param {string} lists JSON of [dependencies, starExports, typeOnly], "" when all three are empty:
 *   dependencies: files of its imports, in the order the compiled script asks for them;
 *   starExports: [name, file, exportName] flattened, what `export *` adds, resolved at link
 *   time to the module that binds each name (exportName "*": that module's namespace);
 *   typeOnly: export names left out, re-exports of names that are types only
 */
function instantiateModule(file, version, moduleFunction, lists) {
  /** @type {[string[], string[], string[]]} */
  const parsed = lists === "" ? NO_LISTS : parseJson(lists);
  const dependencies = parsed[0];
  const starExports = parsed[1];
  const typeOnly = parsed[2];
  const transaction = openTransaction();
  const record = fileRecord(file);
  /** @type {PendingVersion} */
  const pending = { file, version, defined: new SafeSet(), order: new SafeArray(), disposers: new SafeArray(), patches: new SafeArray(), evaluator: null, open: true, body: null, fields: new SafeMap(), functions: null };
  transaction.pending.set(file, pending);
  // Undone by a rollback to a savepoint before it (a start-up group's failed file): the
  // version is abandoned and leaves the transaction, which goes on with the others. (Over
  // the map, not the transaction: the journal is the transaction's, and a closure over it
  // would make the whole transaction a cycle for the collector.)
  const versions = transaction.pending;
  journal(() => {
    pending.open = false;
    versions.delete(file);
  });
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
  /** @type {VersionState} */
  const v = { file, record, pending, dependencies, starExports, typeOnly, linking: new SafeMap() };
  /**
   * @param {unknown} specifier
   * @param {unknown} options
   */
  const dynamicImport = (specifier, options) => imports.requestImport(file, specifier, options);
  const body = moduleFunction(new ModuleApi(v, { url: "graft:" + file, hot }, dynamicImport));
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

return bare({ instantiateModule, evaluateModule });
};
