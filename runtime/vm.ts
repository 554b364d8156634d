import type { QuickJSContext, QuickJSRuntime, QuickJSWASMModule } from "quickjs-emscripten-core";
import { dumpThrown } from "./async/dump-thrown.js";
import { interruptAtNextCall } from "./async/job-cutoff.js";
import { growthOf, newQuickJSInstance, type GrowthWatch } from "./wasm-instance.js";

/** A QuickJS instance (its own linear memory, capped at `memoryLimit`) for one runtime. */
export function loadQuickJS(memoryLimit: number): Promise<QuickJSWASMModule> {
  return newQuickJSInstance(memoryLimit);
}

/** Deep enough for real scripts, shallow enough that QuickJS, not Node, reports overflow. */
const MAX_STACK_BYTES = 256 * 1024;

export interface VmOptions {
  memoryLimit: number;
  timeout: number;
}

/** Jobs a timed-out drain stops one by one (each rejection may queue a few more). */
const MAX_STOPPED_JOBS = 100_000;

/** Raised by QuickJS when the interrupt handler stops a script. */
export const INTERRUPTED_MESSAGE = "interrupted";

/**
 * One QuickJS runtime shared by every script context. Owns the time budget: every
 * entry from the host into the VM runs under `guard`, which arms the deadline that the
 * interrupt handler checks (nested entries keep the outer deadline).
 */
export class Vm {
  readonly runtime: QuickJSRuntime;
  private deadline = Number.POSITIVE_INFINITY;
  private depth = 0;
  timedOut = false;
  private readonly growth: GrowthWatch;
  private refusalsAtEntry = 0;

  constructor(
    module: QuickJSWASMModule,
    readonly options: VmOptions,
  ) {
    this.runtime = module.newRuntime();
    this.growth = growthOf(module);
    this.runtime.setMemoryLimit(options.memoryLimit);
    this.runtime.setMaxStackSize(MAX_STACK_BYTES);
    this.runtime.setInterruptHandler(() => {
      if (Date.now() > this.deadline) {
        this.timedOut = true;
        return true;
      }
      return false;
    });
  }

  newContext(): QuickJSContext {
    return this.runtime.newContext();
  }

  /** Runs `work` with the timeout armed; the outermost entry owns the deadline. */
  guard<T>(work: () => T): T {
    if (this.depth === 0) {
      this.deadline = Date.now() + this.options.timeout;
      this.timedOut = false;
      this.refusalsAtEntry = this.growth.refusals;
    }
    this.depth++;
    try {
      return work();
    } finally {
      this.depth--;
      if (this.depth === 0) this.deadline = Number.POSITIVE_INFINITY;
    }
  }

  /**
   * True if the VM's memory reached its cap since the last outermost entry: an exception
   * from that entry is an out-of-memory, even when QuickJS had no memory left to build the
   * error (it then throws null).
   */
  get memoryExhausted(): boolean {
    return this.growth.refusals > this.refusalsAtEntry;
  }

  /**
   * Runs queued promise jobs (async functions, then-callbacks, microtasks) under the time
   * budget. A chain of jobs that keeps queueing more is stopped at the timeout, and so is
   * every job still queued then (each is rejected at its first call, see
   * interruptAtNextCall): nothing of it runs on in later drains. A failure goes to
   * `onJobFailure`, once per drain.
   */
  drainJobs(): void {
    if (!this.runtime.hasPendingJob()) return;
    this.guard(() => {
      const timedOutBefore = this.timedOut;
      let dumped: unknown;
      const result = this.runtime.executePendingJobs();
      if (result.error) {
        dumped = dumpThrown(result.error.context, result.error);
        result.error.dispose();
      }
      const timedOut = this.timedOut && !timedOutBefore;
      if (timedOut) this.stopPendingJobs();
      if (result.error || timedOut) this.onJobFailure?.(dumped, timedOut);
    });
  }

  /** With the deadline passed: runs each queued job into an immediate interrupt. */
  private stopPendingJobs(): void {
    for (let job = 0; job < MAX_STOPPED_JOBS && this.runtime.hasPendingJob(); job++) {
      if (!interruptAtNextCall(this.emscriptenModule.HEAPU8, this.runtimePointer)) return;
      const result = this.runtime.executePendingJobs(1);
      if (result.error) result.error.dispose();
    }
  }

  /** Told when a promise job failed outside any script's reach (see `drainJobs`). */
  onJobFailure: ((dumped: unknown, timedOut: boolean) => void) | undefined;

  /** Pointer to the JSRuntime in linear memory, for the heap tools. */
  get runtimePointer(): number {
    return (this.runtime as unknown as { rt: { value: number } }).rt.value;
  }

  /** The emscripten module whose HEAPU8 is the VM's linear memory. */
  get emscriptenModule(): { HEAPU8: Uint8Array } {
    return (this.runtime as unknown as { module: { HEAPU8: Uint8Array } }).module;
  }

  dispose(): void {
    this.runtime.removeInterruptHandler();
    this.runtime.dispose();
  }
}
