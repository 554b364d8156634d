/**
 * Types for the scripts graft runs (what designers write), imported as "graft/scripts".
 *
 * Declare the `"host"` module once, in the scripts folder (README: Types for scripts):
 *
 *   // scripts/host.d.ts
 *   import type { ScriptHost } from "graft/scripts";
 *   import type { GameHost } from "../src/game-host.js"; // the interface the host implements with defineHost<GameHost>()
 *   declare const host: ScriptHost<GameHost>;
 *   export = host;
 *
 *   // scripts/tsconfig.json: "compilerOptions": { "paths": { "host": ["./host.d.ts"] }, "types": [] }
 *
 * Importing this file (host.d.ts does) also types `import.meta.hot` in every script.
 */

/** `import.meta.hot`: state and clean-up across reloads of one file (R9 in graft's docs/rules.md). */
export interface GraftHot {
  /** The same object for every version of this file: keep values across reloads here. */
  readonly data: Record<string, any>;
  /** Runs when this version is replaced (at commit) or its file is removed: cancel timers, unsubscribe. */
  dispose(callback: (data: Record<string, any>) => void): void;
  /** Accepted for compatibility with other hot-reload APIs; graft re-runs every saved file anyway. */
  accept(): void;
}

declare global {
  interface ImportMeta {
    /** graft's hot-reload API. */
    readonly hot: GraftHot;
  }

  // Timers, driven by the host's event loop (README: Time). A timer made by a file's top-level
  // code belongs to that version of the file: graft cancels it when the file is saved again.
  /** Runs `callback(...args)` once, after `delay` ms (1 ms if out of range). Returns the timer's id. */
  function setTimeout<A extends unknown[]>(callback: (...args: A) => unknown, delay?: number, ...args: A): number;
  /** Runs `callback(...args)` every `delay` ms until cleared. Returns the timer's id. */
  function setInterval<A extends unknown[]>(callback: (...args: A) => unknown, delay?: number, ...args: A): number;
  function clearTimeout(id: number | undefined): void;
  function clearInterval(id: number | undefined): void;
  /** Runs `callback` after the current script code, before control returns to the host. */
  function queueMicrotask(callback: () => unknown): void;
}

/** A host value as a script sees it: a ScriptValue the host hands over arrives as the VM value itself. */
export type ScriptSide<T> = T extends { isSame(other: never): boolean; toHost(): unknown }
  ? unknown
  : T extends (...args: infer Args) => infer Result
    ? (...args: Args) => ScriptSide<Result>
    : T extends Promise<infer Settled>
      ? Promise<ScriptSide<Settled>>
      : T extends readonly (infer Item)[]
        ? ScriptSide<Item>[]
        : T extends object
          ? { [K in keyof T]: ScriptSide<T[K]> }
          : T;

/** The `"host"` module as scripts import it, from the type of the host object (its interface). */
export type ScriptHost<Host> = { readonly [K in keyof Host]: ScriptSide<Host[K]> };
