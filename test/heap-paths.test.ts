import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newQuickJSWASMModuleFromVariant, type QuickJSContext, type QuickJSRuntime, type QuickJSSyncVariant } from "quickjs-emscripten-core";
import releaseSyncVariant from "@jitl/quickjs-wasmfile-release-sync";
import { formatRetainers, labelsFor } from "../runtime/heap/format.js";
import { collect, gcTargetOf } from "../runtime/heap/gc.js";
import { StableIds, type HeapGraph } from "../runtime/heap/graph.js";
import { writeHeapSnapshot } from "../runtime/heap/heapsnapshot.js";
import { addressOfHandle } from "../runtime/heap/handles.js";
import { contextPointerOf, heapTargetOf } from "../runtime/heap/layout.js";
import { verifyLayout } from "../runtime/heap/self-check.js";
import { readRuntimeHeap, type ReadOptions } from "../runtime/heap/reader.js";
import { parseHeapSnapshot } from "./heapsnapshot-file.js";

/** Retainer paths, labels, dominators, stable ids and the .heapsnapshot writer on a raw runtime with several contexts. */

let runtime: QuickJSRuntime;
const open: QuickJSContext[] = [];

beforeAll(async () => {
  const quickjs = await newQuickJSWASMModuleFromVariant(releaseSyncVariant as unknown as QuickJSSyncVariant);
  runtime = quickjs.newRuntime();
  runtime.setMaxStackSize(256 * 1024);
});

afterAll(() => {
  for (const context of open.splice(0)) context.dispose();
  runtime.dispose();
});

/** Contexts named after script files, as graft runs them. */
function contexts(...files: string[]): { list: QuickJSContext[]; options: ReadOptions } {
  const list = files.map(() => runtime.newContext());
  open.push(...list);
  return { list, options: { contexts: new Map(list.map((context, i) => [contextPointerOf(context), files[i]!])) } };
}

function run(context: QuickJSContext, code: string, file = "eval.js"): void {
  context.unwrapResult(context.evalCode(code, file)).dispose();
}

/** The address of what `code` evaluates to; the handle is disposed so it does not hold the object. */
function addressOf(context: QuickJSContext, code: string): number {
  const handle = context.unwrapResult(context.evalCode(code));
  try {
    return addressOfHandle(heapTargetOf(runtime), handle)!;
  } finally {
    handle.dispose();
  }
}

function snapshot(context: QuickJSContext, options: ReadOptions): HeapGraph {
  collect(gcTargetOf(runtime, context));
  return readRuntimeHeap(heapTargetOf(runtime), options);
}

describe("retainer paths", () => {
  it("prints rule H3's path through a closure, a prototype and another context's global", () => {
    const { list: [rehashContext, shoutContext], options } = contexts("commands/rehash.ts", "commands/shout.ts");
    verifyLayout(runtime, rehashContext!);
    run(
      rehashContext!,
      [
        "(function () {",
        "  class Rehash {}",
        "  globalThis.retired = new WeakRef(Rehash);",
        "  globalThis.makeExecute = function () {",
        "    return {",
        "      execute() {",
        "        return Rehash;",
        "      },",
        "    };",
        "  };",
        "})();",
      ].join("\n"),
      "commands/rehash.ts",
    );
    run(shoutContext!, `class Shout {}\nglobalThis.install = (f) => { Shout.prototype.execute = f; };`, "commands/shout.ts");
    const maker = rehashContext!.unwrapResult(rehashContext!.evalCode(`makeExecute().execute`));
    const install = shoutContext!.getProp(shoutContext!.global, "install");
    shoutContext!.unwrapResult(shoutContext!.callFunction(install, shoutContext!.undefined, maker)).dispose();
    install.dispose();
    maker.dispose();
    run(rehashContext!, `delete globalThis.makeExecute`);
    const rehash = addressOf(rehashContext!, `retired.deref()`);

    const graph = snapshot(rehashContext!, options);
    const index = graph.indexOf(rehash)!;
    expect(graph.nodes[index]).toMatchObject({ kind: "function", name: "Rehash", location: "commands/rehash.ts:2" });
    const [first] = formatRetainers(graph, index, { targetDescription: "Rehash  class, retired (commands/rehash.ts v1)" });
    expect(first!.text).toBe(
      [
        "Rehash  class, retired (commands/rehash.ts v1)",
        "  <- closure variable 'Rehash' of function execute (commands/rehash.ts:6)",
        "  <- property 'execute' of Shout.prototype (commands/shout.ts)",
        "  <- global 'Shout' of context commands/shout.ts   [root]",
      ].join("\n"),
    );
  });

  it("names the closure variable a leak goes through, and derives the target's description", () => {
    const { list: [context], options } = contexts("handlers.ts");
    run(
      context!,
      `class Leaky { constructor() { this.big = new Array(100).fill(1); } }\n` +
        `function makeHandler() { const secretCache = new Leaky(); return function onTick() { return secretCache; }; }\n` +
        `var handler = makeHandler();`,
      "handlers.ts",
    );
    const leaky = addressOf(context!, `handler()`);
    const graph = snapshot(context!, options);
    const index = graph.indexOf(leaky)!;
    expect(graph.nodes[index]!.name).toBe("Leaky");
    const [first] = formatRetainers(graph, index);
    expect(first!.text).toBe(
      ["Leaky", "  <- closure variable 'secretCache' of function onTick (handlers.ts:2)", "  <- global 'handler' of context handlers.ts   [root]"].join("\n"),
    );
    // The leaked instance retains its array: dominators put it under the instance.
    const array = graph.outgoing(index).find((edge) => edge.name === "big")!.to;
    expect(graph.dominators().idom[array]).toBe(index);
    expect(graph.dominators().retained[index]).toBeGreaterThanOrEqual(graph.nodes[index]!.selfSize + 800);
  });

  it("labels objects held by the host, and passes through map entries, bound functions and home objects", () => {
    const { list: [context], options } = contexts("host.ts");
    run(
      context!,
      `globalThis.reg = new Map([["tick", function () {}.bind({ inner: { deep: 1 } })]]);\n` +
        `globalThis.homed = { method() { return super.x; } };`,
      "host.ts",
    );
    const held = context!.unwrapResult(context!.evalCode(`({ hostOnly: true })`));
    const heldAddress = addressOfHandle(heapTargetOf(runtime), held)!;
    const deep = addressOf(context!, `reg.get("tick")`);
    const home = addressOf(context!, `homed`);
    const graph = snapshot(context!, { ...options, holders: new Map([[heldAddress, "ScriptValue: hostOnly held by host"]]) });
    const [hostPath] = formatRetainers(graph, graph.indexOf(heldAddress)!);
    expect(hostPath!.text).toBe(["Object", "  held directly from outside the heap (ScriptValue: hostOnly held by host)   [root]"].join("\n"));
    const [mapPath] = formatRetainers(graph, graph.indexOf(deep)!);
    expect(mapPath!.text).toContain(`<- value for key "tick" of Map`);
    expect(mapPath!.text).toContain("<- global 'reg' of context host.ts   [root]");
    const method = graph.outgoing(graph.indexOf(home)!).find((edge) => edge.name === "method")!.to;
    expect(graph.outgoing(method).find((edge) => edge.name === "home object")?.to).toBe(graph.indexOf(home));
    const bound = graph.indexOf(deep)!;
    expect(graph.outgoing(bound).map((edge) => edge.name)).toEqual(expect.arrayContaining(["bound target", "bound this"]));
    held.dispose();
  });

  it("names module exports and the module's context", () => {
    const { list: [context], options } = contexts("game.js");
    const result = context!.evalCode(`export class Board {}\nexport const size = 3;`, "game.js", { type: "module" });
    context!.unwrapResult(result).dispose();
    const graph = snapshot(context!, options);
    const board = graph.nodes.find((node) => node.kind === "function" && node.name === "Board")!;
    const module = graph.nodes.find((node) => node.kind === "module" && node.name === "game.js")!;
    expect(module).toBeDefined();
    const paths = formatRetainers(graph, board.index, { limit: 5 });
    expect(paths[0]!.text).toBe(
      ["function Board (game.js:1)", "  <- export 'Board' of module game.js", "  <- module game.js of context game.js   [root]"].join("\n"),
    );
  });
});

describe("stable ids and .heapsnapshot", () => {
  it("keeps ids across snapshots of one runtime and gives new objects new ids", () => {
    const { list: [context], options } = contexts("ids.ts");
    const ids = new StableIds();
    run(context!, `globalThis.kept = { name: "kept" };`);
    const kept = addressOf(context!, `kept`);
    const first = snapshot(context!, options);
    const firstIds = ids.assign(first);
    run(context!, `globalThis.noise = Array.from({ length: 100 }, () => ({}));`);
    const second = snapshot(context!, options);
    const secondIds = ids.assign(second);
    expect(secondIds[second.indexOf(kept)!]).toBe(firstIds[first.indexOf(kept)!]);
    const before = new Set(firstIds);
    const fresh = Array.from(secondIds).filter((id) => !before.has(id));
    expect(fresh.length).toBeGreaterThanOrEqual(101);
    expect(new Set(secondIds).size).toBe(secondIds.length);
  });

  it("writes a valid DevTools snapshot with the known object, its retainer and its retained size", async () => {
    const { list: [context], options } = contexts("game.ts");
    run(context!, `class Treasure { constructor(gold) { this.gold = gold; } }\nglobalThis.hoard = new Treasure(new Array(1000).fill(7));`, "game.ts");
    const graph = readRuntimeHeap(heapTargetOf(runtime), options);
    new StableIds().assign(graph);
    const labels = labelsFor(graph);
    const file = path.join(tmpdir(), `graft-heap-${process.pid}-${Date.now()}.heapsnapshot`);
    try {
      writeHeapSnapshot(file, graph, (index) => graph.nodes[index]!.name);
      const text = await readFile(file, "utf8");
      expect(Object.keys(JSON.parse(text) as object)).toEqual(["snapshot", "nodes", "edges", "trace_function_infos", "trace_tree", "samples", "locations", "strings"]);
      const parsed = parseHeapSnapshot(text);
      const found = parsed.nodes.filter((node) => node.name === "Treasure" && node.type === "object");
      expect(found).toHaveLength(1);
      const treasure = found[0]!;
      expect(treasure.referrers.map((edge) => String(edge.nameOrIndex))).toContain("hoard");
      const ours = graph.nodes.find((node) => node.name === "Treasure" && node.kind === "object")!;
      expect(treasure.id).toBe(graph.ids[ours.index]! * 2 + 1);
      const retained = parsed.retainedSize(treasure);
      expect(retained).toBeGreaterThan(8000);
      expect(retained).toBe(graph.dominators().retained[ours.index]);
      expect([...labels.globals.values()].filter((file) => file === "game.ts")).toHaveLength(2);
    } finally {
      await rm(file, { force: true });
    }
  });
});
