/**
 * The reload transaction and its journal (R3, R12): every change a reload makes to what
 * the kernel keeps records how to undo itself, so that a failed reload is undone
 * completely. One transaction is open at a time (begin, then commit or rollback).
 */
"use strict";

const kernelJournal = () => {
// Captured before any script runs, like everything in intrinsics.js.
const { Error } = globalThis;

/** @type {Transaction | null} */
let txn = null;

/** @param {() => void} undo */
function journal(undo) {
  openTransaction().undo.push(undo);
}

/**
 * Journals `undo` when a transaction is open; a change outside one (a query, a host call
 * between reloads) is never undone.
 * @param {() => void} undo
 */
function journalIfOpen(undo) {
  if (txn !== null) txn.undo.push(undo);
}

function openTransaction() {
  if (txn === null) throw new Error("graft kernel: no reload transaction is open");
  return txn;
}

function inTransaction() {
  return txn !== null;
}

/**
 * Puts back `target`'s own properties as `descriptors` holds them (keys in `skip` left alone).
 * @param {object} target
 * @param {Descriptors} descriptors
 * @param {Set<Key>} skip
 */
function restoreOwnProperties(target, descriptors, skip) {
  const present = ownKeys(target);
  for (let i = 0; i < present.length; i++) {
    const key = /** @type {Key} */ (present[i]);
    if (skip.has(key)) continue;
    if (!hasOwn(descriptors, key)) delete (/** @type {any} */ (target))[key];
  }
  const kept = ownKeys(descriptors);
  for (let i = 0; i < kept.length; i++) {
    const key = /** @type {Key} */ (kept[i]);
    if (skip.has(key)) continue;
    defineProperty(target, key, /** @type {PropertyDescriptor} */ (descriptors[key]));
  }
}

function begin() {
  if (txn !== null) throw new Error("graft kernel: a reload transaction is already open");
  txn = { undo: new SafeArray(), pending: new SafeMap(), removed: new SafeArray(), migrations: new SafeMap(), superseded: new SafeArray() };
}

/**
 * Runs a change that is never undone (declarations, the host module) outside a reload.
 * @param {() => void} change
 */
function withTransaction(change) {
  txn = { undo: new SafeArray(), pending: new SafeMap(), removed: new SafeArray(), migrations: new SafeMap(), superseded: new SafeArray() };
  try { change(); } finally { txn = null; }
}

/**
 * Versions of the transaction can no longer define anything (see instantiateModule's assertOpen).
 * @param {Transaction} transaction
 */
function closeVersions(transaction) {
  transaction.pending.forEach((pending) => { pending.open = false; });
}

function rollback() {
  if (txn === null) return;
  closeVersions(txn);
  const undo = txn.undo;
  txn = null;
  for (let i = undo.length - 1; i >= 0; i--) /** @type {() => void} */ (undo[i])();
}

/**
 * Where the open transaction's journal stands: rollbackTo(mark) undoes what was journaled
 * after it. Start-up runs many files in one transaction, each after a savepoint, so that a
 * file that fails is undone alone (the reload engine's start-up groups).
 */
function savepoint() {
  return openTransaction().undo.length;
}

/**
 * Undoes what the open transaction journaled since `mark` (a savepoint), newest first; the
 * transaction stays open with what came before. The undo steps run outside the transaction,
 * as a rollback's do, so that nothing they do is journaled again.
 * @param {number} mark
 */
function rollbackTo(mark) {
  const transaction = openTransaction();
  const undo = transaction.undo;
  txn = null;
  try {
    for (let i = undo.length - 1; i >= mark; i--) /** @type {() => void} */ (undo[i])();
  } finally {
    undo.length = mark;
    txn = transaction;
  }
}

/**
 * Ends the open transaction, keeping its changes (commit has applied them).
 * @param {Transaction} transaction
 */
function endTransaction(transaction) {
  if (txn !== transaction) throw new Error("graft kernel: this reload transaction is not the open one");
  txn = null;
}

return bare({ journal, journalIfOpen, openTransaction, inTransaction, restoreOwnProperties, begin, withTransaction, closeVersions, rollback, savepoint, rollbackTo, endTransaction });
};
