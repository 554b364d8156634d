import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

describe("R3 transactional", () => {
  it("a syntax error changes nothing and names file:line:column as written (TypeScript)", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A {\n  hello(): string { return "v1"; }\n}\n` });
    const runtime = await runtimeFor(folder);
    const A = runtime.getClass("a.ts", "A");
    const a = A.new();
    await folder.write("a.ts", `export class A {\n  hello(): string { return "v2" }\n  broken( { \n}\n`);
    const report = await runtime.reload(["a.ts"]);
    expect(report.ok).toBe(false);
    expect(report.errors[0]!.position).toMatchObject({ file: "a.ts", line: expect.any(Number) });
    expect(report.errors[0]!.text).toMatch(/^a\.ts:\d+:\d+: /);
    expect(report.errors[0]!.text).toContain("previous version keeps running");
    expect(a.call("hello").toHost()).toBe("v1");
  });

  it("a top-level throw after a class was patched rolls the class back completely", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { static tag = "one"; hello() { return "v1"; } }` });
    const runtime = await runtimeFor(folder);
    const A = runtime.getClass("a.ts", "A");
    const a = A.new();
    await folder.write("a.ts", `export class A { static tag = "two"; hello() { return "v2"; } extra() {} }\n\nthrow new Error("nope");\n`);
    const report = await runtime.reload(["a.ts"]);
    expect(report.errors[0]!.message).toContain("Error: nope");
    expect(report.errors[0]!.position).toEqual({ file: "a.ts", line: 3, column: expect.any(Number) });
    expect(a.call("hello").toHost()).toBe("v1");
    expect(A.get("tag").toHost()).toBe("one");
    expect(a.get("extra").toHost()).toBeUndefined();
    expect(A.version).toBe(1);
  });

  it("runtime errors in methods map to the TypeScript line and column", async () => {
    const folder = await scriptsFolder({
      "t.ts": `type Id = number;\ninterface P { id: Id }\nexport class T {\n  fail(p: P): never {\n    throw new TypeError("bad " + p.id);\n  }\n}\n`,
    });
    const runtime = await runtimeFor(folder);
    const t = runtime.getClass("t.ts", "T").new();
    let caught: unknown;
    try {
      t.call("fail", { id: 7 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    const error = caught as { message: string; position?: { line: number; column: number }; scriptStack: string };
    expect(error.message).toContain("TypeError: bad 7");
    expect(error.position).toMatchObject({ file: "t.ts", line: 5 });
    expect(error.scriptStack).toContain("t.ts:5:");
  });
});

describe("R4 identity", () => {
  it("classes keep identity for host handles, instanceof, importers and findSubclasses", async () => {
    const folder = await scriptsFolder({
      "base.ts": `export class Base {}`,
      "a.ts": `import { Base } from "./base"; class Hidden extends Base { v() { return 1; } } export class A extends Base { hidden() { return new Hidden(); } }`,
      "holder.ts": `import { A } from "./a"; export const seen = A; export const early = new A(); export function isA(x) { return x instanceof A; }`,
    });
    const runtime = await runtimeFor(folder);
    const A = runtime.getClass("a.ts", "A");
    const hiddenBefore = runtime.getClass("a.ts", "Hidden");
    await folder.write("a.ts", `import { Base } from "./base"; class Hidden extends Base { v() { return 2; } } export class A extends Base { hidden() { return new Hidden(); } }`);
    expect((await runtime.reload(["a.ts"])).errors).toEqual([]);
    const holder = runtime.exports("holder.ts");
    expect(holder.seen!.isSame(A)).toBe(true);
    expect(holder.isA!.invoke(holder.early!).toHost()).toBe(true);
    expect(holder.isA!.invoke(A.new()).toHost()).toBe(true);
    expect(runtime.getClass("a.ts", "Hidden").isSame(hiddenBefore)).toBe(true);
    expect(A.new().call("hidden").call("v").toHost()).toBe(2);
    const subclasses = runtime.findSubclasses("base.ts#Base");
    expect(subclasses.map((c) => c.name)).toEqual(["Hidden", "A"]); // file order, then definition order
  });
});

describe("R5 members", () => {
  it("applies the new version's members and descriptors, removes dropped ones, keeps run-time additions", async () => {
    const folder = await scriptsFolder({
      "m.js": `const tag = Symbol.for("tag");
export class M {
  a() { return "method"; }
  get b() { return "getter"; }
  c() { return "dropped"; }
  [tag]() { return "sym1"; }
  static s() { return "static1"; }
  static data = 1;
}`,
    });
    const runtime = await runtimeFor(folder);
    const M = runtime.getClass("m.js", "M");
    const m = M.new();
    runtime.evaluate("m.js", "undefined").dispose();
    // other code adds a member at run time
    const proto = M.get("prototype");
    const adder = runtime.evaluate("m.js", "(p) => { p.runtimeAdded = function () { return 'kept'; }; }");
    adder.invoke(proto).dispose();
    await folder.write("m.js", `const tag = Symbol.for("tag");
export class M {
  get a() { return "now a getter"; }
  b() { return "now a method"; }
  [tag]() { return "sym2"; }
  static s = "now data";
}`);
    const report = await runtime.reload(["m.js"]);
    expect(report.errors).toEqual([]);
    expect(m.get("a").toHost()).toBe("now a getter");
    expect(m.call("b").toHost()).toBe("now a method");
    expect(m.get("c").toHost()).toBeUndefined();
    expect(M.get("s").toHost()).toBe("now data");
    expect(M.get("data").toHost()).toBeUndefined();
    expect(m.call("runtimeAdded").toHost()).toBe("kept");
    const symbolCall = runtime.evaluate("m.js", "(m) => m[Symbol.for('tag')]()");
    expect(symbolCall.invoke(m).toHost()).toBe("sym2");
    expect(report.patched[0]!.prototype.removed).toEqual(["c"]);
    expect(report.patched[0]!.static.removed).toEqual(["data"]);
    expect(report.patched[0]!.prototype.changed.sort()).toEqual(["[tag]", "a", "b"]);
  });
});

describe("R6 construction", () => {
  it("new runs the newest constructor and field initialisers; existing instances are not re-initialised (only fields the new version adds are given to them)", async () => {
    const folder = await scriptsFolder({ "c.ts": `export class C { hp = 10; constructor(public name: string) {} }` });
    const runtime = await runtimeFor(folder);
    const C = runtime.getClass("c.ts", "C");
    const old = C.new("old");
    old.set("hp", 3);
    await folder.write("c.ts", `export class C { hp = 20; mana = 5; constructor(public name: string) { this.name = name.toUpperCase(); } }`);
    await runtime.reload(["c.ts"]);
    expect(old.toHost()).toEqual({ hp: 3, name: "old", mana: 5 });
    expect(C.new("new").toHost()).toEqual({ hp: 20, mana: 5, name: "NEW" });
  });

  it("subclass construction goes through every class's newest constructor", async () => {
    const folder = await scriptsFolder({
      "base.ts": `export class Base { constructor() { this.trail = ["base1"]; } }`,
      "sub.ts": `import { Base } from "./base"; export class Sub extends Base { constructor() { super(); this.trail.push("sub1"); } kind() { return "sub"; } }`,
    });
    const runtime = await runtimeFor(folder);
    const Sub = runtime.getClass("sub.ts", "Sub");
    await folder.write("base.ts", `export class Base { constructor() { this.trail = ["base2"]; } }`);
    await runtime.reload(["base.ts"]);
    const made = Sub.new();
    expect(made.get("trail").toHost()).toEqual(["base2", "sub1"]);
    // The base constructor built the subclass's instance (new.target passed through every forwarding constructor).
    expect(made.call("kind").toHost()).toBe("sub");
    expect(runtime.evaluate("sub.ts", "(o) => o instanceof Sub && o.constructor === Sub").invoke(made).toHost()).toBe(true);
  });
});

describe("R7 inheritance", () => {
  it("a changed extends applies to the existing class, and super follows the current chain", async () => {
    const folder = await scriptsFolder({
      "animals.ts": `export class Animal { speak() { return "..."; } } export class Dog { speak() { return "woof"; } }`,
      "pup.ts": `import { Animal } from "./animals"; export class Pup extends Animal { speak() { return "pup:" + super.speak(); } static kind() { return "pup"; } }`,
    });
    const runtime = await runtimeFor(folder);
    const Pup = runtime.getClass("pup.ts", "Pup");
    const pup = Pup.new();
    expect(pup.call("speak").toHost()).toBe("pup:...");
    await folder.write("pup.ts", `import { Dog } from "./animals"; export class Pup extends Dog { speak() { return "pup:" + super.speak(); } }`);
    const report = await runtime.reload(["pup.ts"]);
    expect(report.patched[0]!.newBase).toBe("Dog");
    expect(pup.call("speak").toHost()).toBe("pup:woof");
    expect(pup.instanceOf(runtime.getClass("animals.ts", "Dog"))).toBe(true);
    expect(pup.instanceOf(runtime.getClass("animals.ts", "Animal"))).toBe(false);
    // the base's own file is reloaded: super reaches its new code
    await folder.write("animals.ts", `export class Animal { speak() { return "..."; } } export class Dog { speak() { return "WOOF"; } }`);
    await runtime.reload(["animals.ts"]);
    expect(pup.call("speak").toHost()).toBe("pup:WOOF");
  });
});

describe("R8 self-reference", () => {
  it("new code naming its own class or another top-level class of its file reaches the existing class", async () => {
    const source = (n: number) => `
export class Node { static create() { return new Node(); } me() { return Node; } other() { return Edge; } v() { return ${n}; } }
export class Edge { static make = () => new Edge(); }
export function factory() { return new Node(); }`;
    const folder = await scriptsFolder({ "g.js": source(1) });
    const runtime = await runtimeFor(folder);
    const Node = runtime.getClass("g.js", "Node");
    const Edge = runtime.getClass("g.js", "Edge");
    await folder.write("g.js", source(2));
    await runtime.reload(["g.js"]);
    const created = Node.call("create");
    expect(created.get("constructor").isSame(Node)).toBe(true);
    expect(created.call("me").isSame(Node)).toBe(true);
    expect(created.call("other").isSame(Edge)).toBe(true);
    expect(created.call("v").toHost()).toBe(2);
    expect(runtime.exports("g.js").factory!.invoke().instanceOf(Node)).toBe(true);
    expect(Edge.call("make").instanceOf(Edge)).toBe(true);
  });
});

describe("R9 top-level values", () => {
  it("functions and bindings take new values; hot.data persists; hot.dispose runs before the version is replaced", async () => {
    const events: string[] = [];
    const source = (n: number) => `
import { log } from "host";
export function version() { return ${n}; }
export const loads = (import.meta.hot.data.loads = (import.meta.hot.data.loads ?? 0) + 1);
import.meta.hot.dispose((data) => { log("dispose v${n}"); data.lastDisposed = ${n}; });`;
    const folder = await scriptsFolder({ "h.js": source(1), "user.js": `import { version } from "./h"; export const ask = () => version();` });
    const runtime = await runtimeFor(folder, { host: { log: (line: unknown) => events.push(String(line)) } });
    await folder.write("h.js", source(2));
    await runtime.reload(["h.js"]);
    expect(runtime.exports("user.js").ask!.invoke().toHost()).toBe(2);
    expect(runtime.exports("h.js").loads!.toHost()).toBe(2);
    expect(events).toEqual(["dispose v1"]);
    await folder.write("h.js", source(3) + "\nexport const last = import.meta.hot.data.lastDisposed;");
    await runtime.reload(["h.js"]);
    expect(events).toEqual(["dispose v1", "dispose v2"]);
    expect(runtime.exports("h.js").loads!.toHost()).toBe(3);
  });

  it("a failed reload does not run dispose: the running version keeps its resources", async () => {
    const events: string[] = [];
    const folder = await scriptsFolder({ "h.js": `import { log } from "host"; import.meta.hot.dispose(() => log("disposed"));` });
    const runtime = await runtimeFor(folder, { host: { log: (line: unknown) => events.push(String(line)) } });
    await folder.write("h.js", `throw new Error("broken");`);
    await runtime.reload(["h.js"]);
    expect(events).toEqual([]);
  });
});

describe("R10 retirement", () => {
  it("a class no longer defined is retired: instances keep working, findSubclasses drops it", async () => {
    const folder = await scriptsFolder({
      "base.ts": `export class Command {}`,
      "cmds.ts": `import { Command } from "./base"; export class Ghost extends Command { boo() { return "boo"; } } export class Stay extends Command {}`,
    });
    const runtime = await runtimeFor(folder);
    const Ghost = runtime.getClass("cmds.ts", "Ghost");
    const ghost = Ghost.new();
    await folder.write("cmds.ts", `import { Command } from "./base"; export class Spirit extends Command {} export class Stay extends Command {}`);
    const report = await runtime.reload(["cmds.ts"]);
    expect(report.retired).toEqual([{ file: "cmds.ts", name: "Ghost", version: 1 }]);
    expect(Ghost.retired).toBe(true);
    expect(ghost.call("boo").toHost()).toBe("boo");
    expect(runtime.findSubclasses("base.ts#Command").map((c) => c.name)).toEqual(["Spirit", "Stay"]);
    expect(runtime.findSubclasses("base.ts#Command", { includeRetired: true }).map((c) => c.name)).toEqual(["Spirit", "Stay", "Ghost"]);
    // a class turned into a non-class is retired too
    await folder.write("cmds.ts", `import { Command } from "./base"; export class Spirit extends Command {} export const Stay = 42;`);
    const second = await runtime.reload(["cmds.ts"]);
    expect(second.retired.map((r) => r.name)).toEqual(["Stay"]);
  });

  it("deleting a file retires its classes", async () => {
    const folder = await scriptsFolder({ "base.ts": `export class B {}`, "x.ts": `import { B } from "./base"; export class X extends B {}` });
    const runtime = await runtimeFor(folder);
    await folder.remove("x.ts");
    const report = await runtime.reload(["x.ts"]);
    expect(report.removed).toEqual(["x.ts"]);
    expect(report.retired.map((r) => r.name)).toEqual(["X"]);
    expect(runtime.files()).toEqual(["base.ts"]);
    expect(runtime.findSubclasses("base.ts#B")).toEqual([]);
  });
});

describe("R12 atomic to the host", () => {
  it("a batch where a later file fails leaves the earlier files unpatched", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { v() { return 1; } }`, "b.ts": `import { A } from "./a"; export class B extends A {}` });
    const runtime = await runtimeFor(folder);
    const b = runtime.getClass("b.ts", "B").new();
    await folder.write("a.ts", `export class A { v() { return 2; } }`);
    await folder.write("b.ts", `import { A } from "./a"; export class B extends A {} throw new Error("late failure");`);
    const report = await runtime.reload(["a.ts", "b.ts"]);
    expect(report.ok).toBe(false);
    expect(report.files).toEqual([]);
    expect(b.call("v").toHost()).toBe(1);
  });

  it("a script calling into the host during a reload sees a class either fully old or fully new", async () => {
    const seen: unknown[] = [];
    let runtimeRef: { getClass: (f: string, n: string) => { new: () => { toHost(): unknown } } } | undefined;
    const folder = await scriptsFolder({
      "a.js": `export class A { constructor() { this.x = 1; this.y = 1; } }`,
      "probe.js": `import { probe } from "host"; import { A } from "./a"; export function run() { probe(); }`,
    });
    const runtime = await runtimeFor(folder, {
      host: { probe: () => { seen.push(runtimeRef!.getClass("a.js", "A").new().toHost()); } },
    });
    runtimeRef = runtime as never;
    await folder.write("a.js", `import { probe } from "host"; export class A { constructor() { this.x = 2; this.y = 2; } } probe();`);
    await runtime.reload(["a.js"]);
    expect(seen.every((value) => JSON.stringify(value) === '{"x":1,"y":1}' || JSON.stringify(value) === '{"x":2,"y":2}')).toBe(true);
  });
});

describe("R8 in static initialisers", () => {
  it("a static initialiser can construct its own class, on first load and after a reload", async () => {
    const source = (n: number) => `export class Room {
  static nowhere = new Room("nowhere");
  static count = Room.nowhere.describe().length;
  constructor(name) { this.name = name; this.label = this.describe(); }
  describe() { return "room " + this.name + " v${n}"; }
}`;
    const folder = await scriptsFolder({ "room.js": source(1) });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    const Room = runtime.getClass("room.js", "Room");
    expect(Room.get("nowhere").get("label").toHost()).toBe("room nowhere v1");
    expect(Room.get("nowhere").instanceOf(Room)).toBe(true);
    await folder.write("room.js", source(2));
    const report = await runtime.reload(["room.js"]);
    expect(report.errors).toEqual([]);
    expect(report.patched[0]!.static.changed.sort()).toEqual(["nowhere"]);
    expect(report.patched[0]!.static.removed).toEqual([]);
    expect(Room.get("nowhere").get("label").toHost()).toBe("room nowhere v2");
    expect(Room.get("nowhere").instanceOf(Room)).toBe(true);
  });
});
