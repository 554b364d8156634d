import { cp, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { GameServer, PROMPT } from "../demo/game.js";

export const SCRIPTS = path.resolve(import.meta.dirname, "../scripts");

/** A player on a real TCP connection: sends a line, waits for its one reply. */
export class MudClient {
  private buffer = "";
  private waiting: (() => void) | undefined;
  /** Lines pushed by the game (other players' actions), not replies. */
  readonly pushed: string[] = [];
  /** The reply to the name: "Hello, ..." or why the name was refused. */
  greeting = "";

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
  }

  static async connect(port: number, name: string): Promise<MudClient> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const client = new MudClient(socket);
    await client.nextReply(); // the welcome prompt
    client.greeting = await client.command(name);
    return client;
  }

  /** Text received but not yet returned as a reply (empty when every reply was consumed). */
  get unread(): string {
    return this.buffer;
  }

  get connected(): boolean {
    return !this.socket.destroyed;
  }

  /** Sends a command and returns its reply (pushed lines are set aside). */
  async command(line: string): Promise<string> {
    this.socket.write(`${line}\n`);
    return this.nextReply();
  }

  private async nextReply(timeoutMs = 10_000): Promise<string> {
    const started = Date.now();
    for (;;) {
      // The prompt starts a line; "->" inside a reply is not one.
      const end = this.buffer.startsWith(PROMPT) ? 0 : ((found) => (found === -1 ? -1 : found + 1))(this.buffer.indexOf(`\n${PROMPT}`));
      if (end !== -1) {
        const chunk = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + PROMPT.length);
        const lines = chunk.split("\n");
        const reply = lines.filter((line) => {
          if (!line.startsWith("* ")) return true;
          this.pushed.push(line.slice(2));
          return false;
        });
        return reply.join("\n").replace(/\n$/, "");
      }
      if (Date.now() - started > timeoutMs) throw new Error(`no reply within ${timeoutMs} ms; got ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 50);
      });
      this.waiting = undefined;
    }
  }

  close(): void {
    this.socket.end();
  }
}

/** The real server on a free port, over a private copy of scripts/ (the real folder is never edited). */
export async function startGame(options: { debounce?: number; errorDelay?: number; items?: number } = {}): Promise<{ game: GameServer; scripts: string; logs: string[]; stop: () => Promise<void> }> {
  const scripts = await mkdtemp(path.join(tmpdir(), "graft-mud-"));
  await cp(SCRIPTS, scripts, { recursive: true });
  const logs: string[] = [];
  const game = await GameServer.start({
    port: 0,
    scripts,
    wizards: ["wizard"],
    log: (line) => logs.push(line),
    debounce: options.debounce ?? 20,
    ...(options.errorDelay !== undefined ? { errorDelay: options.errorDelay } : {}),
    snapshotDir: scripts,
    ...(options.items !== undefined ? { items: options.items } : {}),
  });
  const stop = async (): Promise<void> => {
    await game.stop();
    await rm(scripts, { recursive: true, force: true });
  };
  return { game, scripts, logs, stop };
}
