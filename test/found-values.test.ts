import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { GraftError, ScriptClass, ScriptValue } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * findInstances' values keep their state in their chunk (host-api/found-value.ts: two fields
 * a value): each value's keep(), use and dispose() stay its own, also among the 16 values
 * of one chunk, and each behaves as any ScriptValue does.
 */

const SCRIPT = [
  "export class Item { constructor(public n: number) {} double(): number { return this.n * 2; } }",
  "export const items = Array.from({ length: 40 }, (_, n) => new Item(n));",
  "export function sum(values: Item[]): number { return values.reduce((total, item) => total + item.n, 0); }",
  "export class Callable extends Function {}",
  "export const callables = [new Callable('return 7'), new Callable('return 8')];",
].join("\n");

async function found() {
  const folder = await scriptsFolder({ "items.ts": SCRIPT });
  const runtime = await runtimeFor(folder);
  const exports = runtime.exports("items.ts");
  const values = runtime.findInstances(exports.Item!);
  values.sort((a, b) => (a.read("n") as number) - (b.read("n") as number));
  return { runtime, exports, values };
}

describe("findInstances values", () => {
  it("are ScriptValues whose keep, use and dispose are each their own within a chunk", async () => {
    const { runtime, exports, values } = await found();
    expect(values).toHaveLength(40);
    expect(values.every((value) => value instanceof ScriptValue && value.isReference && value.alive && value.type === "object")).toBe(true);
    const [first, second, third] = values as [ScriptValue, ScriptValue, ScriptValue];
    expect(first.keep()).toBe(first);
    expect([first.kept, second.kept, third.kept]).toEqual([true, false, false]);
    second.kept = true;
    first.kept = false;
    expect([first.kept, second.kept, third.kept]).toEqual([false, true, false]);

    expect(second.call("double").toHost()).toBe(2);
    second.dispose();
    second.dispose();
    expect([second.alive, second.isReference, second.type, second.toString()]).toEqual([false, false, "undefined", "undefined"]);
    expect(() => second.get("n")).toThrow(/cannot read 'n' of a disposed ScriptValue/);
    expect(inspect(second)).toBe("ScriptValue <disposed>");
    expect(() => exports.sum!.invoke([second])).toThrow(GraftError);
    // Its neighbours in the chunk, used or not, are untouched.
    expect([first.alive, third.alive, first.read("n"), third.read("n")]).toEqual([true, true, 0, 2]);
    third.dispose();
    expect(first.call("double").toHost()).toBe(0);

    // Passed back to a script by reference, and the same object as the script's own.
    const rest = values.slice(3);
    expect(exports.sum!.invoke(rest).toHost()).toBe((39 * 40) / 2 - 3);
    const own = exports.items!.get(5);
    expect(values[5]!.isSame(own)).toBe(true);
    expect(values[5]!.isSame(values[6]!)).toBe(false);
    expect(values[5]!.instanceOf(exports.Item!)).toBe(true);
    expect(inspect(values[7])).toMatch(/^ScriptValue Item \(items\.ts v1\) \{ n: 7 \}$/);
    own.dispose();
    for (const value of values) value.dispose();
    expect(runtime.leaks()).toEqual([]);
  });

  it("found functions are ScriptValues that can be called", async () => {
    const { runtime, exports } = await found();
    const callables = runtime.findInstances(exports.Callable!);
    expect(callables.map((fn) => fn.invoke().toHost()).sort()).toEqual([7, 8]);
    expect(callables.every((fn) => fn.type === "function" && !(fn instanceof ScriptClass))).toBe(true);
    for (const fn of callables) fn.dispose();
    expect(callables.every((fn) => !fn.alive)).toBe(true);
  });

  it("lose their VM object with the runtime: not alive, and using one says it was disposed", async () => {
    const { runtime, values } = await found();
    const used = values[1]!;
    expect(used.read("n")).toBe(1);
    runtime.dispose();
    expect([values[0]!.alive, used.alive]).toEqual([false, false]);
    expect(() => values[0]!.get("n")).toThrow(/disposed/);
    expect(() => used.get("n")).toThrow(/disposed/);
    values[0]!.dispose();
    used.dispose();
  });
});
