import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";
import { compileScript, CompileError } from "../runtime/compile/index.js";

/**
 * Type stripping on the one parse (runtime/compile/strip-types.ts): each script below runs in
 * a runtime, and what it computes is what TypeScript's own emit computes. The edge cases are
 * the ones where blanking types is not enough: code TypeScript writes (enums, namespaces,
 * parameter properties, `import x =`), imports and exports it elides, and blanks that
 * would join two statements into one.
 */
const SCRIPTS: Record<string, string> = {
  "enums.ts": `export enum Color { Red, Green = 5, Blue, Name = "blue", Mask = Green | 8, Big = 1 << 4, "Two words" = 2 }
const enum Dir { Up = 1, Down = Up * 2, Left = Down + Up, Label = \`l\` + "r" }
export enum Computed { A = "abc".length, B = A * 2, C }
enum Merged { X = 1 }
enum Merged { Y = X + 1, Z = Color.Blue }
enum Keyed { ["a"] = 1, b = Keyed.a + 1 }
export const keyed = [Keyed.a, Keyed.b];
export const result = [Color.Red, Color.Green, Color.Blue, Color[6], Color.Name, Color.Mask, Color[13], Color.Big, Color["Two words"],
  Dir.Left, Dir[2], Dir.Label, Computed.A, Computed.B, Computed.C, Computed[3], Merged.X, Merged.Y, Merged.Z, Object.keys(Merged)];
`,
  "namespaces.ts": `export namespace Geo {
  export const zero = 0;
  export let count = 1;
  export function bump(): number { return ++count; }
  export namespace Inner { export const deep: string = "d"; }
  export enum Unit { M = 1 }
  interface Hidden { x: number }
  export class Point { constructor(public x: number) {} }
}
namespace Geo { export const two = zero + 2; export namespace Inner { export const also = "a"; } }
namespace A.B.C { export const abc = "abc"; }
namespace A { export const up = B.C.abc.toUpperCase(); }
namespace TypesOnly { export interface T { a: number } }
declare namespace Ambient { const x: number; }
declare global { interface Window { z: number } }
import Deep = Geo.Inner;
import NotRead = Ambient.x;
export const result = [Geo.zero, Geo.bump(), Geo.count, Geo.Inner.deep, Geo.Inner.also, Geo.two, Geo.Unit.M, new Geo.Point(4).x, A.B.C.abc, A.up, Deep.deep, typeof (globalThis as any).TypesOnly];
`,
  "classes.ts": `abstract class Base<T> {
  abstract name(): string;
  abstract readonly kind: string;
  declare tag: string;
  constructor(protected readonly id: number) {}
  describe(this: Base<T>, suffix?: string): string { return \`\${this.name()}#\${this.id}\${suffix ?? ""}\`; }
}
interface Named { name(): string }
export class Unit extends Base<number> implements Named {
  [key: string]: unknown;
  hp!: number;
  label?: string
  public static count: number = 0;
  readonly kind = "unit";
  constructor(id: number, public speed = 2, private secret?: string) {
    super(id);
    Unit.count++;
  }
  override name(): string { return "unit"; }
  greet(a: string): string;
  greet(a: number): string;
  greet(a: any): string { return \`hi \${a}\`; }
  private get hidden(): string | undefined { return this.secret; }
  static make<T extends number>(id: T): Unit { return new Unit(id, 3, "s"); }
}
const unit = new Unit(7);
export const result = [unit.describe("!"), unit.speed, Object.keys(unit), "tag" in unit, Unit.count, unit.greet(3), Unit.make(9).speed, (Unit.make(1) as any).hidden];
`,
  "expressions.ts": `const sum = (1 as number) + (<number>2) + (3 satisfies number)
const id = <T,>(x: T): T => x
const pickString = id<string>
const make = (): { a: number } => <{ a: number }>{ a: 5 }
let value: { a?: number } | undefined = { a: 1 }
const read = value!.a!
let s = "x" as string
(globalThis as any).probe = s
const twice = (a: number):
  number => a * 2
let h = 1
interface Between {}
(h as any) = 2
type Alias = number
;[h] = [h + 1] as Alias[]
function f(this: unknown, a?: number, ...rest: number[]): number { return (a ?? 0) + rest.length; }
let definite!: number;
definite = 3;
export const result = [definite, sum, pickString("p"), make().a, read, (globalThis as any).probe, twice(4), h, f(1, 2, 3), typeof s];
`,
  "types-only.ts": `export interface Shape { area(): number }\nexport type Id = string;\n`,
  "side.ts": `export const side = 1;\n`,
  "lib.ts": `export const live = "live";\nexport class Thing {}\n`,
  "imports.ts": `import { Shape, Id } from "./types-only";
import type { Shape as S2 } from "./types-only";
import { type Id as Id2, live, Thing } from "./lib";
import { side } from "./side";
interface Local { a: number }
type LocalAlias = Local;
declare const declared: number;
const square: Shape = { area: () => 4 };
const typed: Id | Id2 | S2 | LocalAlias | undefined = undefined;
export const result = [square.area(), live, typeof Thing, typed];
export { Local, LocalAlias, declared, live as again };
export type { Shape };
`,
};

describe("type stripping on the one parse: scripts compute what TypeScript's emit computes", () => {
  it("enums, namespaces, classes, expressions and elided imports", async () => {
    const runtime = await runtimeFor(await scriptsFolder(SCRIPTS));
    expect(runtime.initialReport.errors).toEqual([]);
    const result = (file: string): unknown => runtime.exports(file).result!.toHost();
    expect(result("enums.ts")).toEqual([0, 5, 6, "Blue", "blue", 13, "Mask", 16, 2, 3, "Down", "lr", 3, 6, 7, "A", 1, 2, 6, ["1", "2", "6", "X", "Y", "Z"]]);
    expect(runtime.exports("enums.ts").keyed!.toHost()).toEqual([1, 2]);
    expect(result("namespaces.ts")).toEqual([0, 2, 2, "d", "a", 2, 1, 4, "abc", "ABC", "d", "undefined"]);
    expect(result("classes.ts")).toEqual(["unit#7!", 2, ["id", "speed", "secret", "hp", "label", "kind"], false, 1, "hi 3", 3, "s"]);
    expect(result("expressions.ts")).toEqual([3, 6, "p", 5, 1, "x", 8, 3, 3, "string"]);
    expect(result("imports.ts")).toEqual([4, "live", "function", undefined]);
    expect(Object.keys(runtime.exports("imports.ts")).sort()).toEqual(["again", "result"]);
  });

  it("an identifier alone is a read: an import used only as a parameter default or a computed key is kept, an enum member reads an earlier one", async () => {
    const runtime = await runtimeFor(
      await scriptsFolder({
        "x.ts": `export const X = 7;\nexport const K = "k";\n`,
        "uses.ts": `import { X } from "./x";\nimport { K } from "./x";\nexport function f(a = X): number { return a; }\nexport function g({ [K]: b }: any): number { return b; }\nexport enum E { A = "ab".length, B = A }\nexport const result = [f(), g({ k: 5 }), E.B];\n`,
      }),
    );
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("uses.ts").result!.toHost()).toEqual([7, 5, 2]);
  });

  it("a REPL line of a TypeScript script is stripped the same way", async () => {
    const runtime = await runtimeFor(await scriptsFolder({ "main.ts": `import { live } from "./lib";\nexport const base: number = 40 + live.length - 4;\n`, "lib.ts": `export const live = "live";\n` }));
    expect(runtime.initialReport.errors).toEqual([]);
    expect((await runtime.evaluate("main.ts", `enum E { A = 2 } (base as number) + E.A + <number>live.length`)).toHost()).toBe(46);
  });
});

describe("type stripping with decorators on the same tree", () => {
  it("TC39 decorators on an abstract generic class with modifiers, a parameter property and a declared field", async () => {
    const runtime = await runtimeFor(
      await scriptsFolder({
        "a.ts": `function twice(_: undefined, ctx: ClassFieldDecoratorContext) { return (v: number) => v * 2; }
function tag<T extends { new (...a: any[]): object }>(c: T, ctx: ClassDecoratorContext) { (c as any).tagged = true; }
function logged(m: any, ctx: ClassMethodDecoratorContext): any { return function (this: unknown, ...a: unknown[]) { return "L" + m.apply(this, a); }; }
@tag export abstract class Base<T> implements Object { @twice protected readonly hp: number = 5; accessor mp: number = 2; declare z: string; abstract m(): void; constructor(public id: number) {} @logged get2(): string { return this.hp + ":" + this.mp; } }
export class Unit extends Base<number> { m() {} }
export const result = [new Unit(1).get2(), (Base as any).tagged, Object.keys(new Unit(3))];
`,
      }),
    );
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("a.ts").result!.toHost()).toEqual(["L10:2", true, ["id", "hp"]]);
  });

  it("legacy parameter decorators on parameter properties keep their decorators (applied last to first, as TypeScript's __decorate)", async () => {
    const runtime = await runtimeFor(
      await scriptsFolder({
        "b.ts": `const seen: string[] = [];
function inject(target: any, key: string | undefined, index: number) { seen.push(String(key) + index); }
function logged(target: any, key: string, d: PropertyDescriptor) { const f = d.value; d.value = function (this: any, ...a: any[]) { return "L" + f.apply(this, a); }; return d; }
export class S { constructor(@inject private readonly a: number, @inject public b?: string) {} @logged run(@inject x: number): string { return "r" + x + this.a; } }
export const result = [new S(1, "b").run(2), seen, Object.keys(new S(4))];
`,
      }),
      { decorators: "legacy" },
    );
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("b.ts").result!.toHost()).toEqual(["Lr21", ["run0", "undefined1", "undefined0"], ["a", "b"]]);
  });
});

describe("type stripping: what TypeScript elides", () => {
  it("an import none of whose bindings is read as a value, and only that", () => {
    const compiled = compileScript("imports.ts", SCRIPTS["imports.ts"]!);
    // `side` is imported but never read: the import goes (side.ts is not even loaded for it).
    expect(compiled.imports.map((site) => site.specifier)).toEqual(["./lib"]);
    expect(compiled.entries.imports.map((entry) => entry.local)).toEqual(["live", "Thing"]);
    const kept = compileScript("kept.ts", `import "./effects";\nimport { a } from "./a";\nimport { b } from "./b";\nexport { b };\nexport const x = a;\n`);
    expect(kept.imports.map((site) => site.specifier)).toEqual(["./effects", "./a", "./b"]);
  });
});

describe("type stripping: what it refuses, where the script has it", () => {
  it.each([
    ["`export =`", "a.ts", `const x = 1;\nexport = x;\n`, 2, 1, /export =/],
    ["`import x = require()`", "b.ts", `import fs = require("fs");\n`, 1, 1, /CommonJS/],
    ["a parameter decorator without legacy decorators", "c.ts", `declare const inject: any;\nexport class S {\n  constructor(@inject name: string) {}\n}\n`, 3, 15, /legacy/],
    ["exporting an undeclared name", "d.ts", `interface T {}\nexport { T, Number };\n`, 2, 13, /Export 'Number' is not defined/],
  ])("%s", (_, file, source, line, column, message) => {
    let caught: unknown;
    try {
      compileScript(file, source);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CompileError);
    expect((caught as CompileError).message).toMatch(message);
    expect((caught as CompileError).position).toMatchObject({ file, line, column });
  });

  it("keeps offsets: an error after stripped types is reported where it is written", () => {
    const source = `enum E { A }\nnamespace N { export const x: number = 1; }\nexport class K {\n  constructor(private a: number) {}\n  m(): void { this.#missing; }\n}\n`;
    let caught: unknown;
    try {
      compileScript("k.ts", source);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CompileError);
    expect((caught as CompileError).position).toMatchObject({ line: 5, column: 20 });
  });
});
