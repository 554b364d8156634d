import type { WebSocket } from "ws";
import type { InspectedRuntime } from "./inspected-runtime.js";
import { ProtocolError, RemoteObjects } from "./remote-objects.js";
import type { ScriptContexts } from "./script-contexts.js";

/** A domain method: its params (an object, possibly empty); what it returns is the result. */
export type Handler = (params: Record<string, unknown>) => unknown;

/** What a domain sees of its session. */
export interface SessionContext {
  readonly runtime: InspectedRuntime;
  readonly contexts: ScriptContexts;
  readonly objects: RemoteObjects;
  /** Sends an event (dropped once the client has gone). */
  event(method: string, params: object): void;
  /** Sends a message already encoded (UTF-8 JSON) and resolves once the socket has taken it (back-pressure for big streams). */
  sendDrained(message: Buffer): Promise<void>;
  /** Whether the client is still there. */
  readonly open: boolean;
}

/** A domain: its methods by name ("enable", ...), and what to undo when the session ends. */
export interface Domain {
  methods: Record<string, Handler>;
  close?(): void;
}

/** CDP's JSON-RPC error codes. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const SERVER_ERROR = -32000;

/**
 * One DevTools client on one WebSocket: parses each message, answers it (in order of
 * arrival for synchronous methods), and turns every failure into a CDP error answer.
 */
export class InspectorSession implements SessionContext {
  readonly objects: RemoteObjects;
  private readonly domains = new Map<string, Domain>();
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    readonly runtime: InspectedRuntime,
    readonly contexts: ScriptContexts,
    sessionNumber: number,
    makeDomains: (session: SessionContext) => Record<string, Domain>,
    private readonly onClosed: () => void,
  ) {
    this.objects = new RemoteObjects(runtime, String(sessionNumber));
    for (const [name, domain] of Object.entries(makeDomains(this))) this.domains.set(name, domain);
    socket.on("message", (data, isBinary) => this.receive(isBinary ? undefined : data.toString()));
    socket.on("close", () => this.close());
    socket.on("error", () => this.close());
  }

  get open(): boolean {
    return !this.closed && this.socket.readyState === this.socket.OPEN;
  }

  event(method: string, params: object): void {
    if (this.open) this.socket.send(JSON.stringify({ method, params }));
  }

  sendDrained(message: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (!this.open) return resolve();
      this.socket.send(message, { binary: false }, () => resolve());
    });
  }

  private reply(message: object): void {
    if (this.open) this.socket.send(JSON.stringify(message));
  }

  private receive(text: string | undefined): void {
    let message: unknown;
    try {
      if (text === undefined) throw new Error("binary frames are not CDP messages");
      message = JSON.parse(text);
    } catch (error) {
      this.reply({ error: { code: PARSE_ERROR, message: `Message must be a valid JSON: ${error instanceof Error ? error.message : String(error)}` } });
      return;
    }
    const request = message as { id?: unknown; method?: unknown; params?: unknown };
    if (typeof message !== "object" || message === null || typeof request.id !== "number" || typeof request.method !== "string") {
      const id = typeof request?.id === "number" ? request.id : undefined;
      this.reply({ id, error: { code: INVALID_REQUEST, message: "Message must have an integer 'id' and a string 'method'" } });
      return;
    }
    const id = request.id;
    if (request.params !== undefined && (typeof request.params !== "object" || request.params === null || Array.isArray(request.params))) {
      this.reply({ id, error: { code: INVALID_REQUEST, message: "'params' must be an object" } });
      return;
    }
    const params = (request.params ?? {}) as Record<string, unknown>;
    const dot = request.method.indexOf(".");
    const handler = dot > 0 ? this.domains.get(request.method.slice(0, dot))?.methods[request.method.slice(dot + 1)] : undefined;
    if (!handler || !Object.hasOwn(this.domains.get(request.method.slice(0, dot))!.methods, request.method.slice(dot + 1))) {
      this.reply({ id, error: { code: METHOD_NOT_FOUND, message: `'${request.method}' wasn't found` } });
      return;
    }
    let result: unknown;
    try {
      result = handler(params);
    } catch (error) {
      this.replyError(id, error);
      return;
    }
    if (result instanceof Promise) {
      result.then((value: unknown) => this.reply({ id, result: value ?? {} }), (error: unknown) => this.replyError(id, error));
    } else {
      this.reply({ id, result: result ?? {} });
    }
  }

  private replyError(id: number, error: unknown): void {
    const code = error instanceof ProtocolError ? error.code : SERVER_ERROR;
    this.reply({ id, error: { code, message: error instanceof Error ? error.message : String(error) } });
  }

  /** Ends the session: every object it held is released, every domain stops. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const domain of this.domains.values()) domain.close?.();
    if (this.runtime.alive) this.objects.releaseAll();
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) this.socket.close();
    this.onClosed();
  }
}
