import { Scope, type QuickJSContext, type QuickJSDeferredPromise, type QuickJSHandle } from "quickjs-emscripten-core";
import type { ValueBridge } from "./script-value.js";

/** The value (or error) a VM promise settles with. */
interface Settlement {
  handle: QuickJSHandle;
  fulfilled: boolean;
}

/**
 * Promises returned by async host functions, as VM promises the script awaits. Each
 * settles when the host's does: with the value copied in as a synchronous return value
 * would be (a value that cannot cross rejects with the same error), or rejected with the
 * host error's name and message. Pending jobs run right after. At dispose every pending
 * one is dropped: nothing runs in the VM afterwards.
 */
export class HostPromises {
  private readonly pending = new Set<QuickJSDeferredPromise>();
  private closed = false;

  constructor(
    private readonly bridge: Pick<ValueBridge, "vm" | "context" | "toVm">,
    /** Told when settling failed for a reason outside the script (the VM is out of memory). */
    private readonly onInternalError: (error: unknown) => void,
  ) {}

  /** A VM promise that follows `result`; the caller owns the returned handle. */
  toVm(result: PromiseLike<unknown>, functionName: string, context: QuickJSContext = this.bridge.context): QuickJSHandle {
    const deferred = this.bridge.context.newPromise();
    this.pending.add(deferred);
    Promise.resolve(result).then(
      (value) => this.settle(deferred, (scope) => this.fulfilment(value, functionName, scope, context)),
      (error: unknown) => this.settle(deferred, (scope) => ({ handle: this.rejection(error, scope), fulfilled: false })),
    );
    return deferred.handle.dup();
  }

  get size(): number {
    return this.pending.size;
  }

  /** The resolved value, built in `context` (the realm of the script that called). */
  private fulfilment(value: unknown, functionName: string, scope: Scope, context: QuickJSContext): Settlement {
    try {
      return { handle: this.bridge.toVm(value, scope, () => `the value host function ${functionName} resolved to`, context), fulfilled: true };
    } catch (error) {
      return { handle: this.rejection(error, scope), fulfilled: false };
    }
  }

  /** What a script sees when the host's promise rejects: an Error with the host's name and message. */
  private rejection(error: unknown, scope: Scope): QuickJSHandle {
    const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
    return scope.manage(this.bridge.context.newError({ name, message }));
  }

  /** Settles `deferred` with what `make` builds; the handles it makes belong to `scope`, released after. */
  private settle(deferred: QuickJSDeferredPromise, make: (scope: Scope) => Settlement): void {
    if (this.closed || !this.pending.delete(deferred)) return;
    try {
      Scope.withScope((scope) => {
        const { handle, fulfilled } = make(scope);
        this.bridge.vm.guard(() => (fulfilled ? deferred.resolve(handle) : deferred.reject(handle)));
      });
    } catch (error) {
      this.onInternalError(error);
    } finally {
      if (this.bridge.vm.crashed === undefined) deferred.dispose();
    }
    if (this.closed) return;
    try {
      this.bridge.vm.drainJobs();
    } catch (error) {
      // Called from a host promise's settlement: nobody else would catch it.
      this.onInternalError(error);
    }
  }

  /** Forgets every pending promise without entering the VM (it crashed: see wasm-traps.ts). */
  abandon(): void {
    this.closed = true;
    this.pending.clear();
  }

  /** Drops every pending promise's handles (the script's awaits never resume). */
  close(): void {
    this.closed = true;
    for (const deferred of this.pending) deferred.dispose();
    this.pending.clear();
  }
}
