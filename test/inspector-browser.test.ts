import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { WebSocket, WebSocketServer } from "ws";
import type { GraftRuntime, Inspector } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * Chromium's own DevTools frontend (the Node/V8 one, js_app.html, served by the browser
 * itself) attached to graft's inspector, as a user attaches it from chrome://inspect. The
 * frontend's traffic passes through a recording relay, so the test sees every request it
 * made and every answer it got. Debian's chromium; .ci/run installs it when missing.
 */
const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
const why = `Debian's chromium is not installed at ${CHROMIUM} (apt-get install chromium; .ci/run does it as root), so graft's inspector is not tested against the real DevTools frontend here`;
if (!available) console.warn(`SKIPPED test/inspector-browser.test.ts: ${why}`);

interface Frame {
  direction: "request" | "answer" | "event";
  message: { id?: number; method?: string; params?: Record<string, unknown>; error?: unknown; result?: unknown };
}

/** A WebSocket relay between the frontend and graft that records what passes. */
async function recordingRelay(target: string): Promise<{ url: string; frames: Frame[]; close(): Promise<void> }> {
  const frames: Frame[] = [];
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1", maxPayload: 1 << 30 });
  await new Promise((resolve) => server.once("listening", resolve));
  server.on("connection", (front) => {
    const back = new WebSocket(target, { maxPayload: 1 << 30 });
    const waiting: string[] = [];
    back.on("open", () => waiting.splice(0).forEach((text) => back.send(text)));
    front.on("message", (data) => {
      const text = data.toString();
      frames.push({ direction: "request", message: JSON.parse(text) });
      if (back.readyState === back.OPEN) back.send(text);
      else waiting.push(text);
    });
    back.on("message", (data) => {
      const text = data.toString();
      const message = JSON.parse(text) as Frame["message"];
      // Snapshot chunks are big: kept without their text.
      frames.push({ direction: message.id === undefined ? "event" : "answer", message: message.method === "HeapProfiler.addHeapSnapshotChunk" ? { method: message.method } : message });
      front.send(text);
    });
    front.on("close", () => back.close());
    back.on("close", () => front.close());
  });
  const port = (server.address() as { port: number }).port;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const client of server.clients) client.terminate();
      server.close(() => resolve());
    });
  return { url: `127.0.0.1:${port}/graft`, frames, close };
}

/** Starts chromium headless on a fresh profile with a DevTools port of its own; resolves with that port. */
async function startChromium(userDataDir: string): Promise<{ process: ChildProcess; port: number }> {
  const child = spawn(
    CHROMIUM,
    ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", `--user-data-dir=${userDataDir}`, "--remote-debugging-port=0", "about:blank"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`chromium exited (${code}) before it listened: ${text}`)));
  });
  return { process: child, port };
}

// Run in the frontend's page, as text: its own modules, loaded from the browser's bundled DevTools.
const CONSOLE_MESSAGES = `(async () => {
  const SDK = await import("/devtools/core/sdk/sdk.js");
  const models = SDK.TargetManager.TargetManager.instance().models(SDK.ConsoleModel.ConsoleModel);
  return models.flatMap((model) => model.messages().map((message) => message.messageText + " (" + (message.parameters?.length ?? 0) + " arguments)"));
})()`;
/** Opens the Memory tab, takes a heap snapshot there, and waits until the frontend has parsed it. */
const TAKE_HEAP_SNAPSHOT = `(async () => {
  const UI = await import("/devtools/ui/legacy/legacy.js");
  await UI.ViewManager.ViewManager.instance().showView("heap-profiler");
  const Profiler = await import("/devtools/panels/profiler/profiler.js");
  const panel = Profiler.HeapProfilerPanel.HeapProfilerPanel.instance();
  const type = panel.profileTypes.find((candidate) => candidate.id === "HEAP");
  await type.takeHeapSnapshot();
  for (let attempt = 0; attempt < 600; attempt++) {
    const profile = type.getProfiles()[0];
    if (profile?.snapshotProxy) return { title: profile.title, nodes: profile.snapshotProxy.nodeCount };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { title: "", nodes: 0 };
})()`;

/** Shows a script in Sources, as a click on a stack link does. */
const REVEAL_WORLD = `(async () => {
  const UI = await import("/devtools/ui/legacy/legacy.js");
  await UI.ViewManager.ViewManager.instance().showView("sources");
  const Workspace = await import("/devtools/models/workspace/workspace.js");
  const Common = await import("/devtools/core/common/common.js");
  const workspace = Workspace.Workspace.WorkspaceImpl.instance();
  const code = workspace.uiSourceCodes().find((candidate) => candidate.url().startsWith("file:") && candidate.url().endsWith("/world.ts"));
  if (code) await Common.Revealer.reveal(code);
  return Boolean(code);
})()`;
/** What Sources shows of breakpoints and pausing, and the Console's warnings. */
const DEBUGGER_STATE = `(async () => {
  const Breakpoints = await import("/devtools/models/breakpoints/breakpoints.js");
  const SDK = await import("/devtools/core/sdk/sdk.js");
  const UI = await import("/devtools/ui/legacy/legacy.js");
  const debuggerModel = SDK.TargetManager.TargetManager.instance().models(SDK.DebuggerModel.DebuggerModel)[0];
  const pause = UI.ActionRegistry.ActionRegistry.instance().getAction("debugger.toggle-pause");
  const consoles = SDK.TargetManager.TargetManager.instance().models(SDK.ConsoleModel.ConsoleModel);
  return {
    breakpoints: Breakpoints.BreakpointManager.BreakpointManager.instance().allBreakpointLocations().length,
    pausing: debuggerModel.isPausing(),
    paused: debuggerModel.isPaused(),
    pauseButtonEnabled: pause.enabled(),
    warnings: consoles.flatMap((model) => model.messages().filter((message) => message.level === "warning").map((message) => message.messageText)),
  };
})()`;

function waitUntil<T>(check: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = check();
      if (value) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe.skipIf(!available)("Chromium's own DevTools frontend attached to graft", () => {
  let browser: Browser | undefined;
  let chromiumProcess: ChildProcess | undefined;
  let userDataDir: string | undefined;
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    chromiumProcess?.kill();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true, maxRetries: 5 });
  });

  it("opens with every request answered without error, shows a script's console.log, loads a heap snapshot in the Memory tab, and refuses breakpoints and pausing visibly", async () => {
    const folder = await scriptsFolder({
      "world.ts": `export class Crate { constructor(public id: number) {} }\nexport const crates = Array.from({ length: 2000 }, (_, i) => new Crate(i));\nexport function shout(text: string): void { console.log("shout:", text, crates[0]); }\n`,
    });
    const runtime: GraftRuntime = await runtimeFor(folder, { console: false });
    const inspector: Inspector = await runtime.inspect({ port: 0 });
    const relay = await recordingRelay(inspector.url);
    try {
      userDataDir = await mkdtemp(path.join(tmpdir(), "graft-chromium-"));
      const started = await startChromium(userDataDir);
      chromiumProcess = started.process;
      browser = await chromium.connectOverCDP(`http://127.0.0.1:${started.port}`);
      const page: Page = await browser.contexts()[0]!.newPage();
      // The frontend the browser serves itself, in its Node (V8-only) mode, as devtoolsFrontendUrl names it.
      const response = await page.goto(`http://127.0.0.1:${started.port}/devtools/js_app.html?experiments=true&v8only=true&ws=${relay.url}`);
      expect(response?.status()).toBe(200);
      // Opened: the frontend has enabled Runtime and been told the script's context.
      await waitUntil(() => relay.frames.some((frame) => frame.message.method === "Runtime.executionContextCreated"), "the frontend to enable Runtime");
      await waitUntil(() => relay.frames.some((frame) => frame.message.method === "Runtime.runIfWaitingForDebugger"), "the frontend's opening requests");
      const requests = () => relay.frames.filter((frame) => frame.direction === "request");
      await waitUntil(() => requests().every((request) => relay.frames.some((frame) => frame.direction === "answer" && frame.message.id === request.message.id)), "every opening request to be answered");
      const failed = relay.frames.filter((frame) => frame.direction === "answer" && frame.message.error);
      const methodOf = (id: number | undefined) => requests().find((request) => request.message.id === id)?.message.method;
      expect(failed.map((frame) => `${methodOf(frame.message.id)}: ${JSON.stringify(frame.message.error)}`)).toEqual([]);
      expect(requests().map((request) => request.message.method)).toEqual(expect.arrayContaining(["Runtime.enable", "Debugger.enable", "Profiler.enable"]));

      // A script's console.log reaches the frontend's console model.
      runtime.evaluate("world.ts", `shout("hello DevTools")`).dispose();
      const seen = await (async () => {
        for (let attempt = 0; attempt < 100; attempt++) {
          const texts = (await page.evaluate(CONSOLE_MESSAGES)) as string[];
          if (texts.length > 0) return texts;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return [];
      })();
      expect(seen).toContain("shout: (3 arguments)");

      // The Memory tab takes a heap snapshot and parses it.
      const snapshot = (await page.evaluate(TAKE_HEAP_SNAPSHOT)) as { title: string; nodes: number };
      expect(snapshot.title).toBe("Snapshot 1");
      expect(snapshot.nodes).toBeGreaterThan(2000);
      expect(relay.frames.filter((frame) => frame.message.method === "HeapProfiler.addHeapSnapshotChunk").length).toBeGreaterThan(0);
      const late = relay.frames.filter((frame) => frame.direction === "answer" && frame.message.error);
      expect(late.map((frame) => `${methodOf(frame.message.id)}: ${JSON.stringify(frame.message.error)}`)).toEqual([]);

      // Sources: a click on line 2's number asks for a breakpoint; graft refuses it, the
      // frontend drops it (no marker) and the Console says why. F8 (pause) leaves the frontend
      // running, its pause button usable, rather than "pausing" for good.
      const answered = (method: string) => {
        const request = requests().find((frame) => frame.message.method === method);
        return request && relay.frames.find((frame) => frame.direction === "answer" && frame.message.id === request.message.id);
      };
      expect(await page.evaluate(REVEAL_WORLD)).toBe(true);
      await page.locator(".cm-lineNumbers .cm-gutterElement", { hasText: /^2$/ }).click();
      expect((await waitUntil(() => answered("Debugger.setBreakpointByUrl"), "the breakpoint request")).message.error).toBeTruthy();
      await page.keyboard.press("F8");
      expect((await waitUntil(() => answered("Debugger.pause"), "the pause request")).message.error).toBeTruthy();
      type DebuggerState = { breakpoints: number; pausing: boolean; paused: boolean; pauseButtonEnabled: boolean; warnings: string[] };
      let state: DebuggerState | undefined;
      for (let attempt = 0; attempt < 100; attempt++) {
        state = (await page.evaluate(DEBUGGER_STATE)) as DebuggerState;
        if (state.warnings.length > 0 && !state.pausing && state.pauseButtonEnabled) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(state).toEqual({ breakpoints: 0, pausing: false, paused: false, pauseButtonEnabled: true, warnings: [expect.stringMatching(/^graft does not pause scripts/)] });
      const refused = relay.frames.filter((frame) => frame.direction === "answer" && frame.message.error).map((frame) => methodOf(frame.message.id));
      expect(refused).toEqual(["Debugger.setBreakpointByUrl", "Debugger.pause"]);
    } finally {
      await relay.close();
      await inspector.close();
    }
  });
});
