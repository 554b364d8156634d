import { Scope, type QuickJSContext, type QuickJSHandle, type VmCallResult } from "quickjs-emscripten-core";
import { contextPointer, isOutOfMemoryValue, type Vm } from "../vm/vm.js";
import { GraftError } from "../graft-error.js";
import { describeVmError } from "../kernel/kernel.js";
import { vmSource } from "../kernel/vm-source.js";
import { ValuePeeker } from "../vm/value-tags.js";

/** The in-VM half, checked source beside the kernel, evaluated after the kernel's intrinsics. */
const ASYNC = vmSource("async.js");

/** Where an error that no script code can catch any more came from. */
export type AsyncOrigin = "setTimeout" | "setInterval" | "queueMicrotask" | "promise job";

/** An error of script code the host's event loop ran (a timer callback, a microtask). */
export interface AsyncFailure {
  origin: AsyncOrigin;
  /** The file whose context created the timer or microtask, when known. */
  file?: string;
  /** The thrown value, as dumped from the VM (undefined when the VM had nothing to give). */
  dumped: unknown;
  /** The callback or job was stopped at the timeout. */
  timedOut: boolean;
  /** The VM's memory reached its cap during the callback or job (then QuickJS may throw null: it had no memory for an error). */
  outOfMemory?: boolean;
  /** What graft did about it (an interval that timed out is cleared). */
  consequence?: string;
  /** The callback returned, but after this many ms, past the timeout (in builtins the timeout cannot stop). */
  overran?: number;
}

/** The owner of timers created by one evaluation of one file (see `runOwnedBy`). */
export type TimerOwner = string;

export function timerOwner(file: string, version: number): TimerOwner {
  return `${file}#${version}`;
}

interface TimerRecord {
  id: number;
  repeat: boolean;
  file: string;
  owner: TimerOwner | null;
  node: ReturnType<typeof setTimeout>;
}

interface Settlement {
  /** `result` is borrowed for the duration of the call: dup what you keep. */
  settled(fulfilled: boolean, result: QuickJSHandle): void;
  closed(): void;
}

type VmFunction = "add" | "microtask" | "fire" | "cancel" | "settle" | "installTimers";

/** Timers pending in one runtime at most: more is a timer storm (see Scheduler.timerStorm). */
export const MAX_PENDING_TIMERS = 10_000;

/**
 * Time in the VM, driven by the host's event loop: every script context gets setTimeout,
 * setInterval, their clear functions and queueMicrotask; each timer is a Node timer
 * (unref'd: graft keeps the host process alive only while the host awaits a script's
 * promise, see heldOpen) whose callback runs under the
 * time budget. Also turns the settlement of a VM promise into a host callback.
 *
 * Ownership: a timer created while `owner` is set (a file version's top-level code runs)
 * belongs to that version; the reload engine cancels a version's timers when the file is
 * re-run or removed, and a failed version's at rollback.
 */
export class Scheduler {
  private readonly functions = new Map<VmFunction, QuickJSHandle>();
  private readonly hooks: QuickJSHandle[] = [];
  private readonly timers = new Map<number, TimerRecord>();
  private readonly settlements = new Map<number, Settlement>();
  private nextSettlement = 1;
  private nextTimer = 1;
  private readonly peeker: ValuePeeker;
  /** Files by the number the VM knows them by (timer records, error reports). */
  private readonly files: string[] = [];
  private readonly fileIndex = new Map<string, number>();
  private owner: TimerOwner | null = null;
  /** While set, only timers of these owners fire; the others wait in `held` (see `holdExcept`). */
  private firing: Set<TimerOwner> | null = null;
  private readonly held = new Set<number>();
  private closed = false;
  /**
   * Host waits (`ScriptValue.promise()`) in progress: while there is one, script timers are
   * ref'd, so that the process stays up while a timer can still settle what the host awaits.
   */
  private hostWaits = 0;

  constructor(
    private readonly vm: Vm,
    /** The kernel's context: the timer table lives there, so the host holds only numbers. */
    private readonly context: QuickJSContext,
    private readonly onFailure: (failure: AsyncFailure) => void,
    /** What else a script context gets with its timers (its console), where every script context is set up. */
    private readonly alsoInstall: (context: QuickJSContext, file: string) => void = () => {},
  ) {
    this.peeker = new ValuePeeker(() => vm.emscriptenModule.HEAPU8);
    try {
      Scope.withScope((scope) => this.start(scope));
    } catch (error) {
      this.free();
      throw error;
    }
  }

  /** Evaluates the in-VM half (async.js) with the hooks it calls back through. */
  private start(scope: Scope): void {
    const { context, vm } = this;
    const hooks = scope.manage(context.newObject());
    this.hook(hooks, "report", (error, origin, file) => {
      this.onFailure({ origin: context.getString(origin) as AsyncOrigin, file: this.fileAt(file), dumped: vm.asInterrupted(vm.describeThrown(context, error)), timedOut: vm.timedOut, outOfMemory: vm.memoryExhausted });
    });
    this.hook(hooks, "settled", (id, fulfilled, value) => {
      const key = this.number(id);
      const settlement = this.settlements.get(key);
      if (settlement === undefined) return;
      this.settlements.delete(key);
      const flag = this.peeker.peek(fulfilled);
      settlement.settled(flag.kind === "boolean" && flag.value, value);
    });
    // A script context's timer globals, made on their first read (installTimers in async.js).
    const timers = context.newFunction("timers", (file, realm) => this.makeTimers(this.number(file), this.number(realm)));
    this.hooks.push(timers);
    context.setProp(hooks, "timers", timers);
    const factory = scope.manage(context.unwrapResult(context.evalCode(ASYNC.source, ASYNC.evaluatedName)));
    const api = scope.manage(context.unwrapResult(context.callFunction(factory, context.undefined, hooks)));
    for (const name of ["add", "microtask", "fire", "cancel", "settle", "installTimers"] as const) this.functions.set(name, context.getProp(api, name));
  }

  private hook(target: QuickJSHandle, name: string, fn: (...args: QuickJSHandle[]) => void): void {
    const handle = this.context.newFunction(name, (...args) => {
      fn(...args);
    });
    this.hooks.push(handle);
    this.context.setProp(target, name, handle);
  }

  /** A number the VM passed (ids, file indexes), read from its JSValue without a VM call. */
  private number(handle: QuickJSHandle | undefined): number {
    const peeked = handle === undefined ? undefined : this.peeker.peek(handle);
    return peeked?.kind === "number" ? peeked.value : Number.NaN;
  }

  private fileAt(handle: QuickJSHandle): string | undefined {
    return this.files[this.number(handle)];
  }

  /**
   * Gives a script context its timer globals, bound to `file`: made on their first read, as
   * host functions of that context (a few C function objects, no bytecode per context), by
   * makeTimers. Creating a timer is one VM call into the kernel's table with numbers only;
   * the host numbers the timer.
   */
  install(context: QuickJSContext, file: string): void {
    let index = this.fileIndex.get(file);
    if (index === undefined) {
      index = this.files.push(file) - 1;
      this.fileIndex.set(file, index);
    }
    // Once per script context (start-up makes thousands): the VM's direct call, no Scope.
    const kernel = this.context;
    const fileNumber = kernel.newNumber(index);
    const realm = kernel.newNumber(contextPointer(context));
    let result: VmCallResult<QuickJSHandle>;
    try {
      result = this.vm.callFunction(kernel, this.functions.get("installTimers")!, kernel.undefined, [context.global, fileNumber, realm]);
    } finally {
      fileNumber.dispose();
      realm.dispose();
    }
    if (result.error) {
      // A full VM (the one way graft's own installTimers fails): the reload fails as out of memory, never with QuickJS's raw error.
      const exhausted = this.vm.memoryExhausted;
      const thrown = this.vm.describeThrown(kernel, result.error);
      result.error.dispose();
      if (exhausted || isOutOfMemoryValue(thrown)) throw this.vm.outOfMemory(`setting up the timers of ${file}`, thrown);
      throw new GraftError(`graft could not give ${file} its timers: ${describeVmError(thrown)}`);
    }
    result.value.dispose();
    this.alsoInstall(context, file);
  }

  /**
   * The timer globals of the script context at `realm`, as a VM array (in the kernel's context)
   * of its five functions, in installTimers' order; undefined when that context is gone.
   */
  private makeTimers(fileNumber: number, realm: number): QuickJSHandle | undefined {
    const context = this.vm.contextAt(realm);
    const file = this.files[fileNumber];
    if (!context || file === undefined) return undefined;
    const add = (repeat: boolean) => (callback?: QuickJSHandle, delay?: QuickJSHandle, ...args: QuickJSHandle[]) => this.add(repeat, fileNumber, file, callback, delay, args);
    const globals: [string, (...args: QuickJSHandle[]) => VmCallResult<QuickJSHandle> | QuickJSHandle | void][] = [
      ["setTimeout", add(false)],
      ["setInterval", add(true)],
      ["clearTimeout", (id) => this.clear(id)],
      ["clearInterval", (id) => this.clear(id)],
      ["queueMicrotask", (callback) => this.callVm("microtask", [fileNumber, callback])],
    ];
    const made = this.context.newArray();
    globals.forEach(([name, implementation], index) => {
      const fn = context.newFunction(name, implementation);
      this.context.setProp(made, index, fn);
      fn.dispose();
    });
    return made;
  }

  private add(repeat: boolean, fileNumber: number, file: string, callback: QuickJSHandle | undefined, delay: QuickJSHandle | undefined, args: QuickJSHandle[]): VmCallResult<QuickJSHandle> {
    if (this.closed) return { value: this.context.undefined };
    if (this.timers.size >= MAX_PENDING_TIMERS) return this.timerStorm(file);
    const id = this.nextTimer++;
    const result = this.callVm("add", [id, repeat, fileNumber, callback, delay, args.length > 0 ? args : undefined]);
    if (result.error) return result;
    const ms = this.number(result.value);
    result.value.dispose();
    this.schedule(id, Number.isNaN(ms) ? 1 : ms, repeat, file);
    return { value: this.context.newNumber(id) };
  }

  /**
   * A timer too many (a timer fork bomb: `const f = () => { setTimeout(f, 0); setTimeout(f, 0) }`):
   * every timer of the file that made it is cleared, so nothing of the storm runs on, and
   * the setTimeout that overflowed throws a RangeError in the script. Its callback's
   * failure is then the one report of the storm.
   */
  private timerStorm(file: string): VmCallResult<QuickJSHandle> {
    const ids = [...this.timers.values()].filter((record) => record.file === file).map((record) => record.id);
    this.cancel(ids);
    const error = this.context.newError({
      name: "RangeError",
      message: `too many timers: more than ${MAX_PENDING_TIMERS} pending in this runtime; every timer of ${file} (${ids.length}) was cleared`,
    });
    return { error };
  }

  private clear(idHandle: QuickJSHandle | undefined): void {
    const id = this.number(idHandle);
    if (this.timers.has(id)) this.cancel([id]);
  }

  /** Calls a function of the in-VM half; plain values and arrays of handles become VM values for the call. */
  private callVm(name: VmFunction, args: (QuickJSHandle | string | number | boolean | undefined | QuickJSHandle[])[], what?: string): VmCallResult<QuickJSHandle> {
    const context = this.context;
    if (this.closed) return { value: context.undefined };
    return Scope.withScope((scope) => {
      const handles = args.map((arg) => {
        if (arg === undefined) return context.undefined;
        if (typeof arg === "boolean") return arg ? context.true : context.false;
        if (typeof arg === "string") return scope.manage(context.newString(arg));
        if (typeof arg === "number") return scope.manage(context.newNumber(arg));
        if (Array.isArray(arg)) {
          const array = scope.manage(context.newArray());
          arg.forEach((item, index) => context.setProp(array, index, item));
          return array;
        }
        return arg;
      });
      return this.vm.guard(() => context.callFunction(this.functions.get(name)!, context.undefined, ...handles), what);
    });
  }

  /** Runs `work` with timers created meanwhile owned by `owner` (null: nobody's). */
  runOwnedBy<T>(owner: TimerOwner | null, work: () => T): T {
    const previous = this.owner;
    this.owner = owner;
    try {
      return work();
    } finally {
      this.owner = previous;
    }
  }

  /** Clears the owner (returned, for `restoreOwnership`): cheaper than a closure on the call path. */
  suspendOwnership(): TimerOwner | null {
    const owner = this.owner;
    this.owner = null;
    return owner;
  }

  restoreOwnership(owner: TimerOwner | null): void {
    this.owner = owner;
  }

  /** Sets the owner until `endOwnership` (a top-level await keeps a version's top level running). */
  beginOwnership(owner: TimerOwner): void {
    this.owner = owner;
  }

  endOwnership(): void {
    this.owner = null;
  }

  /**
   * Until `release`, only timers owned by `owners` fire (a version awaiting at top level
   * may wait on its own timers); the rest fire, in order, when released.
   */
  holdExcept(owners: Iterable<TimerOwner>): void {
    this.firing = new Set(owners);
  }

  /** While timers are held, the timers of `owner` fire too (a file loaded into the waiting transaction). */
  alsoFiring(owner: TimerOwner): void {
    this.firing?.add(owner);
  }

  release(): void {
    this.firing = null;
    const due = [...this.held];
    this.held.clear();
    for (const id of due) {
      const record = this.timers.get(id);
      if (record) this.fire(record);
    }
  }

  /** Cancels every timer owned by one of `owners`. */
  cancelOwned(owners: Iterable<TimerOwner>): void {
    const set = new Set(owners);
    const ids = [...this.timers.values()].filter((record) => record.owner !== null && set.has(record.owner)).map((record) => record.id);
    this.cancel(ids);
  }

  /** Timers waiting to fire (for tests and tools). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Calls `settlement.settled` once `value` settles (a promise, a thenable, or a plain value
   * at once); `settlement.closed` if the runtime is disposed first.
   */
  whenSettled(value: QuickJSHandle, settlement: Settlement, options: { hostWaits?: boolean } = {}): void {
    if (this.closed) return settlement.closed();
    if (options.hostWaits) settlement = this.heldOpen(settlement);
    const id = this.nextSettlement++;
    this.settlements.set(id, settlement);
    const result = this.callVm("settle", [value, id]);
    if (result.error) {
      // Reading the value's `then` threw (or timed out): that is its rejection.
      this.settlements.delete(id);
      try {
        settlement.settled(false, result.error);
      } finally {
        result.error.dispose();
      }
    } else {
      result.value.dispose();
    }
    this.vm.drainJobs();
  }

  /**
   * `settlement`, counted as a host wait until it is told: Node's timers of the scripts keep
   * the process alive meanwhile (they are unref'd again once no host waits), so a host that
   * awaits a promise a script timer settles is not ended by an empty event loop. With no
   * script timer pending (and no host promise, which keeps itself alive), nothing could
   * settle it, and nothing holds the process.
   */
  private heldOpen(settlement: Settlement): Settlement {
    this.countHostWait(1);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.countHostWait(-1);
    };
    return {
      settled: (fulfilled, result) => {
        finish();
        settlement.settled(fulfilled, result);
      },
      closed: () => {
        finish();
        settlement.closed();
      },
    };
  }

  private countHostWait(delta: number): void {
    const before = this.hostWaits > 0;
    this.hostWaits += delta;
    const after = this.hostWaits > 0;
    if (before === after) return;
    for (const record of this.timers.values()) {
      if (after) record.node.ref();
      else record.node.unref();
    }
  }

  private schedule(id: number, delay: number, repeat: boolean, file: string): void {
    if (this.closed) return;
    const run = (): void => {
      const record = this.timers.get(id);
      if (record) this.fire(record);
    };
    const node = repeat ? setInterval(run, delay) : setTimeout(run, delay);
    if (this.hostWaits === 0) node.unref();
    this.timers.set(id, { id, repeat, file, owner: this.owner, node });
  }

  private unschedule(id: number): void {
    const record = this.timers.get(id);
    if (!record) return;
    clearTimeout(record.node);
    this.timers.delete(id);
    this.held.delete(id);
  }

  /**
   * A Node timer's callback: nothing may escape it (the host process would end). A VM that
   * crashed is reported by the runtime; anything else that stopped the call (V8's stack
   * overflowing inside the VM) is the callback's error.
   */
  private fire(record: TimerRecord): void {
    try {
      this.fireNow(record);
    } catch (error) {
      if (this.closed || this.vm.crashed !== undefined) return;
      if (!record.repeat) this.timers.delete(record.id);
      const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
      this.onFailure({ origin: record.repeat ? "setInterval" : "setTimeout", file: record.file, dumped: { name: name === "HostStackOverflow" ? "RangeError" : name, message }, timedOut: false });
    }
  }

  private fireNow(record: TimerRecord): void {
    this.vm.asOneCall(() => this.fireOne(record));
  }

  private fireOne(record: TimerRecord): void {
    if (this.closed) return;
    if (this.firing !== null && (record.owner === null || !this.firing.has(record.owner))) {
      this.held.add(record.id);
      return;
    }
    if (!record.repeat) this.timers.delete(record.id);
    // A version awaiting at top level may wait on its own timers: they stay its top-level code.
    const owner = record.owner !== null && this.firing?.has(record.owner) ? record.owner : null;
    const started = record.repeat ? Date.now() : 0;
    const what = `the ${record.repeat ? "setInterval" : "setTimeout"} callback of ${record.file}`;
    const result = this.runOwnedBy(owner, () => this.callVm("fire", [record.id], what));
    if (this.closed) {
      // The callback disposed the runtime (through a host function): nothing more enters the VM.
      (result.error ?? result.value).dispose();
      return;
    }
    if (result.error) {
      const timedOut = this.vm.timedOut;
      const outOfMemory = this.vm.memoryExhausted;
      const dumped = this.vm.asInterrupted(this.vm.describeThrown(this.context, result.error));
      result.error.dispose();
      let consequence: string | undefined;
      if (timedOut && record.repeat) {
        this.cancel([record.id]);
        consequence = "the interval was cleared so that it cannot stall the host again";
      } else if (outOfMemory && record.repeat) {
        // It would fail the same way every period, and report it every time.
        this.cancel([record.id]);
        consequence = "the interval was cleared: it ran out of memory, and would again at every period";
      }
      this.onFailure({ origin: record.repeat ? "setInterval" : "setTimeout", file: record.file, dumped, timedOut, outOfMemory, consequence });
    } else {
      result.value.dispose();
      // A callback that ran past its budget inside builtins (which the timeout cannot stop,
      // see Vm) and then returned: it would stall the host again at every period.
      const ran = record.repeat ? Date.now() - started : 0;
      if (ran > this.vm.options.timeout && this.timers.has(record.id)) {
        this.cancel([record.id]);
        this.onFailure({
          origin: "setInterval",
          file: record.file,
          dumped: undefined,
          timedOut: true,
          overran: ran,
          consequence: "the interval was cleared so that it cannot stall the host again",
        });
      }
    }
    if (!this.closed) this.vm.drainJobs();
  }

  private cancel(ids: number[]): void {
    if (ids.length === 0 || this.closed) return;
    for (const id of ids) this.unschedule(id);
    const numbers = ids.map((id) => this.context.newNumber(id));
    try {
      const result = this.callVm("cancel", [numbers]);
      // The host's timers are gone already; a VM too full to update its table keeps a stale
      // entry (never fired) rather than failing the caller.
      (result.error ?? result.value).dispose();
    } finally {
      numbers.forEach((handle) => handle.dispose());
    }
  }

  /**
   * Stops every timer and tells every waiting settlement; nothing is scheduled or run
   * afterwards. Safe while the VM is inside one of these functions (`free` comes later).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const record of this.timers.values()) clearTimeout(record.node);
    this.timers.clear();
    this.held.clear();
    const waiting = [...this.settlements.values()];
    this.settlements.clear();
    for (const settlement of waiting) settlement.closed();
  }

  /** Releases the VM functions, once no call into the VM is under way. */
  /** The functions of async.js the host calls: held from construction until free(). */
  functionHandles(): QuickJSHandle[] {
    return [...this.functions.values()];
  }

  free(): void {
    this.close();
    for (const handle of this.functions.values()) handle.dispose();
    this.functions.clear();
    for (const handle of this.hooks) handle.dispose();
    this.hooks.length = 0;
  }
}

