import { createServer, type Server } from "node:http";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { WebSocketServer } from "ws";
import type { InspectedRuntime } from "./inspected-runtime.js";
import type { InspectOptions } from "../types.js";
import { GraftError } from "../errors.js";
import { answerHttp, hostAllowed, type TargetInfo } from "./http-endpoints.js";
import { InspectorSession, type Domain, type SessionContext } from "./session.js";
import { ScriptContexts } from "./script-contexts.js";
import { runtimeDomain } from "./runtime-domain.js";
import { heapProfilerDomain } from "./heap-profiler-domain.js";
import { debuggerDomain } from "./debugger-domain.js";
import { logDomain } from "./log-domain.js";
import { quietDomains } from "./quiet-domains.js";

/** Largest CDP message a client may send (DevTools' own are small; a bigger one closes that client with 1009). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const DEFAULT_PORT = 9229;

/** A running DevTools inspector of one runtime (`runtime.inspect()`). */
export interface Inspector {
  /** The WebSocket URL DevTools connects to (webSocketDebuggerUrl). */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The devtools:// URL that opens Chrome's bundled DevTools on this runtime. */
  readonly devtoolsFrontendUrl: string;
  /** Clients attached now. */
  readonly sessions: number;
  /** Stops listening and closes every client. */
  close(): Promise<void>;
  /** @internal */
  onClose(listener: () => void): void;
}

function packageVersion(): string {
  try {
    const text = readFileSync(new URL("../../../package.json", import.meta.url), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "0";
  } catch {
    return "0";
  }
}

function validate(options: InspectOptions): { port: number; host: string } {
  if (typeof options !== "object" || options === null) throw new GraftError("inspect(options): options is { port?: number, host?: string }");
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GraftError(`inspect({ port }): port must be an integer from 0 to 65535 (0 picks a free one), got ${String(options.port)}`);
  const host = options.host ?? "127.0.0.1";
  if (typeof host !== "string" || host === "") throw new GraftError(`inspect({ host }): host must be an interface address such as "127.0.0.1", got ${String(options.host)}`);
  return { port, host };
}

/** Starts the HTTP and WebSocket server of `runtime`'s inspector. */
export async function startInspector(runtime: InspectedRuntime, options: InspectOptions): Promise<Inspector> {
  const { port, host } = validate(options);
  const id = randomUUID();
  const target: TargetInfo = { id, title: `graft: ${path.basename(runtime.root)} (${runtime.root})`, url: pathToFileURL(runtime.root).href };
  const version = packageVersion();
  const contexts = new ScriptContexts(runtime);
  const stopRefresh = [runtime.on("reload", () => contexts.refresh())];
  const sessions = new Set<InspectorSession>();
  const closeListeners: (() => void)[] = [];
  let sessionNumber = 0;

  const server: Server = createServer((request, response) => answerHttp(request, response, target, version));
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on("upgrade", (request, socket, head) => {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    };
    if (!hostAllowed(request.headers.host)) return refuse("400 Bad Request");
    if ((request.url ?? "").split("?")[0] !== `/${id}`) return refuse("404 Not Found");
    if (!runtime.alive) return refuse("410 Gone");
    sockets.handleUpgrade(request, socket, head, (client) => {
      const domains = (session: SessionContext): Record<string, Domain> => ({
        Runtime: runtimeDomain(session),
        HeapProfiler: heapProfilerDomain(session),
        Debugger: debuggerDomain(session),
        Log: logDomain(session),
        ...quietDomains(),
      });
      const session = new InspectorSession(client, runtime, contexts, ++sessionNumber, domains, () => sessions.delete(session));
      sessions.add(session);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(new GraftError(error.code === "EADDRINUSE" ? `inspect(): port ${port} on ${host} is in use; pass another port, or 0 for a free one` : `inspect(): cannot listen on ${host}:${port}: ${error.message}`));
    });
    server.listen(port, host, () => resolve());
  }).catch((error: unknown) => {
    for (const stop of stopRefresh) stop();
    throw error;
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address !== null ? address.port : port;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  const inspector: Inspector = {
    url: `ws://${hostPart}:${actualPort}/${id}`,
    port: actualPort,
    host,
    devtoolsFrontendUrl: `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${hostPart}:${actualPort}/${id}`,
    get sessions() {
      return sessions.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const stop of stopRefresh) stop();
        for (const session of [...sessions]) session.close();
        sockets.close();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const listener of closeListeners) listener();
      });
      return closing;
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
  };
  return inspector;
}
