import type { SourcePosition } from "../runtime/reload/reload-report.js";
import type { ScriptErrorKind } from "../runtime/reload/script-errors.js";

/** An error thrown by script code, as the host sees it: the script's own stack, mapped. */
export class ScriptError extends Error {
  constructor(
    message: string,
    /** The VM error's name (TypeError, RangeError, ...). */
    readonly scriptName: string,
    /** The script stack, every frame as file:line:column as written. */
    readonly scriptStack: string,
    /** Where it was thrown, when that is inside a script. */
    readonly position?: SourcePosition,
    /** The thrown value, copied as plain data. */
    readonly thrown?: unknown,
    /**
     * How the call ended, as graft saw it: "timeout" and "out of memory" are set only by graft
     * (a script cannot forge them by throwing a look-alike value); "thrown" for anything the
     * script threw, whose message graft marks when it reads like one of graft's reports.
     */
    readonly kind: ScriptErrorKind = "thrown",
  ) {
    super(message);
    this.name = "ScriptError";
    this.stack = `ScriptError: ${message}\n${scriptStack}`;
  }
}

export { GraftError } from "../runtime/graft-error.js";
