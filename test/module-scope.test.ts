import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

describe("module scope as ES has it", () => {
  it("top-level arguments is not graft's: typeof gives undefined, a read throws ReferenceError, functions keep their own", async () => {
    const folder = await scriptsFolder({
      "a.ts": `export const kind = typeof arguments;
export const inArrow = (() => typeof arguments)();
export function own(a: number, b: number) { return arguments.length + (() => arguments[1])(); }
let caught = "";
try { arguments; } catch (error: any) { caught = error.constructor.name + ": " + error.message; }
export const read = caught;
export const objects = { arguments: 1, m() { return arguments.length; } };
`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    const exports = runtime.exports("a.ts");
    expect(exports.kind!.toHost()).toBe("undefined");
    expect(exports.inArrow!.toHost()).toBe("undefined");
    expect(exports.read!.toHost()).toBe("ReferenceError: arguments is not defined");
    expect(exports.own!.invoke(5, 7).toHost()).toBe(9);
    expect(runtime.evaluate("a.ts", "objects.arguments + objects.m(1, 2)").toHost()).toBe(3);
  });
});

describe("arguments as an imported or exported name", () => {
  it("export { a as arguments } and import { arguments as b } are names, not references (they failed to compile)", async () => {
    const folder = await scriptsFolder({
      "names.ts": "const _arguments = 5;\nexport { _arguments as arguments };\n",
      "user.ts": "import { arguments as fromNames } from './names.js';\nexport const read = fromNames + 1;\nexport const kind = typeof arguments;\n",
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("user.ts").read!.toHost()).toBe(6);
    expect(runtime.exports("user.ts").kind!.toHost()).toBe("undefined");
  });
});

describe("names the compile step generates", () => {
  const USERS: Record<string, string> = {
    "__default beside an anonymous default export": "const __default = 41;\nexport default function () { return __default + 1; }\n",
    "__graft as a top-level name": "let __graft = 1;\nexport const one = __graft;\n",
    "__import0 as a local beside an import": "import { x } from './x.js';\nexport function f() { const __import0 = { x: 5 }; return x + __import0.x; }\n",
    "__namespace0 as a parameter": "export function f(__namespace0: number) { return __namespace0; }\n",
  };
  for (const [what, source] of Object.entries(USERS)) {
    it(`${what}: refused with the name and its line, not silently meeting generated code`, async () => {
      const folder = await scriptsFolder({ "x.ts": "export const x = 1;\n", "user.ts": `// a designer's file\n${source}` });
      const runtime = await runtimeFor(folder);
      const error = runtime.initialReport.errors.find((failure) => failure.file === "user.ts");
      expect(error?.message).toMatch(/the name '__\w+' is reserved/);
      expect(error?.position?.line).toBeGreaterThanOrEqual(2);
      expect(error?.text).toMatch(/rename '__\w+'/);
      expect(runtime.files()).toContain("x.ts");
    });
  }

  it("the same names as property keys, members, labels and strings are allowed", async () => {
    const folder = await scriptsFolder({
      "ok.ts": `export const table = { __default: 1, __graft: 2, "__import0": 3 };
export class Holder { __namespace0 = 4; __graftThing(): number { return table.__default + table.__graft; } }
export function loop(): number { __graftLabel: for (;;) { break __graftLabel; } return new Holder().__namespace0 + new Holder().__graftThing(); }
`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("ok.ts").loop!.invoke().toHost()).toBe(7);
  });
});
