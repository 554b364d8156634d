import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { ConsoleEntry, GraftRuntime, Inspector } from "../host-api/index.js";
import { CdpClient } from "./cdp-client.js";
import { runtimeFor, scriptsFolder, waitFor, type ScriptsFolder } from "./helpers.js";

// The scripts as a designer writes them: TypeScript, so that positions must be mapped back
// (the interface and the type annotations are gone from what QuickJS runs).
const WORLD = `interface Named {
  name: string;
}
const secret: number = 41;
export class Player implements Named {
  constructor(public name: string, public hp: number) {}
  get loud(): string { throw new Error("a getter must not run for a preview"); }
  greet(other: Named): string { return "hi " + other.name; }
}
export const ann = new Player("Ann", 3);
export const crates = Array.from({ length: 1000 }, (_, i) => ({ id: i, tag: "crate" }));
export function shout(text: string): void {
  console.log("shout:", text, ann);
}
`;

const clients: CdpClient[] = [];
const inspectors: Inspector[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const inspector of inspectors.splice(0)) await inspector.close();
});

async function attach(runtime: GraftRuntime): Promise<{ inspector: Inspector; client: CdpClient }> {
  const inspector = await runtime.inspect({ port: 0 });
  inspectors.push(inspector);
  const client = await CdpClient.connect(inspector.url);
  clients.push(client);
  return { inspector, client };
}

async function world(files: Record<string, string> = {}, options: Parameters<typeof runtimeFor>[1] = {}): Promise<{ folder: ScriptsFolder; runtime: GraftRuntime }> {
  const folder = await scriptsFolder({ "world.ts": WORLD, ...files });
  const runtime = await runtimeFor(folder, { console: false, ...options });
  return { folder, runtime };
}

function get(port: number, path: string, host = `127.0.0.1:${port}`): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path, headers: { host } }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
  });
}

describe("runtime.inspect(): the HTTP endpoints node --inspect serves", () => {
  it("describes one target per runtime on /json/list, /json and /json/version; the URLs lead to the WebSocket", async () => {
    const { runtime, folder } = await world();
    const { inspector } = await attach(runtime);
    expect(inspector.port).toBeGreaterThan(0);
    expect(inspector.url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${inspector.port}/[0-9a-f-]{36}$`));
    for (const path of ["/json/list", "/json"]) {
      const { status, body } = await get(inspector.port, path);
      expect(status).toBe(200);
      const [target, ...others] = JSON.parse(body) as Record<string, string>[];
      expect(others).toEqual([]);
      expect(target!.webSocketDebuggerUrl).toBe(inspector.url);
      expect(target!.devtoolsFrontendUrl).toBe(`devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${inspector.url.slice("ws://".length)}`);
      expect(target!.title).toContain(folder.root);
      expect(target!.type).toBe("node");
    }
    const version = JSON.parse((await get(inspector.port, "/json/version")).body) as Record<string, string>;
    expect(version.Browser).toMatch(/^graft\//);
    expect(version["Protocol-Version"]).toBe("1.3");
  });

  it("refuses a Host header that is not an IP address or localhost (DNS rebinding), over HTTP and for the WebSocket", async () => {
    const { runtime } = await world();
    const { inspector } = await attach(runtime);
    expect((await get(inspector.port, "/json/list", "evil.example:80")).status).toBe(400);
    expect((await get(inspector.port, "/json/list", `localhost:${inspector.port}`)).status).toBe(200);
    expect((await get(inspector.port, "/json/list", `[::1]:${inspector.port}`)).status).toBe(200);
    await expect(CdpClient.connect(inspector.url, { host: "attacker.example" })).rejects.toThrow(/400/);
    await expect(CdpClient.connect(inspector.url.replace(/[0-9a-f-]{36}$/, "not-the-target"))).rejects.toThrow(/404/);
  });

  it("lets several clients attach; close() stops listening and ends them; dispose() does too", async () => {
    const { runtime } = await world();
    const { inspector, client } = await attach(runtime);
    const second = await CdpClient.connect(inspector.url);
    clients.push(second);
    await client.call("Runtime.enable");
    await second.call("Runtime.enable");
    runtime.evaluate("world.ts", `shout("both")`).dispose();
    for (const each of [client, second]) {
      const call = await each.event("Runtime.consoleAPICalled");
      expect(call.args[1].value).toBe("both");
    }
    expect(inspector.sessions).toBe(2);
    await inspector.close();
    await client.until(() => client.closed, "the client to be closed");
    await expect(get(inspector.port, "/json/list")).rejects.toThrow(/ECONNREFUSED/);

    const again = await runtime.inspect({ port: 0 });
    const third = await CdpClient.connect(again.url);
    clients.push(third);
    runtime.dispose();
    await third.until(() => third.closed, "dispose() to close the client");
    await expect(get(again.port, "/json/list")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("says clearly what is wrong with its options or a port in use", async () => {
    const { runtime } = await world();
    await expect(runtime.inspect({ port: -1 })).rejects.toThrow(/port must be an integer from 0 to 65535/);
    const { inspector } = await attach(runtime);
    await expect(runtime.inspect({ port: inspector.port })).rejects.toThrow(new RegExp(`port ${inspector.port} on 127.0.0.1 is in use`));
  });
});

describe("Runtime: execution contexts, evaluation, remote objects", () => {
  it("announces a context per file version, named 'file vN', made and destroyed as files load, reload and go", async () => {
    const { runtime, folder } = await world({ "extra.ts": "export const x = 1;\n" });
    const { client } = await attach(runtime);
    await client.call("Runtime.enable");
    const created = () => client.events.filter((event) => event.method === "Runtime.executionContextCreated").map((event) => event.params!.context);
    expect(created().map((context) => context.name).sort()).toEqual(["extra.ts v1", "world.ts v1"]);
    const first = created().find((context) => context.name === "extra.ts v1");
    await folder.write("extra.ts", "export const x = 2;\n");
    await runtime.reload(["extra.ts"]);
    await client.event("Runtime.executionContextDestroyed", (params) => params.executionContextId === first.id);
    const second = await client.event("Runtime.executionContextCreated", (params) => params.context.name.startsWith("extra.ts v") && params.context.id !== first.id);
    expect(second.context.name).toMatch(/^extra\.ts v[2-9]$/);
    await folder.remove("extra.ts");
    await runtime.reload(["extra.ts"]);
    await client.event("Runtime.executionContextDestroyed", (params) => params.executionContextId === second.context.id);
  });

  it("evaluates in a file's module scope (its private bindings too), with returnByValue, previews and exceptions", async () => {
    const { runtime } = await world();
    const { client } = await attach(runtime);
    await client.call("Runtime.enable");
    const context = (await client.event("Runtime.executionContextCreated")).context;
    const value = await client.call("Runtime.evaluate", { expression: "secret + 1", contextId: context.id, returnByValue: true });
    expect(value.result).toMatchObject({ type: "number", value: 42 });
    const copy = await client.call("Runtime.evaluate", { expression: "({ a: [1, 2], b: 'x' })", contextId: context.id, returnByValue: true });
    expect(copy.result.value).toEqual({ a: [1, 2], b: "x" });
    const remote = await client.call("Runtime.evaluate", { expression: "ann", contextId: context.id, generatePreview: true });
    expect(remote.result).toMatchObject({ type: "object", className: "Player", objectId: expect.any(String) });
    expect(remote.result.preview.properties).toEqual([
      { name: "name", type: "string", value: "Ann" },
      { name: "hp", type: "number", value: "3" },
    ]);
    const thrown = await client.call("Runtime.evaluate", { expression: "ann.missing.deeper", contextId: context.id });
    expect(thrown.exceptionDetails.exception.description).toMatch(/TypeError/);
    const names = await client.call("Runtime.globalLexicalScopeNames", { executionContextId: context.id });
    expect(names.names).toEqual(expect.arrayContaining(["Player", "ann", "crates", "shout"]));
    const wrong = await client.request("Runtime.evaluate", { expression: "1", contextId: 9999 });
    expect(wrong.error!.message).toMatch(/Cannot find context with specified id/);
  });

  it("stops an endless loop at the time budget and answers with the error; the runtime keeps serving", async () => {
    const { runtime } = await world({}, { timeout: 200 });
    const { client } = await attach(runtime);
    const answer = await client.call("Runtime.evaluate", { expression: "while (true) {}" });
    expect(answer.exceptionDetails.exception.description).toMatch(/timed out: the script ran longer than 200 ms/);
    expect((await client.call("Runtime.evaluate", { expression: "ann.hp", returnByValue: true })).result.value).toBe(3);
  });

  it("runs only plain reads when DevTools asks for no side effects (eager evaluation while typing)", async () => {
    const { runtime } = await world();
    const { client } = await attach(runtime);
    const read = await client.call("Runtime.evaluate", { expression: "ann.name", throwOnSideEffect: true, returnByValue: true });
    expect(read.result.value).toBe("Ann");
    const write = await client.call("Runtime.evaluate", { expression: "ann.hp = 0", throwOnSideEffect: true });
    expect(write.exceptionDetails.exception.description).toMatch(/Possible side-effect/);
    expect((await client.call("Runtime.evaluate", { expression: "ann.hp", returnByValue: true })).result.value).toBe(3);
  });

  it("lists properties without running getters, calls functions on objects, and releases objects and groups", async () => {
    const { runtime } = await world();
    const { client } = await attach(runtime);
    const ann = (await client.call("Runtime.evaluate", { expression: "ann", objectGroup: "g" })).result;
    const own = await client.call("Runtime.getProperties", { objectId: ann.objectId, ownProperties: true, generatePreview: true });
    expect(own.result.map((property: { name: string }) => property.name)).toEqual(["name", "hp"]);
    expect(own.internalProperties[0].name).toBe("[[Prototype]]");
    const proto = await client.call("Runtime.getProperties", { objectId: own.internalProperties[0].value.objectId, ownProperties: true });
    const loud = proto.result.find((property: { name: string }) => property.name === "loud");
    expect(loud.get).toMatchObject({ type: "function", objectId: expect.any(String) });
    expect(loud.value).toBeUndefined();
    const called = await client.call("Runtime.callFunctionOn", {
      objectId: ann.objectId,
      functionDeclaration: "function (prefix) { return prefix + Object.keys(this).join(','); }",
      arguments: [{ value: "keys: " }],
      returnByValue: true,
    });
    expect(called.result.value).toBe("keys: name,hp");
    const greeting = await client.call("Runtime.callFunctionOn", { objectId: ann.objectId, functionDeclaration: "function (other) { return this.greet(other); }", arguments: [{ objectId: ann.objectId }], returnByValue: true });
    expect(greeting.result.value).toBe("hi Ann");
    await client.call("Runtime.releaseObject", { objectId: own.internalProperties[0].value.objectId });
    expect((await client.request("Runtime.getProperties", { objectId: own.internalProperties[0].value.objectId })).error!.message).toMatch(/Could not find object/);
    await client.call("Runtime.releaseObjectGroup", { objectGroup: "g" });
    expect((await client.request("Runtime.getProperties", { objectId: ann.objectId })).error!.message).toMatch(/Could not find object/);
  });

  it("leaves VM memory as before after a session that expanded 1,000 objects and closed", async () => {
    const { runtime } = await world();
    const session = async () => {
      const client = await CdpClient.connect(inspector.url);
      await client.call("Runtime.enable");
      const crates = (await client.call("Runtime.evaluate", { expression: "crates" })).result;
      const items = await client.call("Runtime.getProperties", { objectId: crates.objectId, ownProperties: true, generatePreview: true });
      return { client, items };
    };
    const { inspector, client: first } = await attach(runtime);
    // A first session makes what graft keeps for any (compiled evaluation code, shapes); the baseline is after it.
    await (await session()).client.close();
    await first.close();
    const baseline = runtime.gc().after;
    const { client, items } = await session();
    clients.push(client);
    const objects = items.result.filter((property: { value?: { objectId?: string } }) => property.value?.objectId);
    expect(objects).toHaveLength(1000);
    for (const item of objects) await client.call("Runtime.getProperties", { objectId: item.value.objectId, ownProperties: true });
    // Values the session holds are alive: copies of nothing, but handles on the crates' array.
    const derived = await client.call("Runtime.evaluate", { expression: "crates.map((crate) => ({ ...crate }))" });
    expect(runtime.gc().after).toBeGreaterThan(baseline);
    expect(derived.result.objectId).toBeTruthy();
    await client.close();
    // The server releases the session's handles when it sees the socket close.
    await waitFor(() => runtime.gc().after === baseline, 10_000, "the closed session's handles released");
    expect(runtime.gc().after).toBe(baseline);
  });
});

describe("console in every script context", () => {
  it("writes to the host through the console option, with the file and the TypeScript line", async () => {
    const entries: ConsoleEntry[] = [];
    const { runtime } = await world(
      {
        "calls.ts": `type Unused = { a: number };
console.log("log", 1, { a: [1, 2] });
console.info("info");
console.warn("warn %s=%d", "hp", 3);
console.error("error");
console.debug("debug");
console.trace("here");
console.assert(1 + 1 === 2, "fine");
console.assert(false, "not fine");
console.table([{ a: 1 }, { a: 2 }]);
console.count(); console.count("x"); console.count();
console.time("t"); console.timeEnd("t");
`,
      },
      { console: (entry) => entries.push(entry) },
    );
    expect(runtime.files()).toContain("calls.ts");
    const texts = entries.map((entry) => [entry.type, entry.file, entry.line, entry.text.split("\n")[0]]);
    expect(texts.slice(0, 6)).toEqual([
      ["log", "calls.ts", 2, "log 1 { a: Array(2) }"],
      ["info", "calls.ts", 3, "info"],
      ["warning", "calls.ts", 4, "warn hp=3"],
      ["error", "calls.ts", 5, "error"],
      ["debug", "calls.ts", 6, "debug"],
      ["trace", "calls.ts", 7, "Trace: here"],
    ]);
    // A call is placed at what is called (`trace`), as Node places it (call-sites.ts).
    expect(entries[5]!.text).toMatch(/at .*calls\.ts:7:9/);
    expect(texts[6]).toEqual(["assert", "calls.ts", 9, "Assertion failed: not fine"]);
    expect(texts[7]![0]).toBe("table");
    expect(entries[7]!.text).toContain("│ (index) │ a │");
    expect(texts.slice(8, 11).map((text) => text[3])).toEqual(["default: 1", "x: 1", "default: 2"]);
    expect(texts[11]![0]).toBe("timeEnd");
    expect(texts[11]![3]).toMatch(/^t: \d+ ms$/);
  });

  it("prints to stdout, or stderr for warnings and errors, with [file:line] by default", async () => {
    const folder = await scriptsFolder({ "hello.ts": `const n: number = 2;\nconsole.log("hello", n);\nconsole.error("oops");\n` });
    const written: [string, string][] = [];
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((text: string) => (written.push(["out", String(text)]), true)) as typeof process.stdout.write;
    process.stderr.write = ((text: string) => (written.push(["err", String(text)]), true)) as typeof process.stderr.write;
    try {
      await runtimeFor(folder);
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    expect(written).toContainEqual(["out", "[hello.ts:2] hello 2\n"]);
    expect(written).toContainEqual(["err", "[hello.ts:3] oops\n"]);
  });

  it("reaches DevTools as Runtime.consoleAPICalled with remote arguments and a source-mapped stack", async () => {
    const { runtime } = await world();
    const { client } = await attach(runtime);
    await client.call("Runtime.enable");
    const context = (await client.event("Runtime.executionContextCreated")).context;
    runtime.evaluate("world.ts", `shout("hey")`).dispose();
    const call = await client.event("Runtime.consoleAPICalled");
    expect(call.type).toBe("log");
    expect(call.executionContextId).toBe(context.id);
    expect(call.args.slice(0, 2)).toEqual([
      { type: "string", value: "shout:" },
      { type: "string", value: "hey" },
    ]);
    expect(call.args[2]).toMatchObject({ type: "object", className: "Player", objectId: expect.any(String) });
    const [top] = call.stackTrace.callFrames;
    // console.log is on line 13 of world.ts as written; a call is placed at its callee's name (call-sites.ts), column 11 (0-based: 12 and 10).
    expect(top).toMatchObject({ functionName: "shout", lineNumber: 12, columnNumber: 10, url: expect.stringMatching(/\/world\.ts$/) });
    const properties = await client.call("Runtime.getProperties", { objectId: call.args[2].objectId, ownProperties: true });
    expect(properties.result.map((property: { name: string }) => property.name)).toEqual(["name", "hp"]);
  });

  it("a script can replace its own console, and that changes no other file's", async () => {
    const entries: ConsoleEntry[] = [];
    const { runtime } = await world({ "quiet.ts": `globalThis.console = { log() {} } as any;\nconsole.log("never");\n`, "loud.ts": `export function say() { console.log("loud"); }\n` }, { console: (entry) => entries.push(entry) });
    runtime.evaluate("loud.ts", "say()").dispose();
    expect(entries.map((entry) => entry.text)).toEqual(["loud"]);
  });
});

describe("script errors graft reports reach DevTools", () => {
  it("as Runtime.exceptionThrown and Log.entryAdded with the TypeScript file:line:col: a timer's error and a reload's", async () => {
    const { runtime, folder } = await world();
    const { client } = await attach(runtime);
    await client.call("Runtime.enable");
    await client.call("Log.enable");
    await folder.write("tick.ts", `type T = number;\nsetTimeout(() => {\n  const n: T = 1;\n  throw new RangeError("tick " + n);\n}, 1);\n`);
    await runtime.reload(["tick.ts"]);
    const thrown = await client.event("Runtime.exceptionThrown");
    expect(thrown.exceptionDetails).toMatchObject({ lineNumber: 3, url: expect.stringMatching(/\/tick\.ts$/), text: "Uncaught (in setTimeout)" });
    expect(thrown.exceptionDetails.exception.description).toMatch(/RangeError: tick 1/);
    const logged = await client.event("Log.entryAdded");
    expect(logged.entry).toMatchObject({ level: "error", source: "javascript", lineNumber: 3 });

    await folder.write("broken.ts", `const a: number = 1;\nexport const b = a +;\n`);
    await runtime.reload(["broken.ts"]);
    const syntax = await client.event("Runtime.exceptionThrown", (params) => /broken\.ts/.test(params.exceptionDetails.url));
    expect(syntax.exceptionDetails.lineNumber).toBe(1);
    expect(syntax.exceptionDetails.exception.description).toMatch(/broken\.ts:2:\d+/);
  });
});

describe("HeapProfiler", () => {
  it("collectGarbage runs graft's full GC; takeHeapSnapshot streams chunks with progress, as DevTools' .heapsnapshot", async () => {
    // holder.ts's bag keeps an instance of the first version's Ghost after gone.ts stops defining it.
    const { runtime, folder } = await world({ "gone.ts": `import { bag } from "./holder";\nexport class Ghost {}\nbag.push(new Ghost());\n`, "holder.ts": "export const bag: unknown[] = [];\n" });
    await folder.write("gone.ts", "export const nothing = 1;\n");
    await runtime.reload(["gone.ts"]);
    const { client } = await attach(runtime);
    await client.call("HeapProfiler.enable");
    await client.call("HeapProfiler.collectGarbage");
    await client.call("HeapProfiler.takeHeapSnapshot", { reportProgress: true });
    const chunks = client.events.filter((event) => event.method === "HeapProfiler.addHeapSnapshotChunk").map((event) => event.params!.chunk as string);
    const progress = client.events.filter((event) => event.method === "HeapProfiler.reportHeapSnapshotProgress").map((event) => event.params!);
    expect(progress.at(-1)).toMatchObject({ finished: true });
    const snapshot = JSON.parse(chunks.join("")) as { snapshot: { node_count: number }; nodes: number[]; strings: string[] };
    expect(snapshot.nodes.length).toBe(snapshot.snapshot.node_count * 7);
    expect(progress.at(-1)!.total).toBe(snapshot.snapshot.node_count);
    // Named as heap.write() names them: the old version of Ghost is still held by holder.ts.
    expect(snapshot.strings.some((name) => /Ghost.*retired/.test(name))).toBe(true);
  });

  it("streams a big heap in pieces of about a MiB, and a client that leaves mid-snapshot costs nothing", async () => {
    const { runtime } = await world({ "big.ts": "export const items = Array.from({ length: 100000 }, (_, i) => ({ i, name: 'item' + i }));\n" });
    const { inspector, client } = await attach(runtime);
    await client.call("HeapProfiler.takeHeapSnapshot");
    const sizes = client.events.filter((event) => event.method === "HeapProfiler.addHeapSnapshotChunk").map((event) => (event.params!.chunk as string).length);
    expect(sizes.length).toBeGreaterThan(3);
    expect(Math.max(...sizes)).toBeLessThan(1.2 * 1024 * 1024);

    const leaving = await CdpClient.connect(inspector.url);
    clients.push(leaving);
    void leaving.request("HeapProfiler.takeHeapSnapshot");
    await leaving.event("HeapProfiler.addHeapSnapshotChunk");
    leaving.socket.terminate();
    // The runtime keeps serving: another client gets a whole snapshot.
    await client.call("HeapProfiler.takeHeapSnapshot");
    expect(runtime.evaluate("big.ts", "items.length").toHost()).toBe(100000);
  });
});

describe("Debugger (read-only Sources)", () => {
  it("lists each script with its file URL, returns the TypeScript as written, and refuses pausing clearly", async () => {
    const { runtime } = await world();
    const { client } = await attach(runtime);
    const enabled = await client.call("Debugger.enable");
    expect(enabled.debuggerId).toBeTruthy();
    const parsed = await client.event("Debugger.scriptParsed");
    expect(parsed.url).toMatch(/^file:\/\/.*\/world\.ts$/);
    const source = await client.call("Debugger.getScriptSource", { scriptId: parsed.scriptId });
    expect(source.scriptSource).toBe(WORLD);
    const breakpoint = await client.request("Debugger.setBreakpointByUrl", { url: parsed.url, lineNumber: 12 });
    expect(breakpoint.error!.message).toMatch(/graft does not pause scripts/);
    expect((await client.request("Debugger.pause")).error!.message).toMatch(/graft does not pause scripts/);
  });

  it("tells the user once per session, in the Console, that breakpoints and pausing are not offered, and leaves the frontend not pausing", async () => {
    const { runtime } = await world();
    const { inspector, client } = await attach(runtime);
    await client.call("Runtime.enable");
    await client.call("Debugger.enable");
    const parsed = await client.event("Debugger.scriptParsed");
    // What the frontend sends when it opens is accepted.
    expect(await client.call("Debugger.setPauseOnExceptions", { state: "none" })).toEqual({});
    const warnings = () => client.events.filter((event) => event.method === "Runtime.consoleAPICalled" && event.params!.type === "warning");
    expect(warnings()).toEqual([]);
    // A click on a line number: refused, and the Console says why (the frontend drops the breakpoint silently).
    expect((await client.request("Debugger.setBreakpointByUrl", { url: parsed.url, lineNumber: 1, columnNumber: 0, condition: "" })).error!.message).toMatch(/graft does not pause scripts/);
    expect(warnings().map((event) => event.params!.args[0].value)).toEqual([expect.stringMatching(/^graft does not pause scripts: breakpoints, pausing and stepping are not offered/)]);
    // The pause button: refused, and a "resumed" event so the frontend leaves its "pausing" state.
    const resumedBefore = client.events.filter((event) => event.method === "Debugger.resumed").length;
    expect((await client.request("Debugger.pause")).error!.message).toMatch(/graft does not pause scripts/);
    expect(client.events.filter((event) => event.method === "Debugger.resumed").length).toBe(resumedBefore + 1);
    // Pause on exceptions: refused too. The warning came once for the whole session.
    expect((await client.request("Debugger.setPauseOnExceptions", { state: "uncaught" })).error!.message).toMatch(/graft does not pause scripts/);
    expect((await client.request("Debugger.setBreakpoint", { location: { scriptId: parsed.scriptId, lineNumber: 1 } })).error!.message).toMatch(/graft does not pause scripts/);
    expect(warnings()).toHaveLength(1);
    // Another session is told again.
    const other = await CdpClient.connect(inspector.url);
    clients.push(other);
    await other.call("Debugger.enable");
    await other.request("Debugger.pause");
    expect(other.events.filter((event) => event.method === "Runtime.consoleAPICalled" && event.params!.type === "warning")).toHaveLength(1);
  });
});

describe("bad input from a client", () => {
  it("answers unknown methods, malformed JSON and bad params with CDP errors, and keeps the session", async () => {
    const { runtime } = await world();
    const { client } = await attach(runtime);
    expect((await client.request("Nope.nothing")).error).toEqual({ code: -32601, message: "'Nope.nothing' wasn't found" });
    expect((await client.request("Runtime.toString")).error!.code).toBe(-32601);
    client.sendRaw("{ this is not json");
    await client.until(() => client.unsolicited.length > 0, "the parse error");
    expect(client.unsolicited[0]!.error!.code).toBe(-32700);
    client.sendRaw(JSON.stringify({ id: 7, method: "Runtime.evaluate", params: [1, 2] }));
    client.sendRaw(JSON.stringify({ method: "Runtime.evaluate" }));
    await client.until(() => client.unsolicited.length >= 2 || undefined, "the invalid-request errors");
    expect((await client.request("Runtime.evaluate", {})).error!.code).toBe(-32602);
    expect((await client.call("Runtime.evaluate", { expression: "ann.hp", returnByValue: true })).result.value).toBe(3);
  });

  it("closes a client that sends a huge message (1009) and keeps serving the others", async () => {
    const { runtime } = await world();
    const { inspector, client } = await attach(runtime);
    const other = await CdpClient.connect(inspector.url);
    clients.push(other);
    client.sendRaw(JSON.stringify({ id: 1, method: "Runtime.evaluate", params: { expression: `"${"x".repeat(17 * 1024 * 1024)}"` } }));
    await client.until(() => client.closed, "the huge message's client to be closed");
    expect(client.closed!.code).toBe(1009);
    expect((await other.call("Runtime.evaluate", { expression: "ann.hp", returnByValue: true })).result.value).toBe(3);
  });
});
