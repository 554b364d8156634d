import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const version = (n: number) => `
import { Base } from "./base";
let counter = ${n};
function helper() { return counter++; }
export class Thing extends Base {
  big = new Array(50).fill(${n});
  act() { return helper() + ${n}; }
  static make() { return new Thing(); }
}
export class Other { v() { return ${n}; } }
export const table = { version: ${n}, list: [1, 2, 3] };
import.meta.hot.dispose(() => { counter = -1; });
`;

describe("R11 no leaks by construction", () => {
  it("after reloads and gc(), nothing of an old version is alive (WeakRef proof)", async () => {
    const folder = await scriptsFolder({ "base.ts": `export class Base {}`, "thing.ts": version(1) });
    const runtime = await runtimeFor(folder);
    const Thing = runtime.getClass("thing.ts", "Thing");
    const instance = Thing.new();
    // Remember v1's method, its module-level helper (through a closure) and its exported table.
    const remember = runtime.evaluate(
      "thing.ts",
      `(thing, table) => { globalThis.refs = [new WeakRef(Object.getPrototypeOf(thing).act), new WeakRef(table)]; }`,
    );
    const table = runtime.exports("thing.ts").table!;
    remember.invoke(instance, table).dispose();
    remember.dispose();
    table.dispose();
    for (let n = 2; n <= 5; n++) {
      await folder.write("thing.ts", version(n));
      expect((await runtime.reload(["thing.ts"])).errors).toEqual([]);
    }
    runtime.gc();
    const dead = runtime.evaluate("thing.ts", "globalThis.refs.map((ref) => ref.deref() === undefined)");
    expect(dead.toHost()).toEqual([true, true]);
    expect(instance.call("act").toHost()).toBeGreaterThanOrEqual(5);
  });

  it("1,000 reloads of one file leave the live object count flat after gc()", async () => {
    const folder = await scriptsFolder({ "base.ts": `export class Base {}`, "thing.ts": version(0) });
    const runtime = await runtimeFor(folder);
    const keep = runtime.getClass("thing.ts", "Thing").new();
    const reloadTo = async (n: number) => {
      await folder.write("thing.ts", version(n));
      const report = await runtime.reload(["thing.ts"]);
      if (report.errors.length > 0) throw new Error(report.errors[0]!.text);
    };
    for (let n = 1; n <= 20; n++) await reloadTo(n);
    const baseline = runtime.gc().after;
    for (let n = 21; n <= 1020; n++) await reloadTo(n);
    const final = runtime.gc().after;
    expect(Math.abs(final - baseline)).toBeLessThanOrEqual(10);
    expect(keep.call("act").toHost()).toBeGreaterThan(1000);
  });
});

describe("gc()", () => {
  it("collects unreachable cycles now and reports counts before and after", async () => {
    const folder = await scriptsFolder({
      "a.js": `const held = { list: [] };
export function makeCycles(n) { for (let i = 0; i < n; i++) { const o = {}; o.self = o; held.list.push(o); } }
export function drop() { held.list = []; }`,
    });
    const runtime = await runtimeFor(folder);
    runtime.gc();
    const idle = runtime.gc();
    expect(idle.after).toBe(idle.before);
    runtime.exports("a.js").makeCycles!.invoke(5000).dispose();
    const held = runtime.gc();
    expect(held.after - idle.after).toBeGreaterThanOrEqual(5000);
    // Dropped self-cycles are garbage only a cycle collection finds.
    runtime.exports("a.js").drop!.invoke().dispose();
    const collected = runtime.gc();
    expect(collected.before - collected.after).toBeGreaterThanOrEqual(5000);
    expect(collected.after - idle.after).toBeLessThanOrEqual(5); // the fresh empty list and its shape
  });
});
