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
 *
 * Its parts are files by concern, evaluated before this one (kernel.ts lists the order):
 * kernel-state.js (what it keeps, and the shared types), kernel-journal.js (the
 * transaction), kernel-namespaces.js (file records, exports), kernel-grafting.js (canonical
 * classes), kernel-imports.js (dynamic import()), kernel-modules.js (linking and evaluating a version, import.meta.hot),
 * kernel-previews.js (previews of values), kernel-commit.js (commit, retire, migrations),
 * kernel-queries.js (what the host asks between reloads). This file joins them: the
 * state exists only in the closures made here, and what it returns is the host's table.
 */
(function () {
"use strict";

const state = newKernelState();
const transactions = kernelJournal();
const namespaces = kernelNamespaces(state, transactions);
const grafting = kernelGrafting(state, transactions);
const imports = kernelImports(namespaces);
const modules = kernelModules(state, transactions, namespaces, grafting, imports);
const previews = kernelPreviews(state, grafting);
const lifecycle = kernelCommit(state, transactions, namespaces, grafting, previews);
const queries = kernelQueries(state, namespaces, grafting);

const { begin, rollback, savepoint, rollbackTo } = transactions;
const { declareExports, setHostExports } = namespaces;
const { setSourceReader } = grafting;
const { instantiateModule, evaluateModule } = modules;
const { preview } = previews;
const { setImportHandler, settleImport } = imports;
const { removeFile, commit, takeDisposer, pendingMigrations, migrate } = lifecycle;
const {
  construct, invoke, isPrototypeOf, findSubclasses, getClass, classInfo, weakClass, derefClass, namespaceOf, namespaceKeys, classNames, retiredClasses,
  supersededVersions, supersededFunctionCount, versionOf, prune, heapClasses, plainKind, evaluateIn,
} = queries;

/**
 * The host's reader of QuickJS class names, for the queries (plainKind) and for comparing
 * statics across versions (grafting's sameData).
 * @param {(value: object) => string} reader
 */
function setClassReader(reader) {
  queries.setClassReader(reader);
  grafting.setClassReader(reader);
}

return {
  construct, invoke, isPrototypeOf, begin, rollback, savepoint, rollbackTo, commit, declareExports, instantiateModule, evaluateModule, removeFile,
  findSubclasses, getClass, classInfo, weakClass, derefClass, namespaceOf, namespaceKeys, classNames, retiredClasses, supersededVersions, supersededFunctionCount, versionOf, prune, heapClasses, setHostExports, plainKind,
  preview, evaluateIn, takeDisposer, setClassReader, pendingMigrations, migrate, setSourceReader, setImportHandler, settleImport,
};
})();
