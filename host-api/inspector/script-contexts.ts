import { pathToFileURL } from "node:url";
import path from "node:path";
import type { InspectedRuntime } from "./inspected-runtime.js";

/** One running version of a script file, as DevTools knows it: an execution context and a script. */
export interface ScriptContext {
  /** Runtime.ExecutionContextId. */
  id: number;
  file: string;
  version: number;
  /** "commands/look.ts v3": the name the Console's context picker shows. */
  name: string;
  /** Debugger.ScriptId (a string in CDP). */
  scriptId: string;
  /** file:// URL of the script as written. */
  url: string;
}

export type ContextChange = { created: ScriptContext } | { destroyed: ScriptContext };

/**
 * The execution contexts of a runtime's inspector, shared by its sessions: one per loaded
 * file version, made and destroyed as files load, reload and go (from the runtime's reports).
 */
export class ScriptContexts {
  private readonly byFile = new Map<string, ScriptContext>();
  private nextId = 1;
  private readonly listeners = new Set<(change: ContextChange) => void>();

  constructor(private readonly runtime: InspectedRuntime) {
    this.refresh();
  }

  /** Brings the contexts in line with the files running now; tells listeners what changed. */
  refresh(): void {
    const running = new Set(this.runtime.alive ? this.runtime.files() : []);
    for (const [file, context] of this.byFile) {
      if (running.has(file) && this.runtime.engine.versionOf(file) === context.version) continue;
      this.byFile.delete(file);
      this.emit({ destroyed: context });
    }
    for (const file of running) {
      if (this.byFile.has(file)) continue;
      const version = this.runtime.engine.versionOf(file) ?? 1;
      const id = this.nextId++;
      const context: ScriptContext = { id, file, version, name: `${file} v${version}`, scriptId: String(id), url: pathToFileURL(path.join(this.runtime.root, file)).href };
      this.byFile.set(file, context);
      this.emit({ created: context });
    }
  }

  all(): ScriptContext[] {
    return [...this.byFile.values()].sort((a, b) => a.id - b.id);
  }

  ofFile(file: string): ScriptContext | undefined {
    return this.byFile.get(file);
  }

  byId(id: unknown): ScriptContext | undefined {
    for (const context of this.byFile.values()) if (context.id === id) return context;
    return undefined;
  }

  byScriptId(scriptId: unknown): ScriptContext | undefined {
    for (const context of this.byFile.values()) if (context.scriptId === scriptId) return context;
    return undefined;
  }

  onChange(listener: (change: ContextChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: ContextChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
