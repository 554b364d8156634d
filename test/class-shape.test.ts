import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

describe("what a class shows of itself", () => {
  it("length is the constructor's parameter count and String(C) the class as written, version after version", async () => {
    const source = (params: string) => `export class Point {\n  constructor(${params}) {}\n  norm(): number { return 1; }\n}\nexport const shown = () => [Point.length, String(Point), Point.toString === Function.prototype.toString];\n`;
    const folder = await scriptsFolder({ "point.ts": source("public x: number, public y: number") });
    const runtime = await runtimeFor(folder);
    const Point = runtime.getClass("point.ts", "Point");
    expect(Point.get("length").toHost()).toBe(2);
    const [length, text] = runtime.exports("point.ts").shown!.invoke().toHost() as [number, string];
    expect(length).toBe(2);
    expect(text).toMatch(/^class Point \{[\s\S]*constructor\(x, y\) \{/);
    expect(text).not.toMatch(/__graft|Reflect\.construct/);
    await folder.write("point.ts", source("public x: number, public y: number, public z: number"));
    await runtime.reload(["point.ts"]);
    expect(Point.get("length").toHost()).toBe(3);
    expect(runtime.evaluate("point.ts", "String(Point)").toHost()).toMatch(/constructor\(x, y, z\)/);
    // a class's own static toString wins
    await folder.write("point.ts", `export class Point { static toString() { return "mine"; } }`);
    await runtime.reload(["point.ts"]);
    expect(runtime.evaluate("point.ts", "String(Point)").toHost()).toBe("mine");
    // and without it again, graft's: the class as written
    await folder.write("point.ts", `export class Point { static make() { return 1; } }`);
    expect((await runtime.reload(["point.ts"])).patched[0]!.static).toEqual({ added: ["make"], changed: [], removed: ["toString"] });
    expect(runtime.evaluate("point.ts", "String(Point)").toHost()).toBe("class Point { static make() { return 1; } }");
    // a static `name` member is the class's name while it is declared
    await folder.write("point.ts", `export class Point { static name = "Spot"; }`);
    await runtime.reload(["point.ts"]);
    expect(Point.get("name").toHost()).toBe("Spot");
    await folder.write("point.ts", `export class Point {}`);
    await runtime.reload(["point.ts"]);
    expect(Point.get("name").toHost()).toBe("Point");
    // a JavaScript file's class is shown exactly as written
    await folder.write("plain.js", `export class Plain { constructor(a) { /* kept */ } }`);
    await runtime.reload(["plain.js"]);
    expect(runtime.evaluate("plain.js", "String(Plain) + ' ' + Plain.length").toHost()).toBe("class Plain { constructor(a) { /* kept */ } } 1");
  });
});

describe("a class expression with a name of its own", () => {
  it("export const A = class Named {} keeps its identity across reloads and its name", async () => {
    const source = (area: number) => `export const Shape = class Circle {\n  static make() { return new Circle(); }\n  area() { return ${area}; }\n  same() { return this instanceof Circle; }\n};\n`;
    const folder = await scriptsFolder({ "shape.ts": source(1) });
    const runtime = await runtimeFor(folder);
    const Shape = runtime.getClass("shape.ts", "Shape");
    const made = Shape.call("make");
    expect(made.call("area").toHost()).toBe(1);
    await folder.write("shape.ts", source(2));
    const report = await runtime.reload(["shape.ts"]);
    expect(report.errors).toEqual([]);
    expect(runtime.getClass("shape.ts", "Shape").isSame(Shape)).toBe(true);
    expect(runtime.exports("shape.ts").Shape!.isSame(Shape)).toBe(true);
    expect(made.call("area").toHost()).toBe(2);
    expect(made.call("same").toHost()).toBe(true);
    expect(Shape.get("name").toHost()).toBe("Circle");
    expect(Shape.call("make").instanceOf(Shape)).toBe(true);
  });
});

describe("members a script changed while it ran", () => {
  it("a method or static made read-only, and a static's new value, are grafted over; a failed reload puts them back as they were", async () => {
    const source = (n: number) => `export class Counter {\n  static count = 0;\n  static label() { return "v${n}"; }\n  step() { return ${n}; }\n  get twice() { return ${n} * 2; }\n}\n`;
    const folder = await scriptsFolder({ "counter.ts": source(1) });
    const runtime = await runtimeFor(folder);
    runtime.evaluate(
      "counter.ts",
      `Object.defineProperty(Counter.prototype, "step", { writable: false }); Object.defineProperty(Counter, "label", { writable: false }); Counter.count = 5;`,
    );
    const seen = `[new Counter().step(), new Counter().twice, Counter.count, Counter.label(), Object.getOwnPropertyDescriptor(Counter.prototype, "step").writable, Object.getOwnPropertyDescriptor(Counter, "label").writable]`;
    await folder.write("counter.ts", `${source(2)}throw new Error("not this one");\n`);
    expect((await runtime.reload(["counter.ts"])).ok).toBe(false);
    expect(runtime.evaluate("counter.ts", seen).toHost()).toEqual([1, 2, 5, "v1", false, false]);
    await folder.write("counter.ts", source(2));
    const report = await runtime.reload(["counter.ts"]);
    expect(report.errors).toEqual([]);
    expect(report.patched[0]!.prototype).toEqual({ added: [], changed: ["step", "twice"], removed: [] });
    expect(report.patched[0]!.static).toEqual({ added: [], changed: ["label", "count"], removed: [] });
    expect(runtime.evaluate("counter.ts", seen).toHost()).toEqual([2, 4, 0, "v2", true, true]);
  });
});
