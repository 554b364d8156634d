import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { GraftError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const SOURCE = `
export class Room { constructor(name) { this.name = name; } }
export class Player {
  static verbs = ["look", "l"];
  constructor(name, room) {
    this.name = name;
    this.room = room;
    this.items = ["coin", "map"];
    this.note = "it's\\na line";
  }
  get loud() { throw new Error("a getter must not run for a preview"); }
}
export const ann = new Player("Ann", new Room("Square"));
Object.defineProperty(ann, "secret", { get() { throw new Error("no"); }, enumerable: true });
export const plain = { a: 1, b: [1, 2], c: null, d: undefined, e: 10n, f: () => 1 };
export const many = { k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8 };
export const list = [1, "two", { three: 3 }];
export function greet() {}
export const long = "x".repeat(500);
`;

describe("util.inspect of ScriptValue and ScriptClass", () => {
  it("shows class name, file, version and a short preview, without running script getters", async () => {
    const folder = await scriptsFolder({ "game.js": SOURCE });
    const runtime = await runtimeFor(folder);
    const exports = runtime.exports("game.js");
    expect(inspect(exports.Player)).toBe(`ScriptClass Player (game.js v1) { verbs: Array(2) }`);
    expect(inspect(exports.ann)).toBe(`ScriptValue Player (game.js v1) { name: 'Ann', room: Room {...}, items: Array(2), note: 'it\\'s\\na line', secret: [Getter] }`);
    expect(inspect(exports.plain)).toBe(`ScriptValue { a: 1, b: Array(2), c: null, d: undefined, e: 10n, f: [Function f] }`);
    expect(inspect(exports.many)).toBe(`ScriptValue { k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, ... 2 more }`);
    expect(inspect(exports.list)).toBe(`ScriptValue Array(3) [ 1, 'two', Object {...} ]`);
    expect(inspect(exports.greet)).toBe(`ScriptValue [Function greet]`);
    expect(inspect(exports.long).length).toBeLessThan(100);
    // console.log uses the same, also inside host data structures
    expect(inspect({ player: exports.ann }, { depth: 0 })).toContain("ScriptValue Player (game.js v1)");

    // the version moves with reloads, retirement shows
    await folder.write("game.js", SOURCE.replace("export class Room", "export class Place").replace("new Room(", "new Place("));
    await runtime.reload(["game.js"]);
    expect(inspect(exports.Player)).toBe(`ScriptClass Player (game.js v2) { verbs: Array(2) }`);
    const room = exports.ann!.get("room");
    expect(inspect(room)).toBe(`ScriptValue Room (game.js v1, retired) { name: 'Square' }`);
    room.dispose();
    expect(inspect(room)).toBe("ScriptValue <disposed>");
    expect(inspect(runtime.evaluate("game.js", "42"))).toBe("ScriptValue 42");
  });

  it("runs no script code: a Proxy (top level or inside a value) is not looked into, a function's name getter not called (issue 24 row 12)", async () => {
    const folder = await scriptsFolder({
      "trap.js": [
        "export let ran = 0;",
        "const traps = { ownKeys() { ran++; for (;;) {} }, getPrototypeOf() { ran++; return null; }, get() { ran++; return 1; }, getOwnPropertyDescriptor() { ran++; return undefined; } };",
        "export const p = new Proxy({}, traps);",
        "export const pf = new Proxy(function f() {}, traps);",
        "export const holder = { inner: new Proxy([], traps), fn: new Proxy(() => 1, traps) };",
        "const named = function () {}; Object.defineProperty(named, 'name', { get() { ran++; return 'x'; } });",
        "export const withNamed = { named };",
        "export const count = () => ran;",
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder, { timeout: 100 });
    const { p, pf, holder, withNamed, count } = runtime.exports("trap.js");
    expect(inspect(p)).toBe("ScriptValue Proxy <not looked into: that would run its traps>");
    expect(inspect(pf)).toBe("ScriptValue Proxy <not looked into: that would run its traps>");
    expect(inspect(holder)).toBe("ScriptValue { inner: Proxy {...}, fn: [Proxy] }");
    expect(inspect(withNamed)).toBe("ScriptValue { named: [Function (anonymous)] }");
    expect(count!.invoke().toHost()).toBe(0);
  });

  it("read() and get() without a key are a clear GraftError", async () => {
    const folder = await scriptsFolder({ "a.js": `export const data = { x: 1 };\n` });
    const runtime = await runtimeFor(folder);
    const { data } = runtime.exports("a.js");
    const read = data!.read as (key?: unknown) => unknown;
    expect(() => read.call(data)).toThrow(GraftError);
    expect(() => read.call(data)).toThrow(/read\(key\) needs a property name .* got no key; e\.g\. value\.read\("name"\), or toHost\(\)/);
    expect(() => (data!.get as (key?: unknown) => unknown).call(data, { x: 1 })).toThrow(/get\(key\) needs a property name .* got object/);
    expect(data!.read("x")).toBe(1);
  });
});
