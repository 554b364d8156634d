import { Lifetime, Scope, type QuickJSContext } from "quickjs-emscripten-core";
import { Kernel } from "../runtime/kernel/kernel.js";
import { ReloadEngine } from "../runtime/reload/reload-engine.js";
import { loadQuickJS, Vm } from "../runtime/vm/vm.js";
import { Scheduler, type AsyncFailure } from "../runtime/async/scheduler.js";
import { dumpThrown } from "../runtime/async/dump-thrown.js";
import { Bridge } from "./bridge.js";
import { HeapTools } from "./heap-tools.js";
import { installHostModule } from "./host-module.js";
import { ValueInspector } from "../runtime/inspect/value-inspector.js";
import { ScriptConsole } from "./script-console.js";
import type { RuntimeOptions } from "./types.js";

const DEFAULT_MEMORY_LIMIT = 256 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 1000;

/**
 * One VM and everything made in it for a runtime: the kernel, the reload engine, the timers,
 * the bridge to the host, the heap tools. A runtime has one world; with `reloadOnCrash` a
 * crashed world is replaced by a new one loaded from the files on disk.
 */
export interface World {
  /** The VM and everything made in it, released together, in the reverse order of making. */
  readonly parts: Scope;
  readonly vm: Vm;
  readonly kernelContext: QuickJSContext;
  readonly kernel: Kernel;
  readonly engine: ReloadEngine;
  readonly bridge: Bridge;
  readonly scheduler: Scheduler;
  readonly heapTools: HeapTools;
  readonly scriptConsole: ScriptConsole;
}

/** What a world tells the runtime that owns it. */
export interface WorldOwner {
  asyncFailure(world: World, failure: AsyncFailure): void;
  internalFailure(world: World, what: string, error: unknown): void;
  crashed(world: World): void;
}

/** Makes a world (its scripts not loaded yet: `world.engine.loadAll()`). */
export async function buildWorld(options: RuntimeOptions, root: string, owner: WorldOwner): Promise<World> {
  const memoryLimit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
  const module = await loadQuickJS(memoryLimit);
  // Each part is released with the scope, in the reverse order of making: at once if making
  // a later one fails, else when the world is released.
  const parts = new Scope();
  // The parts refer to each other (the VM reports to the world's owner, the kernel reads
  // class sources from the engine, the engine finds instances with the heap tools): each is
  // given its collaborators at construction, through these, which are set as parts are made.
  let world: World | undefined;
  let kernel: Kernel | undefined;
  let engine: ReloadEngine | undefined;
  const reportAsync = (failure: AsyncFailure): void => {
    if (world) owner.asyncFailure(world, failure);
  };
  try {
    const vm = own(
      parts,
      new Vm(
        module,
        { memoryLimit, timeout: options.timeout ?? DEFAULT_TIMEOUT_MS },
        {
          describeThrown: (context, thrown) => (kernel ? kernel.describeThrown(thrown) : dumpThrown(context, thrown)),
          jobFailed: (dumped, timedOut, realm) => reportAsync({ origin: "promise job", dumped, timedOut, file: engine?.fileOfContext(realm) }),
          crashed: () => {
            if (world) owner.crashed(world);
          },
          siteText: (site) => engine?.locate(site.evaluatedName, site.line, site.column) ?? `${site.evaluatedName}:${site.line}:${site.column}`,
        },
        options.reloadOnCrash === true,
      ),
      (made) => made.dispose(),
    );
    const kernelContext = parts.manage(vm.newContext());
    kernel = own(parts, new Kernel(kernelContext, vm, (file, name) => engine?.classSourceOf(file, name)), (made) => made.dispose());
    const values = own(parts, new ValueInspector(vm, kernelContext, kernel), (made) => made.dispose());
    const scheduler = own(parts, new Scheduler(vm, kernelContext, reportAsync, (context, file) => values.install(context, file)), (made) => made.free());
    engine = own(
      parts,
      new ReloadEngine(vm, kernel, root, scheduler, { decorators: options.decorators ?? "standard" }, (prototype) => world?.heapTools.instanceArray(prototype)),
      (made) => made.disposeNow(),
    );
    const mapError = engine.mapError.bind(engine);
    const bridge = own(
      parts,
      new Bridge(vm, kernel, kernelContext, mapError, options.debugHandles ?? false, scheduler, (what, error) => {
        if (world) owner.internalFailure(world, what, error);
      }),
      (made) => made.disposeAll(),
    );
    const loaded = engine;
    const loadedKernel = kernel;
    bridge.retirementOf = (file) => (loaded.isLoaded(file) ? `${file} no longer defines it` : "its file was deleted");
    const heapTools = new HeapTools(vm, kernel, kernelContext, engine, bridge, () => [...loadedKernel.functionHandles(), ...values.functionHandles(), ...scheduler.functionHandles()]);
    const scriptConsole = new ScriptConsole(values, mapError, options.console ?? undefined);
    world = { parts, vm, kernelContext, kernel, engine, bridge, scheduler, heapTools, scriptConsole };
    heapTools.selfCheck();
    installHostModule(bridge, options.host ?? {});
    return world;
  } catch (error) {
    parts.dispose();
    throw error;
  }
}

/** Makes `scope` release `part` (with `release`) when it is disposed. */
function own<T>(scope: Scope, part: T, release: (part: T) => void): T {
  scope.manage(new Lifetime(part, undefined, release));
  return part;
}
