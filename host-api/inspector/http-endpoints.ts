import { isIP } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";

/** What /json/list says of the one target a runtime is. */
export interface TargetInfo {
  id: string;
  title: string;
  /** file:// URL of the scripts folder. */
  url: string;
}

/**
 * Whether a request's Host header names an IP address or localhost: the check `node
 * --inspect` makes against DNS rebinding (a web page whose name is re-pointed at 127.0.0.1
 * would otherwise reach the inspector with its own name as Host).
 */
export function hostAllowed(header: string | undefined): boolean {
  if (header === undefined || header === "") return false;
  let name = header;
  if (name.startsWith("[")) {
    const end = name.indexOf("]");
    if (end < 0) return false;
    name = name.slice(1, end);
  } else {
    const colon = name.lastIndexOf(":");
    if (colon >= 0 && name.indexOf(":") === colon) name = name.slice(0, colon);
  }
  return name === "localhost" || name.endsWith(".localhost") || isIP(name) !== 0;
}

/** The target descriptions, with URLs built from the host the client used. */
export function targetList(target: TargetInfo, hostHeader: string): object[] {
  const address = `${hostHeader}/${target.id}`;
  return [
    {
      description: "graft live-coding runtime",
      devtoolsFrontendUrl: `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${address}`,
      devtoolsFrontendUrlCompat: `devtools://devtools/bundled/inspector.html?experiments=true&v8only=true&ws=${address}`,
      faviconUrl: "https://nodejs.org/static/images/favicons/favicon.ico",
      id: target.id,
      title: target.title,
      type: "node",
      url: target.url,
      webSocketDebuggerUrl: `ws://${address}`,
    },
  ];
}

/** Answers /json, /json/list and /json/version; anything else is a 404. */
export function answerHttp(request: IncomingMessage, response: ServerResponse, target: TargetInfo, version: string): void {
  const send = (status: number, body: unknown) => {
    const text = typeof body === "string" ? body : JSON.stringify(body, null, 2);
    response.writeHead(status, { "Content-Type": typeof body === "string" ? "text/plain; charset=UTF-8" : "application/json; charset=UTF-8", "Content-Length": Buffer.byteLength(text) });
    response.end(text);
  };
  if (!hostAllowed(request.headers.host)) {
    send(400, "Host header is specified and is not an IP address or localhost.");
    return;
  }
  const path = (request.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
  if (request.method !== "GET" && request.method !== "HEAD") {
    send(405, "Only GET is served here.");
  } else if (path === "/json" || path === "/json/list") {
    send(200, targetList(target, request.headers.host!));
  } else if (path === "/json/version") {
    send(200, { Browser: `graft/${version}`, "Protocol-Version": "1.3" });
  } else if (path === "/json/protocol") {
    send(404, "graft does not serve its protocol description.");
  } else {
    send(404, `Unknown path ${path || "/"}: try /json/list or /json/version.`);
  }
}
