import type { QuickJSHandle } from "quickjs-emscripten-core";
import type { InspectedRuntime } from "./inspected-runtime.js";
import type { ScriptValue } from "../script-value.js";
import type { ValueDescription } from "../../runtime/inspect/value-inspector.js";

/** CDP's Runtime.RemoteObject. */
export interface RemoteObject extends ValueDescription {
  objectId?: string;
}

interface Held {
  value: ScriptValue;
  group: string | undefined;
  /** The script whose scope code run on this object (callFunctionOn) is compiled in. */
  file: string;
}

/** Objects DevTools' console messages hold at most; the oldest are released first (V8 also caps its console). */
const MAX_CONSOLE_OBJECTS = 1000;
const CONSOLE_GROUP = "console";

/**
 * The VM values one DevTools session refers to by objectId: each held as a ScriptValue
 * until DevTools releases it (releaseObject, releaseObjectGroup), or the session ends.
 */
export class RemoteObjects {
  private readonly held = new Map<string, Held>();
  private next = 1;
  private readonly consoleIds: string[] = [];

  constructor(
    private readonly runtime: InspectedRuntime,
    private readonly prefix: string,
  ) {}

  get size(): number {
    return this.held.size;
  }

  /** A remote object for `value` (which this registry now owns); objects get an objectId. */
  wrap(value: ScriptValue, file: string, group: string | undefined, preview: boolean): RemoteObject {
    if (!value.isReference) {
      const primitive = value.toHost();
      value.dispose();
      return describePrimitive(primitive);
    }
    const described: RemoteObject = this.runtime.scriptConsole.values.describe(value.referenceHandle(this.runtime.bridge, "inspect"), preview);
    const id = `${this.prefix}.${this.next++}`;
    this.held.set(id, { value: value.keep(), group, file });
    if (group === CONSOLE_GROUP) this.trimConsole(id);
    described.objectId = id;
    return described;
  }

  /** A remote object for a VM handle the caller keeps owning (console arguments, property values). */
  wrapHandle(handle: QuickJSHandle, file: string, group: string | undefined, preview: boolean): RemoteObject {
    return this.wrap(this.runtime.bridge.adopt(handle.dup()), file, group, preview);
  }

  /** An objectId for a VM value (the handle is now this registry's), without describing it. */
  hold(handle: QuickJSHandle, file: string, group: string | undefined): string {
    const value = this.runtime.bridge.adopt(handle).keep();
    const id = `${this.prefix}.${this.next++}`;
    this.held.set(id, { value, group, file });
    if (group === CONSOLE_GROUP) this.trimConsole(id);
    return id;
  }

  get(objectId: unknown): Held {
    const held = typeof objectId === "string" ? this.held.get(objectId) : undefined;
    if (!held) throw new ProtocolError(`Could not find object with given id (${String(objectId)}): it was released, or belongs to another session`);
    return held;
  }

  release(objectId: string): void {
    const held = this.held.get(objectId);
    if (!held) return;
    this.held.delete(objectId);
    held.value.dispose();
  }

  releaseGroup(group: string): void {
    for (const [id, held] of this.held) if (held.group === group) this.release(id);
    if (group === CONSOLE_GROUP) this.consoleIds.length = 0;
  }

  releaseAll(): void {
    for (const id of [...this.held.keys()]) this.release(id);
    this.consoleIds.length = 0;
  }

  private trimConsole(id: string): void {
    this.consoleIds.push(id);
    while (this.consoleIds.length > MAX_CONSOLE_OBJECTS) this.release(this.consoleIds.shift()!);
  }
}

/** A CDP error answer (code -32000 unless given). */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly code = -32000,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** A host primitive as a remote object. */
export function describePrimitive(value: unknown): RemoteObject {
  if (value === undefined) return { type: "undefined" };
  if (value === null) return { type: "object", subtype: "null", value: null };
  if (typeof value === "bigint") return { type: "bigint", unserializableValue: `${value}n`, description: `${value}n` };
  if (typeof value === "number") {
    if (!Number.isFinite(value) || Object.is(value, -0)) {
      const text = Object.is(value, -0) ? "-0" : String(value);
      return { type: "number", unserializableValue: text, description: text };
    }
    return { type: "number", value, description: String(value) };
  }
  if (typeof value === "string") return { type: "string", value };
  if (typeof value === "boolean") return { type: "boolean", value };
  return { type: "object", value, description: "Object" };
}
