import type { QuickJSHandle } from "quickjs-emscripten-core";
import type { Bridge } from "./bridge.js";

/**
 * Defines the `"host"` module that scripts import from: each key of `host` becomes an
 * export. Functions are called on the host (arguments cross as in SPEC §5), other values
 * are copied in once.
 */
export function installHostModule(bridge: Bridge, host: object): void {
  const context = bridge.context;
  const owned: QuickJSHandle[] = [];
  const exports = context.newObject();
  try {
    for (const [key, value] of Object.entries(host)) {
      context.setProp(exports, key, bridge.toVm(value, owned, `host.${key}`));
    }
    bridge.kernel.setHostExports(exports);
  } finally {
    exports.dispose();
    owned.forEach((handle) => handle.dispose());
  }
}
