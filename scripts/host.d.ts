/**
 * The "host" module: what the demo server exposes to scripts.
 * graft ignores .d.ts files when loading; this one is for editors and `npm run check`.
 */
declare module "host" {
  /** Sends a line of text to one connected player. */
  export function send(connection: number, text: string): void;
  /** Writes a line to the server console. */
  export function log(text: string): void;
  /** The verb table as the server built it: one entry per command class. */
  export function commands(): { name: string; verbs: string[]; help: string }[];
}

/** graft's hot-reload API (SPEC R9). */
interface ImportMeta {
  readonly hot: {
    /** Kept across reloads of this file. */
    readonly data: Record<string, any>;
    /** Runs before this version is replaced (cancel timers, unsubscribe). */
    dispose(callback: (data: Record<string, any>) => void): void;
  };
}
