/**
 * Type-level check (compiled by `npm run check` and by test/public-types.test.ts): the published
 * types (types/graft.d.ts) and the implementation (host-api/index.ts) agree. Every value
 * the package exports is declared, every public member of the runtime and of ScriptValue /
 * ScriptClass is declared, and the implementation is assignable to what is declared.
 */
import type { inspect } from "node:util";
import type * as Impl from "../host-api/index.js";
import type * as Published from "../types/graft.js";

type Check<T extends true> = T;
type Never<T> = [T] extends [never] ? true : false;
type Extends<A, B> = [A] extends [B] ? true : false;

type ImplModule = typeof import("../host-api/index.js");
type PublishedModule = typeof import("../types/graft.js");

export type EveryExportDeclared = Check<Never<Exclude<keyof ImplModule, keyof PublishedModule>>>;
export type NothingDeclaredThatIsNotThere = Check<Never<Exclude<keyof PublishedModule, keyof ImplModule>>>;

/** Public in the implementation for graft's own modules, marked @internal there: not published. */
type RuntimeInternals = "heapTools" | "scriptConsole" | "values" | "vm" | "kernelContext" | "kernel" | "engine" | "bridge" | "scheduler" | "reportAsyncFailure" | "reportInternalFailure" | "tapErrors" | "versionOf" | "sourceOf";
/** `console.log` of a ScriptValue (util.inspect's symbol): left out of the published types, which need no Node types. */
type ValueInternals = "vmHandle" | "referenceHandle" | typeof inspect.custom;
export type RuntimeMembersDeclared = Check<Never<Exclude<keyof Impl.GraftRuntime, keyof Published.GraftRuntime | RuntimeInternals>>>;
export type RuntimeMatches = Check<Extends<Impl.GraftRuntime, Published.GraftRuntime>>;
export type ValueMembersDeclared = Check<Never<Exclude<keyof Impl.ScriptValue, keyof Published.ScriptValue | ValueInternals>>>;
export type ValueMatches = Check<Extends<Impl.ScriptValue, Published.ScriptValue>>;
export type ClassMembersDeclared = Check<Never<Exclude<keyof Impl.ScriptClass, keyof Published.ScriptClass | ValueInternals>>>;
export type ClassMatches = Check<Extends<Impl.ScriptClass, Published.ScriptClass>>;

export type CreateRuntimeMatches = Check<Extends<ImplModule["createRuntime"], PublishedModule["createRuntime"]>>;
export type DefineHostMatches = Check<Extends<Parameters<ImplModule["defineHost"]>, Parameters<PublishedModule["defineHost"]>>>;
export type DescribeReloadMatches = Check<Extends<ImplModule["describeReload"], PublishedModule["describeReload"]>>;
export type OptionsMatch = Check<Extends<Published.RuntimeOptions, Impl.RuntimeOptions>>;
export type ReportsMatch = Check<Extends<Impl.ReloadReport, Published.ReloadReport>>;
export type LeaksMatch = Check<Extends<Impl.LeakReport, Published.LeakReport>>;
export type EventsMatch = Check<Extends<Impl.RuntimeEventMap, Published.RuntimeEventMap>>;
export type HeapGraphMatches = Check<Extends<Impl.HeapGraph, Published.HeapGraph>>;
export type HeapMatches = Check<Extends<Impl.RuntimeHeap, Published.RuntimeHeap>>;
export type HeapProgressMatches = Check<Extends<Impl.HeapProgress, Published.HeapProgress>>;
export type HeapWorkOptionsMatch = Check<Extends<Published.HeapWorkOptions, Impl.HeapWorkOptions>>;
