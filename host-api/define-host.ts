import type { HostShape } from "./types.js";

/**
 * Types a host object against the interface the host declares once for its `"host"`
 * module: `defineHost<GameHost>({ send(connection, text) { ... } })` checks every member
 * (and that each can cross into the VM) and types the functions' parameters. Scripts get
 * the same interface through `ScriptHost<GameHost>` from "graft/scripts" (README: Types
 * for scripts). Returns `host` unchanged.
 */
export function defineHost<Host extends HostShape<Host>>(host: Host): Host {
  return host;
}
