import { formatBytes } from "../format-bytes.js";
import { GraftError } from "../graft-error.js";

/**
 * A call graft makes into the VM for its own work (a kernel step, a heap query's holder
 * array) failed because the scripts have filled the VM to its memory limit.
 */
export class VmOutOfMemory extends GraftError {
  constructor(
    what: string,
    memoryLimit: number,
    /** The thrown VM value, as dumped (null when QuickJS had no memory to build one). */
    readonly vmError: unknown = null,
  ) {
    super(
      `VM out of memory: ${what} needs a little VM memory, and the scripts have filled the VM to its memoryLimit of ${formatBytes(memoryLimit)}; ` +
        "free memory in the scripts (drop what they hold), or create the runtime with a larger memoryLimit",
    );
  }
}
