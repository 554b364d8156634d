/**
 * The end of a reload: commit (retiring the classes a file no longer defines, R10, and
 * queueing import.meta.hot.dispose callbacks for the host), removed files, and migrating
 * live instances to a new version's shape (added fields, the migration hook), journaled.
 */
"use strict";

/**
 * @param {KernelState} state
 * @param {ReturnType<typeof kernelJournal>} transactions
 * @param {ReturnType<typeof kernelNamespaces>} namespaces
 * @param {ReturnType<typeof kernelGrafting>} grafting
 * @param {ReturnType<typeof kernelPreviews>} previews
 */
const kernelCommit = (state, transactions, namespaces, grafting, previews) => {
const { WeakRef } = globalThis;
const { disposeQueue } = state;
const { journal, openTransaction, closeVersions, endTransaction, restoreOwnProperties } = transactions;
const { fileRecord, setNamespace } = namespaces;
const { metaOf } = grafting;
const { thrownText } = previews;
const PRUNE_MIN = 64;

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
  state.retiredRefs.push(new WeakRef(canonical));
  report.retired.push(bare({ file: record.file, name, version: meta.version }));
}

/**
 * The running version's top-level functions become superseded ones (weakly kept: alive after
 * a full GC means live data holds them, leaks()); the committed version's, if any, are the
 * running ones.
 * @param {FileRecord} record
 * @param {PendingVersion | null} next null: the file was deleted
 */
function supersedeFunctions(record, next) {
  for (let i = 0; i < record.functions.length; i++) {
    const { name, ref } = /** @type {{ name: string, ref: WeakRef<Function> }} */ (record.functions[i]);
    state.supersededFunctions.push(bare({ ref, file: record.file, name, version: record.version, removed: next === null }));
  }
  record.functions = new SafeArray();
  if (next === null) return;
  record.version = next.version;
  const bindings = next.functions;
  if (bindings === null) return;
  for (const name of objectKeys(bindings)) {
    const value = bindings[name];
    if (typeof value === "function") record.functions.push(bare({ name, ref: new WeakRef(value) }));
  }
}

/** @param {FileRecord} record */
function runDisposers(record) {
  // Queued, not called: the host calls each under a time budget of its own (takeDisposer),
  // so a callback that loops or throws cannot undo the commit around it.
  for (let i = 0; i < record.disposers.length; i++) disposeQueue.push(bare({ file: record.file, callback: /** @type {Disposer} */ (record.disposers[i]), data: record.hotData }));
  record.disposers = new SafeArray();
}

/** The weak lists' length at which a commit drops their collected entries. */
let pruneAt = PRUNE_MIN;

/**
 * Drops the entries of the weak lists whose class or function was collected, once they have
 * grown to twice what the last pruning left: each reload adds a few entries, and QuickJS
 * collects old versions (cycles through their prototypes) only at its collections, so the
 * lists hold tens to hundreds of entries between them; pruning them at every commit cost
 * ~0.7 us an entry. Queries prune before they read.
 */
function pruneWeakLists() {
  if (state.retiredRefs.length + state.supersededRefs.length + state.supersededFunctions.length < pruneAt) return;
  state.retiredRefs = state.retiredRefs.filter((ref) => weakRefDeref(ref) !== undefined);
  state.supersededRefs = state.supersededRefs.filter((entry) => weakRefDeref(entry.ref) !== undefined);
  state.supersededFunctions = state.supersededFunctions.filter((entry) => weakRefDeref(entry.ref) !== undefined);
  pruneAt = max(PRUNE_MIN, 2 * (state.retiredRefs.length + state.supersededRefs.length + state.supersededFunctions.length));
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
  // Loops here go by index and forEach: a SafeArray's or SafeSet's iterator costs ~2 µs a step in the VM.
  transaction.pending.forEach((pending) => {
    const record = fileRecord(pending.file);
    runDisposers(record);
    record.disposers = pending.disposers;
    // Only the committed version's scope stays reachable for evaluate(): the previous one is dropped here.
    record.evaluator = pending.evaluator;
    supersedeFunctions(record, pending);
    const before = record.classOrder;
    for (let i = 0; i < before.length; i++) {
      const name = /** @type {string} */ (before[i]);
      if (!pending.defined.has(name)) retire(record, name, report);
    }
    record.classOrder = pending.order;
    for (let i = 0; i < pending.order.length; i++) {
      const name = /** @type {string} */ (pending.order[i]);
      const canonical = record.classes.get(name);
      if (canonical !== undefined) settleShape(canonical, pending.fields.get(name));
    }
    record.loaded = true;
    for (let i = 0; i < pending.patches.length; i++) report.patched.push(/** @type {Patch} */ (pending.patches[i]));
  });
  for (const file of transaction.removed) {
    const record = fileRecord(file);
    runDisposers(record);
    for (const name of record.classOrder) retire(record, name, report);
    record.classOrder = new SafeArray();
    record.evaluator = null;
    supersedeFunctions(record, null);
    // Its dispose callbacks have had the data: graft keeps nothing of a deleted file (R11),
    // so a hot.data that holds the file's own instances does not keep its retired classes alive.
    record.hotData = {};
    record.loaded = false;
  }
  endTransaction(transaction);
  for (let i = 0; i < transaction.superseded.length; i++) /** @type {Superseded} */ (transaction.superseded[i]).pending = false;
  pruneWeakLists();
  report.disposers = disposeQueue.length;
  return stringify(reportRows(report));
}

/**
 * The commit's report as the host reads it (Kernel.commit): rows of arrays, not objects
 * (QuickJS's JSON.stringify of objects costs ~3.5x that of arrays holding the same values:
 * ~90 against ~25 us for five patched classes):
 * [[file, name, version, created, [added, changed, removed] of the prototype, the same of
 * statics, newBase or null, [fields added, instances] or null], ...], [[file, name, version],
 * ...] retired, disposers.
 * @param {CommitReport} report
 */
function reportRows(report) {
  // Array literals, filled by index: only stringify reads them (the realm's prototypes are frozen: no toJSON).
  const patched = [];
  for (let i = 0; i < report.patched.length; i++) {
    const patch = /** @type {Patch} */ (report.patched[i]);
    const { prototype, fields } = patch;
    const statics = patch.static;
    patched[i] = [patch.file, patch.name, patch.version, patch.created, [prototype.added, prototype.changed, prototype.removed], [statics.added, statics.changed, statics.removed], patch.newBase ?? null, fields === undefined ? null : [fields.added, fields.instances]];
  }
  const retired = [];
  for (let i = 0; i < report.retired.length; i++) {
    const entry = /** @type {{ file: string, name: string, version: number }} */ (report.retired[i]);
    retired[i] = [entry.file, entry.name, entry.version];
  }
  return [patched, retired, report.disposers];
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
  const descriptor = intrinsicDescriptor(canonical, MIGRATE);
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
  transaction.pending.forEach((pending) => {
    const record = fileRecord(pending.file);
    for (let i = 0; i < pending.order.length; i++) {
      const name = /** @type {string} */ (pending.order[i]);
      const canonical = record.classes.get(name);
      if (canonical === undefined) continue;
      const meta = metaOf(canonical);
      if (meta.committedVersion === 0) continue;
      const fields = pending.fields.get(name);
      /** @type {Array<[string, number, number]>} */
      const added = new SafeArray();
      // The same text as the committed version's: the same fields (the usual reload reads nothing).
      if (fields !== undefined && fields.keys !== meta.fieldsText) {
        const keys = fieldKeysOf(fields.keys);
        for (let k = 0; k < keys.length; k++) {
          const entry = /** @type {[string, number]} */ (keys[k]);
          if (!meta.fieldKeys.has(entry[0])) added.push(list(entry[0], entry[1], k));
        }
      }
      const hook = migrateHookOf(canonical);
      const hookChanged = hook !== undefined && functionToString(hook) !== meta.migrateSource;
      if (added.length === 0 && !hookChanged) continue;
      const patch = pending.patches.find((candidate) => candidate.name === name);
      if (patch !== undefined && added.length > 0) patch.fields = bare({ added: added.map((entry) => entry[0]), instances: 0 });
      transaction.migrations.set(canonical, bare({ added, initialisers: fields === undefined ? null : fields.initialisers, hook: hookChanged ? hook : undefined, fromVersion: meta.committedVersion, patch }));
      classes.push(canonical);
    }
  });
  return classes;
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
  /** @type {Function | null} */
  let initialise = null;
  let given = 0;
  for (let i = 0; i < instances.length; i++) {
    const instance = /** @type {any} */ (instances[i]);
    let gave = false;
    for (let k = 0; k < plan.added.length; k++) {
      const entry = /** @type {[string, number, number]} */ (plan.added[k]);
      const key = entry[0];
      const store = stringSlice(key, 0, 1) === "#" && meta.privates !== null ? meta.privates.fields.get(key) : undefined;
      if (store !== undefined ? store.has(instance) : hasOwn(instance, key)) continue;
      if (initialise === null) {
        const initialisers = /** @type {FieldInitialisers} */ (plan.initialisers);
        initialise = initialisers.init;
        // `super` in an initialiser reads the class's parent prototype, as in the class.
        setPrototypeOf(initialisers, getPrototypeOf(canonical.prototype));
      }
      let value;
      try {
        value = apply(initialise, instance, list(entry[2]));
      } catch (thrown) {
        return list(key, entry[1], thrownText(thrown));
      }
      if (store !== undefined) {
        store.set(instance, value);
        journal(() => store.delete(instance));
      } else {
        defineProperty(instance, key, bare({ value, writable: true, enumerable: true, configurable: true }));
        journal(() => { delete instance[key]; });
      }
      gave = true;
    }
    if (gave) given++;
  }
  if (plan.patch !== undefined && plan.patch.fields !== undefined) plan.patch.fields.instances = given;
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
 * A FieldList's keys, read from their text (compiled code's, "" for none).
 * @param {string} text
 * @returns {ArrayLike<[string, number]>}
 */
function fieldKeysOf(text) {
  return text === "" ? new SafeArray() : parseJson(text);
}

/**
 * At commit: what the next reload compares a class's new version against.
 * @param {AnyClass} canonical
 * @param {FieldList | undefined} fields
 */
function settleShape(canonical, fields) {
  const meta = metaOf(canonical);
  meta.committedVersion = meta.version;
  const text = fields === undefined ? "" : fields.keys;
  if (text !== meta.fieldsText) {
    meta.fieldsText = text;
    meta.fieldKeys = new SafeSet();
    const keys = fieldKeysOf(text);
    for (let i = 0; i < keys.length; i++) meta.fieldKeys.add(/** @type {[string, number]} */ (keys[i])[0]);
  }
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

return bare({ removeFile, commit, takeDisposer, pendingMigrations, migrate });
};
