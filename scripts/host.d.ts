/**
 * The "host" module scripts import (`import { send } from "host"`), typed from the interface
 * the demo server implements (demo/script-host.ts). graft ignores .d.ts files when loading;
 * scripts/tsconfig.json maps "host" here, for editors and `npm run check`. Importing
 * "graft/scripts" also types import.meta.hot.
 */
import type { ScriptHost } from "graft/scripts";
import type { DemoHost } from "../demo/script-host.js";

declare const host: ScriptHost<DemoHost>;
export = host;
