import { describe, expect, it } from "vitest";
import { compileScript, CompileError } from "../runtime/compile/index.js";
import { transformModule } from "../runtime/compile/module-transform.js";

describe("module transform", () => {
  it("rewrites imported references but not shadowing locals", () => {
    const { code } = transformModule("a.js", `import { X } from "./x";
function f(X) { return X; }
const g = () => { const X = 1; return X; };
export const h = () => X;
export const o = { X };
export const c = () => X();`);
    expect(code).toContain("function f(X) { return X; }");
    expect(code).toContain("const X = 1; return X;");
    expect(code).toContain("export const h".replace("export ", "") + " = () => __import0.X;");
    expect(code).toContain("{ X: __import0.X }");
    expect(code).toContain("(0, __import0.X)()");
  });

  it("rewrites imported references without scope analysis only where no declaration could shadow them", () => {
    // Each form declares X again somewhere: those X stay, every other X reads the import.
    const shadowing: [string, string][] = [
      ["function f({ a: [X] }) { return X; }", "return X;"],
      ["try {} catch (X) { X; }", "catch (X) { X; }"],
      ["{ let X = 1; X++; }", "let X = 1; X++;"],
      ["for (const X of [1]) X;", "for (const X of [1]) X;"],
      ["const g = function X() { return X; };", "function X() { return X; }"],
      ["function outer() { class X {} return X; }", "class X {} return X;"],
      ["const k = (X = 1) => X;", "(X = 1) => X"],
    ];
    for (const [declaring, kept] of shadowing) {
      const { code } = transformModule("a.js", `import { X } from "./x";\n${declaring}\nexport const read = () => X;`);
      expect(code, declaring).toContain(kept);
      expect(code, declaring).toContain("const read = () => __import0.X;");
    }
    const { code } = transformModule("a.js", `import { X, Y } from "./x";\nexport function f(a = Y) { return { X, y: a.X }; }\nX\`t\`;`);
    expect(code).toContain("function f(a = __import0.Y) { return { X: __import0.X, y: a.X }; }");
    expect(code).toContain("(0, __import0.X)`t`");
  });

  it("makes the module function async only when the top level itself awaits", () => {
    const awaiting = ["await 1;", "for await (const x of []) {}", "if (true) { const v = await 2; }", "export const x = (await import('./y')).x;"];
    for (const source of awaiting) {
      const shape = transformModule("a.js", source);
      expect(shape.topLevelAwait, source).toBe(true);
      expect(shape.code.startsWith("(async function* (__graft)"), source).toBe(true);
    }
    const notAwaiting = ["const f = async () => await 1;", "async function g() { for await (const x of []) {} }", "class C { async m() { await 3; } }"];
    for (const source of notAwaiting) {
      const shape = transformModule("a.js", source);
      expect(shape.topLevelAwait, source).toBe(false);
      expect(shape.code.startsWith("(function* (__graft)"), source).toBe(true);
    }
  });

  it("collects imports, export names and top-level class names", () => {
    const shape = transformModule("a.js", `import D, { a as b } from "./d";
export default class {}
export class K {}
const L = class {};
class Hidden {}
export { b as renamed };
export * from "./star";`);
    expect(shape.imports.map((i) => i.specifier)).toEqual(["./d", "./star"]);
    expect(shape.exportNames).toEqual(["default", "K", "renamed"]);
    expect(shape.classNames).toEqual(["default", "K", "L", "Hidden"]);
  });

  it("links a class early (a static block) only when defining it may run code: its statics that are literal data need none", () => {
    const early = (body: string): boolean => compileScript("a.ts", `export class A {\n${body}\n}\n`).code.includes("__graft.early(A, this)");
    const literal = [
      `static kind = "unit"; static revision = 3; static neg = -1; static list = ["a", 1, [true, null]]; static table = { a: 1, b: { c: \`text\` } };`,
      `hp = this.make(); tags = []; run() { return A.kind; } static make() { return 1; } get level() { return 1; } [Symbol.iterator]() {}`,
      `static empty;`,
    ];
    for (const body of literal) expect(early(body), body).toBe(false);
    const runsCode = [
      `static made = new A();`,
      `static self = this;`,
      `static count = A.kind.length;`,
      `static list = [make()];`,
      `static table = { f() {} };`,
      `static { console.log("defined"); }`,
      `static tpl = \`\${1}\`;`,
      `#secret = 1; read() { return this.#secret; }`,
      `accessor hp = 1;`,
      `@logged static run() {}`,
    ];
    for (const body of runsCode) expect(early(body), body).toBe(true);
    expect(compileScript("a.ts", `function logged(f: unknown) { return f; }\n@logged\nexport class A { static kind = "a"; }\n`).code).toContain("__graft.early(A, this)");
  });

  it("maps positions back through both transforms (TypeScript)", () => {
    const source = `interface Point { x: number }\nconst p: Point = { x: 1 };\nexport class Q {\n  run(a: number): number {\n    return a + p.x;\n  }\n}\n`;
    const compiled = compileScript("q.ts", source);
    const generatedLines = compiled.code.split("\n");
    const line = generatedLines.findIndex((text) => text.includes("return a + p.x"));
    const column = generatedLines[line]!.indexOf("return") + 1;
    expect(compiled.mapper.original({ line: line + 1, column })).toEqual({ line: 5, column: 5 });
  });

  it("reports syntax errors with the position as written", () => {
    try {
      compileScript("bad.ts", `const a = 1;\nconst b: number = ;\n`);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CompileError);
      expect((error as CompileError).position).toMatchObject({ file: "bad.ts", line: 2 });
    }
  });
});
