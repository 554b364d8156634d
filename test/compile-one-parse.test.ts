import { describe, expect, it, vi } from "vitest";
import * as oxcParser from "oxc-parser";
import { compileScript, compileSnippet, CompileError } from "../runtime/compile/index.js";

/**
 * The compile step parses a script once (runtime/compile/index.ts compileParts): a `.ts`
 * file as TypeScript, its types stripped on that tree (strip-types.ts); module `arguments`,
 * reserved names, class lowering (private names, fields, legacy decorators) and the module
 * rewrite all edit that one tree, and nothing parses another pass's output.
 */
vi.mock("oxc-parser", async (importOriginal) => {
  const original = await importOriginal<typeof oxcParser>();
  return { ...original, parseSync: vi.fn(original.parseSync) };
});
const parseSync = vi.mocked(oxcParser.parseSync);

/** Every pass that edits the tree has something to do here. */
const EVERY_PASS = `import { Base, helper } from "./base";
import * as shapes from "./shapes";
export class Unit extends Base {
  #hp: number = helper(10);
  static #made = 0;
  tags: string[] = [shapes.tag, import.meta.url];
  constructor() { super(); Unit.#made++; }
  #heal(by: number): void { this.#hp += by; }
  get hp(): number { return this.#hp; }
  heal(): number { this.#heal(helper(1)); return this.#hp; }
}
const Named = class Inner { static make() { return new Inner(); } };
export default class { made = Named.make(); }
export const kind = typeof arguments;
`;

const LEGACY = `import { inject, logged } from "./decorators";
@logged
export class Service {
  constructor(@inject name: string) {}
  @logged run(@inject a: number): number { return a; }
  #state = helperOf(logged);
}
function helperOf(x: unknown) { return x; }
`;

/** TypeScript that type stripping must write code for, beside what it blanks. */
const TYPESCRIPT = `import { type Shape, Base } from "./base";
import type { Id } from "./ids";
import { onlyAType } from "./types";
enum Color { Red, Green = Red + 2, Name = "n" }
namespace Geo { export const zero = 0; export namespace Inner { export let n = 1; } }
import Inner = Geo.Inner;
interface Local { a: number }
export abstract class Unit<T> extends Base<T> implements Shape {
  declare tag: string;
  private hp?: number = 1;
  constructor(public id: Id, readonly color: Color = Color.Green) { super(); }
  abstract area(): number;
  over(a: string): void;
  over(a: unknown): void {}
  #own!: onlyAType;
  get own() { return this.#own as unknown as Local; }
}
export const made = (<T,>(x: T): T => x)(Inner.n satisfies number)!;
`;

describe("compile: one parse per file", () => {
  it("parses a TypeScript file once: type stripping and code TypeScript writes are edits on that tree", () => {
    parseSync.mockClear();
    const compiled = compileScript("unit.ts", TYPESCRIPT);
    expect(parseSync).toHaveBeenCalledTimes(1);
    expect(parseSync.mock.calls[0]![2]).toMatchObject({ lang: "ts" });
    // What each stage did, in the one output.
    expect(compiled.code).toContain(`var Color = (function (Color) { Color[Color["Red"] = 0] = "Red";`);
    expect(compiled.code).toContain(`var Geo; (function (Geo) {`);
    expect(compiled.code).toContain(`this.id = id; this.color = color;`);
    expect(compiled.imports.map((site) => site.specifier)).toEqual(["./base"]);
    expect(compiled.classNames).toEqual(["Unit"]);
    expect(compiled.code).not.toMatch(/\bimplements\b|\babstract\b|\bdeclare\b|satisfies|: number/);
    // A compile error after stripped types is where the script has it (no map between stages).
    expect(compiled.mapper.original({ line: compiled.code.split("\n").findIndex((line) => line.includes("this.id = id")) + 1, column: compiled.code.split("\n").find((line) => line.includes("this.id = id"))!.indexOf("super") + 1 })).toEqual({ line: 11, column: 69 });
  });

  it("parses a REPL line of a TypeScript script once", async () => {
    const script = compileScript("unit.ts", TYPESCRIPT);
    parseSync.mockClear();
    expect(compileSnippet(script, "(Inner.n as number) + Color.Green")).toContain("Color.Green");
    expect(parseSync).toHaveBeenCalledTimes(1);
  });

  it("parses a script with imports, private names, fields, an unnamed class and module arguments once", () => {
    parseSync.mockClear();
    const compiled = compileScript("unit.ts", EVERY_PASS);
    expect(parseSync).toHaveBeenCalledTimes(1);
    // Each pass did its part, in the same edits.
    expect(compiled.classNames).toEqual(["Unit", "Named", "default"]);
    expect(compiled.code).toMatch(/__graft\.install\(Unit, class extends[^]*\}, "\[\[\\"#hp\\",/);
    expect(compiled.code).toContain(`__graft.privates("Unit")`);
    expect(compiled.code).toContain(`init() { switch (arguments[0]) { case 0: return ((0, __import0.helper)(10));`);
    expect(compiled.code).toContain("[shapes.tag, __graftMeta.url]");
    expect(compiled.code).toContain(`__graft.define("Named", class {`);
    expect(compiled.code).toMatch(/typeof __graftArguments\w*|__graftArguments\w*\(true\)/);
    expect(compiled.code).toContain("__graftP0_2.call(this, (0, __import0.helper)(1))");
  });

  it("parses a script with legacy decorators once, their expressions copied with imports rewritten", () => {
    parseSync.mockClear();
    compileScript("service.ts", LEGACY.replaceAll("(@inject ", "("), { decorators: "legacy" });
    expect(parseSync).toHaveBeenCalledTimes(1);
    // Parameter decorators are TypeScript syntax, on the one TypeScript parse of a .ts file.
    parseSync.mockClear();
    const compiled = compileScript("service.ts", LEGACY, { decorators: "legacy" });
    expect(parseSync).toHaveBeenCalledTimes(1);
    expect(compiled.code).toContain(`__graft.decorate([(__import0.logged), __graft.param(0, (__import0.inject))], Service.prototype, "run", null);`);
    expect(compiled.code).toContain(`__graft.decorateClass([(__import0.logged), __graft.param(0, (__import0.inject))], Service);`);
    expect(compiled.code).not.toContain("@");
  });

  it("parses a script with TC39 decorators and accessor fields once: no pass re-parses what another printed", () => {
    parseSync.mockClear();
    const compiled = compileScript(
      "hero.ts",
      `import { logged, registered } from "./decorators";\n@registered\nexport class Hero {\n  accessor hp: number = 3;\n  @logged greet(): string { return "hi"; }\n}\n` +
        `export function make() { @registered class Local { @logged static m() {} } return Local; }\n`,
    );
    expect(parseSync).toHaveBeenCalledTimes(1);
    // Decorator expressions are moved with their imports rewritten; the kernel applies them.
    expect(compiled.code).toContain(`__graftDecorate([__import0.registered], [["accessor", "hp", 0, []], ["method", "greet", 0, [__import0.logged]]])`);
    expect(compiled.code).toContain(`__graftP0.field("#hp_accessor_storage")`);
    expect(compiled.code).not.toContain("@");
    expect(compiled.code).not.toContain("__esDecorate");
  });

  it("in legacy-decorator mode, parses a .js file as TypeScript only for parameter decorators and keeps JavaScript's early errors", () => {
    const withParameters = `import { inject } from "./di";\nexport class S {\n  constructor(@inject name) {}\n}\n`;
    // A JavaScript file with parameter decorators is parsed as TypeScript, and once more as
    // JavaScript with them blanked out, for JavaScript's early errors.
    parseSync.mockClear();
    expect(compileScript("s.js", withParameters, { decorators: "legacy" }).code).toContain("__graft.decorateClass([__graft.param(0, (__import0.inject))], S);");
    expect(parseSync).toHaveBeenCalledTimes(2);
    const refused: [string, string, number, number][] = [
      // An undeclared export is a SyntaxError in JavaScript; a TypeScript parse alone accepts it.
      ["plain.ts", `export { Number };\n`, 1, 10],
      // Type annotations are not JavaScript, parameter decorators or not.
      ["typed.js", `export function f(x: number) { return x; }\n`, 1, 20],
      ["typed-decorated.js", `import { inject } from "./di";\nexport class S {\n  constructor(@inject name: string) {}\n}\n`, 3, 27],
    ];
    for (const [file, source, line, column] of refused) {
      let caught: unknown;
      try {
        compileScript(file, source, { decorators: "legacy" });
      } catch (error) {
        caught = error;
      }
      expect(caught, file).toBeInstanceOf(CompileError);
      expect((caught as CompileError).position, `${file}: ${(caught as CompileError).message}`).toMatchObject({ file, line, column });
    }
  });

  it("maps the module function back to the script through the one map of every pass", () => {
    const compiled = compileScript("unit.ts", EVERY_PASS);
    const lines = compiled.code.split("\n");
    // The moved private method, a field's initialiser, a plain method.
    for (const [generated, line, column] of [
      ["__graftP0_0.ref(this).value += by", 8, 29],
      ["(0, __import0.helper)(10))", 4, 17],
      ["return __graftP0_0.get(this);", 9, 22],
    ] as const) {
      const row = lines.findIndex((candidate) => candidate.includes(`init(this, ${generated}`) || (!generated.startsWith("(0") && candidate.includes(generated)));
      expect(row, generated).toBeGreaterThanOrEqual(0);
      const at = lines[row]!.indexOf(generated, generated.startsWith("(0") ? lines[row]!.indexOf("init(this, ") : 0);
      expect(compiled.mapper.original({ line: row + 1, column: at + 1 }), generated).toEqual({ line, column });
    }
  });

  it("reports a module's early error and a class lowering's refusal where the script has them", () => {
    const cases: [string, string, number, number][] = [
      // oxc labels the first declaration.
      ["dup.ts", `const a: number = 1;\ntype T = string;\nlet a = 2;\n`, 1, 7],
      ["optional.ts", `type T = number;\nexport class P {\n  #x: T = 1;\n  read(o?: P) { return o?.#x; }\n}\n`, 4, 24],
      ["reserved.ts", `interface I { a: number }\nexport const __graftState: I = { a: 1 };\n`, 2, 14],
    ];
    for (const [file, source, line, column] of cases) {
      let caught: unknown;
      try {
        compileScript(file, source);
      } catch (error) {
        caught = error;
      }
      expect(caught, file).toBeInstanceOf(CompileError);
      expect((caught as CompileError).position, `${file}: ${(caught as CompileError).message}`).toMatchObject({ file, line, column });
    }
  });
});
