import type { QuickJSContext } from "quickjs-emscripten-core";
import type { Vm } from "../vm/vm.js";
import type { Scheduler } from "../async/scheduler.js";

/**
 * Script contexts made ahead of their files' transactions: while compile workers compile a
 * start-up's scripts, the thread that owns the VM makes each script's context (as a
 * transaction would, timers installed). A transaction takes its file's context from here;
 * what no transaction took is disposed.
 */
export class PreparedContexts {
  private readonly contexts = new Map<string, QuickJSContext>();

  constructor(
    private readonly vm: Vm,
    private readonly scheduler: Scheduler,
  ) {}

  /** Makes a context for each file; stops at the first that cannot be made (its transaction will report why). */
  prepare(files: string[]): void {
    // No collection while they are made (one every few dozen contexts, to free nothing), nor
    // right after: the collector's threshold is then set as a collection would have set it.
    this.vm.withoutCollections(() => this.prepareEach(files), "as-collected");
  }

  private prepareEach(files: string[]): void {
    for (const file of files) {
      if (this.contexts.has(file)) continue;
      let context: QuickJSContext;
      try {
        context = this.vm.newContext();
      } catch {
        return;
      }
      this.contexts.set(file, context);
      this.scheduler.install(context, file);
    }
  }

  /** The context made for `file`, now the caller's, or undefined. */
  take(file: string): QuickJSContext | undefined {
    const context = this.contexts.get(file);
    this.contexts.delete(file);
    return context;
  }

  disposeAll(): void {
    for (const context of this.contexts.values()) if (context.alive) context.dispose();
    this.contexts.clear();
  }
}
