/**
 * The "host" module the demo server gives its scripts, declared once: game.ts implements it
 * with defineHost<DemoHost>(), and scripts/host.d.ts types the scripts' imports from it.
 * It stays free of Node imports, because the scripts' type-check reads it too.
 */
export interface CommandInfo {
  name: string;
  verbs: string[];
  help: string;
}

export interface DemoHost {
  /** Sends a line of text to one connected player. */
  send(connection: number, text: string): void;
  /** Writes a line to the server console. */
  log(text: string): void;
  /** The verb table as the server built it: one entry per command class. */
  commands(): CommandInfo[];
  /** The server's own wizard commands (@reload, @leaks, ...), for wizards' help. */
  wizardCommands(): CommandInfo[];
}
