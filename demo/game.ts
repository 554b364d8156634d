import net from "node:net";
import { createRuntime, defineHost, describeInitialLoad, describeReload, ScriptError, type GraftRuntime, type ScriptClass, type ScriptValue } from "graft";
import { populateWorld, runAdminCommand, WIZARD_COMMANDS } from "./admin.js";
import type { DemoHost } from "./script-host.js";
import { VerbTable } from "./verb-table.js";

export interface GameOptions {
  port: number;
  /** Folder of the game's scripts. */
  scripts: string;
  /** Player names that get the wizard (admin) commands. */
  wizards: string[];
  /** Where server messages go. Default: console.log. */
  log?: (line: string) => void;
  /** Watcher debounce in ms. */
  debounce?: number;
  /** How long a failed save waits before it is reported, in case the file is still being written (graft's errorDelay). */
  errorDelay?: number;
  host?: string;
  /** Where @snapshot writes .heapsnapshot files. Default: the current directory. */
  snapshotDir?: string;
  /** Serve Chrome DevTools on this port (0: a free one), as `node --inspect` does; default off. */
  inspect?: number;
  /** Crates to put in the storehouse at start (a world of game size for @heap and @leaks); default none. */
  items?: number;
}

interface Session {
  id: number;
  socket: net.Socket;
  buffer: string;
  player?: ScriptValue;
  name?: string;
  /** Lines are handled one at a time, in order. */
  busy: Promise<void>;
}

export const PROMPT = "> ";

/**
 * The demo host: a line-based TCP game whose commands, rooms, items and players are
 * script classes, loaded and patched live by graft. Everything it knows about the game
 * comes through graft's public API.
 */
export class GameServer {
  private readonly sessions = new Map<number, Session>();
  private readonly server = net.createServer((socket) => this.accept(socket));
  private nextConnection = 1;
  private verbs!: VerbTable;
  private runtime!: GraftRuntime;

  private constructor(private readonly options: GameOptions) {}

  static async start(options: GameOptions): Promise<GameServer> {
    const game = new GameServer(options);
    await game.boot();
    return game;
  }

  private log(line: string): void {
    (this.options.log ?? console.log)(line);
  }

  private async boot(): Promise<void> {
    this.runtime = await createRuntime({
      scripts: this.options.scripts,
      watch: true,
      debounce: this.options.debounce ?? 25,
      ...(this.options.errorDelay !== undefined ? { errorDelay: this.options.errorDelay } : {}),
      timeout: 500,
      host: defineHost<DemoHost>({
        // Scripts are not type-checked at run time: the values are converted anyway.
        send: (connection, text) => this.send(Number(connection), String(text)),
        log: (text) => this.log(`[script] ${String(text)}`),
        commands: () => this.verbs.describe(),
        wizardCommands: () => WIZARD_COMMANDS.map((command) => ({ ...command, verbs: [...command.verbs] })),
      }),
    });
    this.verbs = new VerbTable(
      this.runtime,
      (warning) => this.log(`[verbs] warning: ${warning}`),
      (alarm) => this.log(`[verbs] ERROR: ${alarm}`),
    );
    for (const line of describeInitialLoad(this.runtime.initialReport)) this.log(line);
    if (this.options.items) {
      try {
        this.log(`[world] the storehouse holds ${populateWorld(this.runtime, this.options.items)} crates`);
      } catch (error) {
        this.verbs.dispose();
        this.runtime.dispose();
        throw new Error(`cannot stock the storehouse with ${this.options.items} crates: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.verbs.rebuild();
    this.runtime.on("reload", (report) => {
      for (const line of describeReload(report)) this.log(line);
      this.verbs.rebuild(report);
    });
    // Errors of script code the event loop ran (a timer callback such as the cat's walk):
    // reload errors are already in the reload report above.
    this.runtime.on("error", (error) => {
      if (error.origin) this.log(`[error] ${error.text.replace(/\n/g, "\n  ")}`);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once("error", reject);
        this.server.listen(this.options.port, this.options.host ?? "127.0.0.1", () => resolve());
      });
    } catch (error) {
      this.verbs.dispose();
      this.runtime.dispose();
      throw error;
    }
    this.log(`graft MUD listening on ${this.options.host ?? "127.0.0.1"}:${this.port} (scripts: ${this.options.scripts}); connect with: nc localhost ${this.port}`);
    if (this.options.inspect !== undefined) await this.serveDevTools(this.options.inspect);
  }

  /** Chrome DevTools on the scripts: says how to attach. */
  private async serveDevTools(port: number): Promise<void> {
    const inspector = await this.runtime.inspect({ port, host: "127.0.0.1" });
    const address = `127.0.0.1:${inspector.port}`;
    this.log(`[inspect] Chrome DevTools can attach to the scripts on ${address} (${inspector.url})`);
    this.log(`  open chrome://inspect, check "Discover network targets", add ${address} under "Configure...", then click "inspect" under graft;`);
    this.log(`  or open ${inspector.devtoolsFrontendUrl}`);
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : this.options.port;
  }

  /** The graft runtime, for tools and tests. */
  get graft(): GraftRuntime {
    return this.runtime;
  }

  private accept(socket: net.Socket): void {
    const session: Session = { id: this.nextConnection++, socket, buffer: "", busy: Promise.resolve() };
    this.sessions.set(session.id, session);
    socket.setEncoding("utf8");
    socket.write(`Welcome to the graft MUD. What is your name?\n${PROMPT}`);
    socket.on("data", (chunk: string) => {
      session.buffer += chunk;
      let newline: number;
      while ((newline = session.buffer.indexOf("\n")) !== -1) {
        const line = session.buffer.slice(0, newline).replace(/\r$/, "").trim();
        session.buffer = session.buffer.slice(newline + 1);
        session.busy = session.busy.then(() => this.handleLine(session, line));
      }
    });
    socket.on("close", () => this.disconnect(session));
    socket.on("error", () => socket.destroy());
  }

  private async handleLine(session: Session, line: string): Promise<void> {
    if (session.socket.destroyed) return;
    let reply: string;
    try {
      reply = session.player ? await this.command(session, line) : this.login(session, line);
    } catch (error) {
      reply = `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
      const where = error instanceof ScriptError ? `\n${error.scriptStack}` : "";
      this.log(`[error] ${session.name ?? "?"} ran '${line}': ${error instanceof Error ? error.message : String(error)}${where}`);
    }
    if (!session.socket.destroyed) session.socket.write(`${reply}\n${PROMPT}`);
  }

  private login(session: Session, line: string): string {
    const name = line.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 20);
    if (name === "") return "Names are letters and digits. What is your name?";
    const world = this.world();
    try {
      const existing = world.call("findPlayer", name);
      const taken = existing.isReference;
      existing.dispose();
      if (taken) return `${name} is already playing. Choose another name:`;
      session.player = world.call("join", name, session.id, this.options.wizards.includes(name.toLowerCase()));
      session.name = name;
      const room = session.player.get("room");
      const described = room.call("describe", session.player);
      const description = described.toHost();
      described.dispose();
      room.dispose();
      return `Hello, ${name}. Type 'help' for commands.\n${String(description)}`;
    } finally {
      world.dispose();
    }
  }

  private async command(session: Session, line: string): Promise<string> {
    if (line === "") return "";
    const space = line.indexOf(" ");
    const verb = (space === -1 ? line : line.slice(0, space)).toLowerCase();
    const args = space === -1 ? "" : line.slice(space + 1).trim();
    const player = session.player!;
    if (verb.startsWith("@")) {
      const flag = player.get("wizard");
      const wizard = flag.toHost() === true;
      flag.dispose();
      if (!wizard) return "Only wizards can do that.";
      return runAdminCommand(this.runtime, verb, args, this.options.snapshotDir ?? process.cwd(), (text) => this.send(session.id, text));
    }
    const commandClass: ScriptClass | undefined = this.verbs.lookup(verb);
    if (!commandClass) return `Unknown command '${verb}'. Type 'help' for commands.`;
    const command = commandClass.new();
    try {
      const result = command.call("execute", player, args, verb);
      const text = result.toHost();
      result.dispose();
      return text === undefined ? "" : String(text);
    } finally {
      command.dispose();
    }
  }

  private world(): ScriptValue {
    const exports = this.runtime.exports("world/world.ts");
    for (const [name, value] of Object.entries(exports)) if (name !== "world") value.dispose();
    const world = exports.world;
    if (!world) throw new Error("world/world.ts exports no 'world'");
    return world;
  }

  private send(connection: number, text: string): void {
    const session = this.sessions.get(connection);
    if (session && !session.socket.destroyed) session.socket.write(`${text}\n`);
  }

  private disconnect(session: Session): void {
    this.sessions.delete(session.id);
    const player = session.player;
    if (!player || !this.runtime.alive) return;
    session.player = undefined;
    try {
      const world = this.world();
      world.call("leave", player).dispose();
      world.dispose();
    } catch (error) {
      this.log(`[error] leaving: ${String(error)}`);
    }
    player.dispose();
  }

  /** Closes every connection, stops watching and disposes the VM. */
  async stop(): Promise<void> {
    for (const session of this.sessions.values()) session.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.sessions.values()].map((session) => session.busy));
    this.verbs.dispose();
    this.runtime.dispose();
  }
}
