/**
 * What the in-VM kernel keeps for the life of a runtime, and the types its parts share.
 * kernel.js makes one state and hands it to each part (kernel-*.js), which are evaluated
 * in order after intrinsics.js and privates.js. Each file defines one global `const`, a
 * function that holds no state of its own: a script that reaches this realm's Function
 * constructor can read global bindings, so what the kernel keeps lives only in the
 * closures kernel.js makes.
 */
"use strict";

/**
 * @typedef {Function & { prototype: any }} AnyClass a script's class, or a canonical one
 * @typedef {{ added: string[], changed: string[], removed: string[] }} MemberChanges
 * @typedef {{ file: string, name: string, version: number, created: boolean, prototype: MemberChanges,
 *   static: MemberChanges, newBase?: string, fields?: { added: string[], instances: number } }} Patch fields: instance
 *   fields the new version added, and how many live instances were given them
 * @typedef {{ patched: Patch[], retired: { file: string, name: string, version: number }[],
 *   disposeErrors: { file: string, message: string }[], disposers: number }} CommitReport disposers: how many
 *   import.meta.hot.dispose callbacks the commit queued for the host (takeDisposer)
 * @typedef {{ impl: AnyClass | null }} Cell the version a canonical class constructs with
 * @typedef {{ file: string, name: string, cell: Cell, version: number, retired: boolean,
 *   protoKeys: Key[], staticKeys: Key[], privates: PrivateState | null, committedVersion: number,
 *   fieldKeys: Set<string>, fieldsText: string, migrateSource: string | null }} ClassMeta privates: its #x state, kept across versions;
 *   committedVersion, fieldKeys, fieldsText, migrateSource: of the version last committed (0 before the first;
 *   fieldsText: its FieldList keys as compiled, "" for none)
 * @typedef {{ init: Function }} FieldInitialisers `init` with `this` = an instance gives the initial value of the field at the index it is given
 * @typedef {{ keys: string, initialisers: FieldInitialisers }} FieldList a version's instance fields: keys, the JSON text of
 *   [[key, offset in the stripped script], ...], and their initialisers
 * @typedef {{ added: Array<[string, number, number]>, initialisers: FieldInitialisers | null, hook: Function | undefined,
 *   fromVersion: number, patch: Patch | undefined }} MigrationPlan added: [key, offset, index among the version's fields];
 *   patch: the class's report, told how many instances got the fields
 * @typedef {(this: void, hotData: object) => void} Disposer
 * @typedef {{ file: string, namespace: Record<string, unknown>, classes: Map<string, AnyClass>,
 *   classOrder: string[], hotData: object, disposers: Disposer[], loaded: boolean, exportKeys: string[],
 *   evaluator: Function | null, exotic: { signature: string, proxy: object } | null,
 *   functions: Array<{ name: string, ref: WeakRef<Function> }>, version: number }} FileRecord
 *   namespace: the exports as getters, what compiled code reads imports from; exotic: the ES
 *   module namespace object (`import * as`) for the current export names; evaluator: runs
 *   REPL code in the running version's module scope; functions: the running version's
 *   top-level functions, weakly; version: the running version's number (0 before one ran)
 * @typedef {{ file: string, version: number, defined: Set<string>, order: string[], disposers: Disposer[],
 *   patches: Patch[], evaluator: Function | null, open: boolean, body: Generator | AsyncGenerator | null,
 *   fields: Map<string, FieldList>, functions: Record<string, unknown> | null }} PendingVersion a version being evaluated,
 *   until commit; closed (open false) at commit or rollback; functions: its top-level function
 *   bindings, handed over when its top level has run
 * @typedef {{ file: string, record: FileRecord, pending: PendingVersion, dependencies: string[], starExports: string[],
 *   typeOnly: string[], linking: Map<AnyClass, LinkedClass> }} VersionState what a version's ModuleApi works on
 *   (kernel-modules.js); linking: classes between phase 1 (static block) and phase 2 (end of definition)
 * @typedef {{ undo: (() => void)[], pending: Map<string, PendingVersion>, removed: string[],
 *   migrations: Map<AnyClass, MigrationPlan>, superseded: Superseded[] }} Transaction superseded: the class versions
 *   this transaction superseded (pending until it commits)
 * @typedef {{ [key: Key]: PropertyDescriptor }} Descriptors
 * @typedef {{ parent: object | null, protoParent: object | null, protoDescriptors: Descriptors,
 *   staticDescriptors: Descriptors, impl: AnyClass | null, version: number, protoKeys: Key[],
 *   staticKeys: Key[] }} SavedClass
 * @typedef {{ impl: AnyClass, patch: Patch, saved: SavedClass, early: boolean, staticName: boolean }} LinkedClass early: linked
 *   from the class's static block (its static initialisers ran between linkClass and finishClass); staticName: the
 *   version declares a static `name` (as linkClass found it)
 * @typedef {{ ref: WeakRef<AnyClass>, file: string, name: string, version: number, pending: boolean }} Superseded
 * @typedef {{ ref: WeakRef<Function>, file: string, name: string, version: number, removed: boolean }} SupersededFunction
 *   a top-level function of a version that a later one replaced (removed: the file was deleted)
 * @typedef {{ [name: string]: () => unknown }} Getters
 * @typedef {{ files: Map<string, FileRecord>, classMeta: WeakMap<AnyClass, ClassMeta>, retiredRefs: Array<WeakRef<AnyClass>>,
 *   supersededRefs: Array<Superseded>, supersededFunctions: Array<SupersededFunction>,
 *   disposeQueue: Array<{ file: string, callback: Disposer, data: object }> }} KernelState
 *   retiredRefs, supersededRefs and supersededFunctions: retired classes, earlier versions' classes and
 *   top-level functions, weakly (alive after a full GC means user code holds them); disposeQueue: the import.meta.hot.dispose callbacks a commit queued for the host
 */

/** @returns {KernelState} */
const newKernelState = () => bare({
  files: new SafeMap(),
  classMeta: new SafeWeakMap(),
  retiredRefs: new SafeArray(),
  supersededRefs: new SafeArray(),
  supersededFunctions: new SafeArray(),
  disposeQueue: new SafeArray(),
});
