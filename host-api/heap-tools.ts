import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { contextPointerOf, HeapInspector, type ClassCount, type HeapGraph, type HeapProgress, type HeapWorkOptions } from "../runtime/heap/index.js";
import type { Kernel } from "../runtime/kernel/kernel.js";
import { VM_SOURCE_PREFIX } from "../runtime/kernel/vm-source.js";
import type { ReloadEngine } from "../runtime/reload/reload-engine.js";
import type { Vm } from "../runtime/vm/vm.js";
import type { Bridge } from "./bridge.js";
import { GraftError } from "./errors.js";
import { ScriptClass, type ScriptValue } from "./script-value.js";
import type { GcResult, LeakReport, RetainerPath } from "./types.js";

export type { ClassCount, HeapGraph, HeapProgress, HeapWorkOptions };

/** `heap.write(path, options)`: progress of writing the file, and a way to stop it. */
export interface HeapWriteOptions {
  /** Called as the file is written (at most about a hundred times): `done` of `total` steps. */
  onProgress?: (progress: { done: number; total: number }) => void;
  /**
   * Stops writing between pieces: the partial file is removed, the promise rejects with the
   * signal's reason. An AbortSignal (`AbortController().signal`), typed by what is read of it.
   */
  signal?: { readonly aborted: boolean; readonly reason?: unknown };
}

const MAX_PAST_CONTEXTS = 10_000;

/**
 * graft's heap tools (V2, H1, H3 in docs/rules.md) for the host: runtime/heap's inspector, told what graft
 * knows (its classes and versions from the kernel, each script's context, the handles the
 * host holds), with what it finds wrapped as ScriptValues.
 */
export class HeapTools {
  private readonly inspector: HeapInspector;
  /** Contexts seen running, by address: what a context that no longer runs is called. */
  private readonly pastContexts = new Map<number, { file: string; version: number }>();

  constructor(
    private readonly vm: Vm,
    kernel: Kernel,
    kernelContext: QuickJSContext,
    private readonly engine: ReloadEngine,
    private readonly bridge: Bridge,
    /** The host's handles on graft's in-VM functions, held until the world is disposed. */
    permanentRoots: () => QuickJSHandle[],
  ) {
    this.inspector = new HeapInspector(vm.runtime, kernelContext, {
      classes: () => kernel.heapClasses(),
      oldVersionsAlive: () => {
        const retired = kernel.retiredClasses();
        const superseded = kernel.supersededVersions();
        for (const handle of retired) handle.dispose();
        for (const entry of superseded) entry.impl.dispose();
        return retired.length + superseded.length + kernel.supersededFunctionCount();
      },
      contexts: () => this.contextNames(),
      hostHandles: () =>
        bridge.liveHandles().map(({ handle, group, origin }) =>
          group ? { handle, label: "the values of a findInstances() result the host holds" } : { handle, origin, site: bridge.origins.get(handle)?.trim().replace(/^at\s+/, "") },
        ),
      guard: (work) => vm.guard(work, "a heap query", false),
      locate: (evaluated, line, column) => engine.locate(evaluated, line, column),
      beforeCollect: () => vm.drainJobs(),
      // graft's in-VM code declares no var and assigns no function (test/permanent-objects.test.ts).
      fixedDeclarations: (filename) => filename.startsWith(VM_SOURCE_PREFIX),
      permanentRoots,
      afterCollect: () => kernel.callVoid("prune"),
    });
  }

  /**
   * JSContext address -> what the heap tools call it: the running script's file, or for a
   * context that no longer runs (its file deleted, or re-run in a new context) but is still
   * alive, the file and version it ran ("animals/cat.ts v1, deleted"). Addresses of contexts
   * seen before are remembered (at most MAX_PAST_CONTEXTS); a running context wins over a
   * remembered one at the same address.
   */
  private contextNames(): Map<number, string> {
    const engine = this.engine;
    const names = new Map<number, string>();
    const current = this.noteContexts();
    for (const [address, { file, version }] of this.pastContexts) {
      if (current.has(address)) continue;
      names.set(address, `${file} v${version}, ${engine.isLoaded(file) ? "superseded" : "deleted"}`);
    }
    for (const [address, file] of current) names.set(address, file);
    return names;
  }

  /** Remembers which file and version each running context runs (after every load and reload); returns address -> file. */
  noteContexts(): Map<number, string> {
    const current = new Map<number, string>();
    for (const [file, context] of this.engine.contexts()) {
      const address = contextPointerOf(context);
      current.set(address, file);
      this.pastContexts.delete(address);
      this.pastContexts.set(address, { file, version: this.engine.versionOf(file) ?? 0 });
    }
    while (this.pastContexts.size > MAX_PAST_CONTEXTS) this.pastContexts.delete(this.pastContexts.keys().next().value!);
    return current;
  }

  /** The start-up self-check of the heap layout; heap features refuse later if it failed. */
  selfCheck(): void {
    this.inspector.selfCheck();
  }

  gc(): GcResult {
    this.bridge.releaseBorrowed();
    return this.guard(() => this.inspector.gc());
  }

  snapshot(options: HeapWorkOptions = {}): HeapGraph {
    this.bridge.releaseBorrowed();
    return this.guard(() => this.inspector.snapshot(options));
  }

  /** Reads the heap now (the VM stops for that only); the promise settles once the file is written. */
  write(path: string, options: HeapWriteOptions = {}): Promise<void> {
    this.bridge.releaseBorrowed();
    return this.guard(() => this.inspector.write(path, options));
  }

  /** A .heapsnapshot of the heap as it is now, in pieces made as they are taken (for the inspector). */
  snapshotPieces(): { nodes: number; pieces: Generator<Uint8Array> } {
    return this.guard(() => this.inspector.snapshotPieces());
  }

  topClasses(limit = 20, options: { internal?: boolean } = {}): ClassCount[] {
    this.bridge.releaseBorrowed();
    return this.guard(() => this.inspector.topClasses(limit, options.internal === true));
  }

  /** The live instances of the class whose prototype `prototype` is, in one VM array the caller owns. */
  instanceArray(prototype: QuickJSHandle): QuickJSHandle | undefined {
    this.bridge.releaseBorrowed();
    return this.guard(() => this.inspector.instanceArray(prototype));
  }

  /** Every live instance of `cls` (never a prototype object), after a full GC. */
  findInstances(cls: ScriptClass | ScriptValue): ScriptValue[] {
    this.bridge.releaseBorrowed();
    const prototype = cls.get("prototype");
    try {
      if (!prototype.isReference) throw new GraftError("findInstances needs a class (a function with a prototype object)");
      const found = this.guard(() => this.inspector.findInstances(prototype.referenceHandle(this.bridge, "findInstances")));
      return this.bridge.adoptFound(found.objects, found.callable);
    } finally {
      prototype.dispose();
    }
  }

  /** Classes extending `base` anywhere in the VM, also ones created at run time; not those in `known`. */
  dynamicSubclasses(base: ScriptValue, inclusive: boolean, includeRetired: boolean, known: readonly ScriptValue[] = []): ScriptValue[] {
    this.bridge.releaseBorrowed();
    const knownHandles = known.map((value) => value.referenceHandle(this.bridge, "findSubclasses"));
    const handles = this.guard(() => this.inspector.dynamicSubclasses(base.referenceHandle(this.bridge, "findSubclasses"), inclusive, includeRetired, knownHandles));
    return handles.map((handle) => this.bridge.adoptReference(handle, true, "findSubclasses()"));
  }

  /** Shortest paths from roots to `value`, printed as H3 in docs/rules.md shows. */
  retainers(value: ScriptValue, limit = 3): RetainerPath[] {
    if (!value.isReference) return [];
    this.bridge.releaseBorrowed();
    // A ScriptClass's handle is weak: the class it resolves to is held for this query only.
    const queryOnly = value instanceof ScriptClass;
    return this.guard(() => this.inspector.retainers(value.referenceHandle(this.bridge, "retainers"), limit, queryOnly));
  }

  /**
   * Retired and superseded class versions, and top-level functions of replaced or deleted
   * versions, still alive after a full GC, with what holds them.
   */
  leaks(options: HeapWorkOptions = {}): LeakReport[] {
    this.bridge.releaseBorrowed();
    return this.guard(() => this.inspector.leaks(options));
  }

  /**
   * The heap features' own errors (an unsupported build, an unreadable heap) reach the host
   * as GraftError; so does a VM too full for the little the query makes in it (the kernel's
   * answers, the array holding found objects).
   */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof GraftError) throw error;
      if (this.vm.memoryExhausted) throw this.vm.outOfMemory("this heap query");
      if (error instanceof Error && (error.name === "HeapUnsupportedError" || error.name === "HeapReadError")) {
        throw new GraftError(`heap inspection is not available: ${error.message}. Everything else in graft keeps working.`);
      }
      throw error;
    }
  }
}
