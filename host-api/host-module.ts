import { Scope } from "quickjs-emscripten-core";
import type { Bridge } from "./bridge.js";

/**
 * Defines the `"host"` module that scripts import from: each key of `host` becomes an
 * export. Functions are called on the host (arguments cross as H2 in docs/rules.md says), other values
 * are copied in once. Every file imports the same values, so they are frozen (no file can
 * leave something on a host function or a shared object for another), and so is the
 * kernel's realm where they are made (see Kernel.lockDownRealm).
 */
export function installHostModule(bridge: Bridge, host: object): void {
  const context = bridge.context;
  Scope.withScope((scope) => {
    const exports = scope.manage(context.newObject());
    for (const [key, value] of Object.entries(host)) {
      context.setProp(exports, key, bridge.toVm(value, scope, `host.${key}`));
    }
    bridge.kernel.setHostExports(exports);
    bridge.kernel.lockDownRealm(exports);
  });
}
