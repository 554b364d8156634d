import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { runAdminCommand } from "../demo/admin.js";
import { describeReload, GraftError, type HeapProgress } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** What a new user tripped on (issue 20), each driven through the public API as a host would. */

describe("reload() of a path that does not exist", () => {
  it("is a GraftError naming the path, in reload() and the demo's @reload", async () => {
    const folder = await scriptsFolder({ "animals/dog.ts": `export class Dog {}\n` });
    const runtime = await runtimeFor(folder);
    const typo = runtime.reload(["animals/dgo.ts"]);
    await expect(typo).rejects.toBeInstanceOf(GraftError);
    await expect(typo).rejects.toThrow(/'animals\/dgo\.ts' is not on disk .* and not loaded; check the spelling/);
    // a real file still reloads, and a deleted loaded file is a removal, not an error
    expect((await runtime.reload(["animals/dog.ts"], { force: true })).files).toEqual(["animals/dog.ts"]);
    await folder.remove("animals/dog.ts");
    expect((await runtime.reload(["animals/dog.ts"])).removed).toEqual(["animals/dog.ts"]);
    expect(await runAdminCommand(runtime, "@reload", "nosuch.ts", folder.root)).toMatch(/^@reload: reload\(files\): 'nosuch\.ts' is not on disk/);
  });
});

describe("class handles never keep a class alive", () => {
  it("findSubclasses/getClass handles of a deleted file's classes are no leak, and say the class is gone when used", async () => {
    const folder = await scriptsFolder({
      "animals/animal.ts": `export class Animal { speak() { return "..."; } }\n`,
      "animals/cat.ts": `import { Animal } from "./animal";\nexport class Cat extends Animal { speak() { return "meow"; } }\n`,
    });
    const runtime = await runtimeFor(folder);
    const Animal = runtime.getClass("animals/animal.ts", "Animal");
    // the host's own bookkeeping, as a host that asks after every reload keeps it (never disposed)
    const lists = [runtime.findSubclasses(Animal), runtime.findSubclasses(Animal), runtime.findSubclasses("animals/animal.ts#Animal")];
    const Cat = runtime.getClass("animals/cat.ts", "Cat");
    const tom = Cat.new();
    expect(tom.call("speak").toHost()).toBe("meow");
    tom.dispose(); // an instance the host holds would hold its class (next test)
    expect(lists.map((list) => list.map((cls) => cls.name))).toEqual([["Cat"], ["Cat"], ["Cat"]]);
    await folder.remove("animals/cat.ts");
    expect((await runtime.reload()).retired.map((retired) => retired.name)).toEqual(["Cat"]);
    expect(Cat.retired).toBe(true);
    expect(runtime.leaks()).toEqual([]);
    expect(Cat.alive).toBe(false);
    expect([Cat.name, Cat.file, Cat.version, Cat.retired]).toEqual(["Cat", "animals/cat.ts", 1, true]);
    expect(() => Cat.new()).toThrow(GraftError);
    expect(() => Cat.new()).toThrow(/^Cat \(animals\/cat\.ts v1\) was retired: its file was deleted, and nothing kept the class alive/);
    expect(() => lists[0]![0]!.get("name")).toThrow(/was retired: its file was deleted/);
    expect(inspect(Cat)).toBe("ScriptClass Cat (animals/cat.ts v1, retired and collected)");
    // a class still defined keeps working through its handle
    expect(Animal.new().call("speak").toHost()).toBe("...");
    expect(Animal.alive).toBe(true);
  });

  it("a class its file no longer defines says so", async () => {
    const folder = await scriptsFolder({ "zoo.ts": `export class Owl {}\n` });
    const runtime = await runtimeFor(folder);
    const Owl = runtime.getClass("zoo.ts", "Owl");
    await folder.write("zoo.ts", `export class Lark {}\n`);
    await runtime.reload(["zoo.ts"]);
    expect(runtime.leaks()).toEqual([]);
    expect(() => Owl.get("name")).toThrow(/^Owl \(zoo\.ts v1\) was retired: zoo\.ts no longer defines it/);
  });

  it("instances the host holds keep their class, and leaks() names them as held by the host, with the call that made each", async () => {
    const folder = await scriptsFolder({ "dog.ts": `export class Dog { bark() { return "woof"; } }\nexport function adopt() { return new Dog(); }\n` });
    const runtime = await runtimeFor(folder);
    const rex = runtime.getClass("dog.ts", "Dog").new();
    const adopt = runtime.exports("dog.ts").adopt!;
    const fido = adopt.invoke();
    adopt.dispose(); // the function would hold the class too (closure variable 'Dog'), as held by the host from exports('dog.ts').adopt
    await folder.remove("dog.ts");
    await runtime.reload(["dog.ts"]);
    expect(rex.call("bark").toHost()).toBe("woof");
    const leaks = runtime.leaks();
    expect(leaks.map((leak) => leak.name)).toEqual(["Dog"]);
    expect(leaks[0]!.text).toMatch(/<- prototype of Dog {3}\[root: a ScriptValue held by the host \(Dog\), from (new|invoke)\(\)\]$/);
    rex.dispose();
    expect(runtime.leaks()[0]!.text).toMatch(/\[root: a ScriptValue held by the host \(Dog\), from invoke\(\)\]$/);
    fido.dispose();
    expect(runtime.leaks()).toEqual([]);
  });
});

describe("retainers() of what the host holds", () => {
  it("includes the host's own hold as a path, naming the call that made the handle", async () => {
    const folder = await scriptsFolder({ "pets.ts": `export class Pet {}\nexport function make() { return new Pet(); }\nexport const kept = new Pet();\n` });
    const runtime = await runtimeFor(folder);
    const pet = runtime.exports("pets.ts").make!.invoke();
    const paths = runtime.retainers(pet);
    expect(paths.length).toBe(1);
    expect(paths[0]!.text).toMatch(/^Pet.*\n {2}held directly from outside the heap \(a ScriptValue held by the host \(Pet.*\), from invoke\(\)\) {3}\[root\]$/);
    // a value the script holds too: both the script's path and the host's
    const kept = runtime.exports("pets.ts").kept!;
    const texts = runtime.retainers(kept).map((path) => path.text).join("\n");
    expect(texts).toContain("from exports('pets.ts').kept");
    expect(texts).toMatch(/export 'kept'|property 'kept'|closure variable 'kept'/);
  });
});

describe("reports say what changed for users", () => {
  it("a forced reload of an unchanged file reports no static change; a changed array does; a Map or Proxy counts as changed", async () => {
    const folder = await scriptsFolder({
      "look.ts": `export class Look {\n  static verbs = ["look", "l"];\n  static help = { text: "look around", tags: [1, 2] };\n  static table = new Map([["a", 1]]);\n  static trap = new Proxy({}, { ownKeys() { throw new Error("trap ran"); } });\n  execute() { return 1; }\n}\n`,
    });
    const runtime = await runtimeFor(folder);
    const forced = await runtime.reload(["look.ts"], { force: true });
    expect(forced.patched.map((patch) => patch.static.changed)).toEqual([["table", "trap"]]);
    expect(describeReload(forced)[1]).toBe("  Look: patched to v2 (static ~table ~trap)");
    await folder.write("look.ts", `export class Look {\n  static verbs = ["look", "peer"];\n  static help = { text: "look around", tags: [1, 2] };\n  execute() { return 1; }\n}\n`);
    const edited = await runtime.reload(["look.ts"]);
    expect(edited.patched[0]!.static).toEqual({ added: [], changed: ["verbs"], removed: ["table", "trap"] });
  });

  it("fields given to live instances are named, with how many instances got them", async () => {
    const folder = await scriptsFolder({ "player.ts": `export class Player { name = "Ann"; }\nexport const players = [new Player(), new Player()];\nimport.meta.hot.data.players ??= players;\n` });
    const runtime = await runtimeFor(folder);
    await folder.write("player.ts", `export class Player { name = "Ann"; title = "the Brave"; }\nexport const players = import.meta.hot.data.players;\n`);
    const report = await runtime.reload(["player.ts"]);
    expect(report.patched[0]!.fields).toEqual({ added: ["title"], instances: 2 });
    expect(describeReload(report)[1]).toBe("  Player: patched to v2 (fields +title on 2 live instances)");
  });
});

describe("heap tools name what users know", () => {
  it("topClasses() hides graft's own objects unless asked, and names every row", async () => {
    const folder = await scriptsFolder({ "room.ts": `export class Room {}\nexport const rooms = [new Room(), new Room()];\nsetInterval(() => {}, 1000);\n` });
    const runtime = await runtimeFor(folder, { host: { log: () => {} } });
    const rows = runtime.heap.topClasses(100);
    expect(rows.find((row) => row.name === "Room")?.count).toBe(2);
    const names = rows.map((row) => row.name);
    expect(names.filter((name) => name === "" || /^Safe|^HostRef$/.test(name))).toEqual([]);
    const all = runtime.heap.topClasses(100, { internal: true }).map((row) => row.name);
    expect(all).toEqual(expect.arrayContaining(["SafeMap", "SafeSet", "HostRef"]));
    expect(all).not.toContain("");
  });

  it("a deleted file's context that is still alive is named with its file and version", async () => {
    const folder = await scriptsFolder({
      "a.ts": `export class Cat {}\n(globalThis as any).keptCat = new Cat();\nexport function pet() { return 1; }\n`,
      "b.ts": `import { pet } from "./a";\nglobalThis.petFn ??= pet;\n`,
    });
    const runtime = await runtimeFor(folder);
    await folder.remove("a.ts");
    await runtime.reload();
    const text = runtime.leaks().map((leak) => leak.text).join("\n");
    expect(text).toContain("Cat  class, retired (a.ts v1)");
    expect(text).toContain("<- global 'keptCat' of context a.ts v1, deleted");
    expect(text).not.toContain("(unnamed)");
  });
});

describe("one vocabulary", () => {
  it("heap tools live under runtime.heap (top-level names kept as deprecated aliases), and getClass takes 'file#Name' as findSubclasses does", async () => {
    const folder = await scriptsFolder({ "zoo.ts": `export class Owl {}\nexport const owls = [new Owl()];\n` });
    const runtime = await runtimeFor(folder);
    const Owl = runtime.getClass("zoo.ts#Owl");
    expect(Owl.isSame(runtime.getClass("zoo.ts", "Owl"))).toBe(true);
    expect(() => runtime.getClass("zoo.ts")).toThrow(/getClass\(file, name\) needs a script path and a class name, or one "file#ClassName" reference/);
    expect(runtime.heap.findInstances(Owl)).toHaveLength(1);
    expect(runtime.findInstances(Owl)).toHaveLength(1);
    expect(runtime.heap.gc().after).toBeGreaterThan(0);
    expect(runtime.heap.leaks()).toEqual([]);
    const [owl] = runtime.heap.findInstances(Owl);
    expect(runtime.heap.retainers(owl!).map((path) => path.text).join("\n")).toContain("held by the host (Owl), from findInstances()");
  });
});

describe("long heap work", () => {
  it("heap.write reads the heap, then writes the file while the host runs, with progress; an AbortSignal stops it and removes the partial file", async () => {
    const folder = await scriptsFolder({ "crates.ts": `export class Crate { constructor(public n: number) {} }\nexport const crates = Array.from({ length: 60000 }, (_, n) => new Crate(n));\n` });
    const runtime = await runtimeFor(folder);
    const file = path.join(folder.root, "heap.heapsnapshot");
    const progress: { done: number; total: number }[] = [];
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    try {
      const writing = runtime.heap.write(file, { onProgress: (step) => progress.push(step) });
      const turnsAtReturn = turns;
      await writing;
      // The event loop ran while the file was written (before: one synchronous call).
      expect(turns).toBeGreaterThan(turnsAtReturn);
    } finally {
      clearInterval(ticker);
    }
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total);
    expect(progress.every((step, i) => i === 0 || step.done >= progress[i - 1]!.done)).toBe(true);
    const written = JSON.parse(await readFile(file, "utf8")) as { snapshot: { node_count: number } };
    expect(written.snapshot.node_count).toBeGreaterThan(60000);

    const controller = new AbortController();
    const stopped = path.join(folder.root, "stopped.heapsnapshot");
    const aborted = runtime.heap.write(stopped, { onProgress: () => controller.abort(new Error("enough")), signal: controller.signal });
    await expect(aborted).rejects.toThrow("enough");
    await expect(stat(stopped)).rejects.toThrow(/ENOENT/);
  });

  it("heap.snapshot() and heap.leaks() report real progress, phase by phase, ending at done", async () => {
    const folder = await scriptsFolder({
      "crates.ts": `export class Crate { constructor(public n: number) {} }\nexport const crates = Array.from({ length: 60000 }, (_, n) => new Crate(n));\n`,
      "cat.ts": `export class Cat { speak() { return "meow"; } }\n`,
    });
    const runtime = await runtimeFor(folder);
    const steps: HeapProgress[] = [];
    const graph = runtime.heap.snapshot({ onProgress: (step) => steps.push(step) });
    const reads = steps.filter((step) => step.phase === "read");
    // one step a chunk of objects: a 60k-object heap is read in several
    expect(reads.length).toBeGreaterThan(3);
    expect(reads.every((step, i) => step.done <= step.total && (i === 0 || step.done > reads[i - 1]!.done))).toBe(true);
    expect(reads.at(-1)).toEqual({ phase: "read", done: graph.nodeCount, total: graph.nodeCount });
    expect(steps.at(-1)).toEqual({ phase: "done", done: 1, total: 1 });

    // a retired class the host still holds an instance of: leaks() reads the heap and makes its paths
    const tom = runtime.getClass("cat.ts", "Cat").new();
    await folder.remove("cat.ts");
    await runtime.reload(["cat.ts"]);
    const leakSteps: HeapProgress[] = [];
    const leaks = runtime.heap.leaks({ onProgress: (step) => leakSteps.push(step) });
    expect(leaks.map((leak) => leak.text).join("\n")).toContain("Cat");
    const phases = leakSteps.map((step) => step.phase).filter((phase, i, all) => phase !== all[i - 1]);
    expect(phases).toEqual(["gc", "read", "paths", "done"]);
    expect(leakSteps.filter((step) => step.phase === "paths").at(-1)).toEqual({ phase: "paths", done: leaks.length, total: leaks.length });
    // the deprecated alias takes the same options
    const aliasSteps: HeapProgress[] = [];
    expect(runtime.leaks({ onProgress: (step) => aliasSteps.push(step) })).toHaveLength(leaks.length);
    expect(aliasSteps.at(-1)!.phase).toBe("done");
    tom.dispose();
  });

  it("an aborted signal stops heap.snapshot() and heap.leaks() with its reason, and the runtime keeps answering", async () => {
    const folder = await scriptsFolder({ "crates.ts": `export class Crate { constructor(public n: number) {} }\nexport const crates = Array.from({ length: 60000 }, (_, n) => new Crate(n));\n` });
    const runtime = await runtimeFor(folder);
    runtime.heap.gc();
    const whole = runtime.heap.snapshot().nodeCount;
    const midRead = new AbortController();
    const seen: HeapProgress[] = [];
    const stopAtFirstChunk = (step: HeapProgress): void => {
      seen.push(step);
      if (step.phase === "read") midRead.abort(new Error("enough"));
    };
    expect(() => runtime.heap.snapshot({ onProgress: stopAtFirstChunk, signal: midRead.signal })).toThrow("enough");
    // stopped after the first chunk: never read to the end, never said done
    expect(seen.filter((step) => step.phase === "read")).toHaveLength(1);
    expect(seen.some((step) => step.phase === "done")).toBe(false);

    const afterGc = new AbortController();
    expect(() => runtime.heap.leaks({ onProgress: (step) => step.phase === "gc" && afterGc.abort(new Error("stop leaks")), signal: afterGc.signal })).toThrow("stop leaks");
    const already = new AbortController();
    already.abort(new Error("too late"));
    expect(() => runtime.heap.snapshot({ signal: already.signal })).toThrow("too late");
    expect(() => runtime.heap.leaks({ signal: already.signal })).toThrow("too late");

    // nothing half-done: the next snapshot reads the whole heap, node ids still stable
    runtime.heap.gc();
    const again = runtime.heap.snapshot();
    expect(again.nodeCount).toBe(whole);
    expect(runtime.heap.leaks()).toEqual([]);
    expect(runtime.evaluate("crates.ts", "crates.length").toHost()).toBe(60000);
  });
});
