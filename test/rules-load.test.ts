import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

describe("R1 load", () => {
  it("loads every script once, dependencies first, with imports as live bindings", async () => {
    const order: string[] = [];
    const folder = await scriptsFolder({
      "z/last.ts": `import { log } from "host"; import { value } from "../a/first"; log("last sees " + value);`,
      "a/first.ts": `import { log } from "host"; export let value = 1; log("first"); export function bump() { value++; }`,
      "m/middle.js": `import { log } from "host"; import { value, bump } from "../a/first.ts"; log("middle sees " + value); export function read() { bump(); return value; }`,
    });
    const runtime = await runtimeFor(folder, { host: { log: (line: unknown) => order.push(String(line)) } });
    expect(runtime.initialReport.errors).toEqual([]);
    expect(order[0]).toBe("first");
    expect(order).toHaveLength(3);
    expect(runtime.files()).toEqual(["a/first.ts", "m/middle.js", "z/last.ts"]);
    // live binding: the importer sees the exporter's updated `let`
    expect(runtime.exports("m/middle.js").read!.invoke().toHost()).toBe(2);
    expect(runtime.exports("a/first.ts").value!.toHost()).toBe(2);
  });

  it("an import cycle works when bindings are used lazily", async () => {
    const folder = await scriptsFolder({
      "a.ts": `import { b } from "./b"; export function a() { return "a" + b(); } export function leaf() { return "!"; }`,
      "b.ts": `import { leaf } from "./a"; export function b() { return "b" + leaf(); }`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("a.ts").a!.invoke().toHost()).toBe("ab!");
  });

  it("an import cycle used at top level fails with an error naming the cycle", async () => {
    const folder = await scriptsFolder({
      "a.ts": `import { B } from "./b"; export class A extends B {}`,
      "b.ts": `import { A } from "./a"; export class B {} export const made = new A();`,
    });
    const runtime = await runtimeFor(folder);
    const errors = runtime.initialReport.errors;
    expect(errors.length).toBeGreaterThan(0);
    const text = errors.map((e) => e.text).join("\n");
    expect(text).toMatch(/import cycle (a\.ts -> b\.ts -> a\.ts|b\.ts -> a\.ts -> b\.ts)/);
    expect(text).toMatch(/b\.ts:1:\d+/);
  });

  it("each file runs in its own context with its own globals", async () => {
    const folder = await scriptsFolder({
      "one.js": `globalThis.shared = "one"; export function read() { return globalThis.shared; }`,
      "two.js": `globalThis.shared = "two"; export function read() { return globalThis.shared; }`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.exports("one.js").read!.invoke().toHost()).toBe("one");
    expect(runtime.exports("two.js").read!.invoke().toHost()).toBe("two");
  });

  it("supports default, namespace, renamed and re-exports", async () => {
    const folder = await scriptsFolder({
      "lib.ts": `export default class Thing { kind() { return "thing"; } } export const x: number = 1; export function f() { return this === undefined; }`,
      "re.ts": `export * from "./lib"; export { default as Renamed } from "./lib"; export * as all from "./lib";`,
      "use.ts": `import Thing, * as ns from "./lib"; import { Renamed, x, all, f } from "./re";
        export const results = [new Thing().kind(), ns.x, Renamed === Thing, x, all.x, f()];`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("use.ts").results!.toHost()).toEqual(["thing", 1, true, 1, 1, true]);
  });
});
