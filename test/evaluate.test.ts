import { describe, expect, it } from "vitest";
import { ScriptError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const sub = (n: number) => `
import { Base } from "./base";
import * as tools from "./tools";
import greet, { shout as loud } from "./tools";
let counter: number = ${n};
const token = { version: ${n} };
function helper(): number { return counter++; }
export class Sub extends Base { v() { return ${n}; } }
class Hidden {}
export const uses = () => [greet, loud, tools]; // TypeScript drops imports nothing uses
`;

const files = {
  "base.ts": `export class Base {}\n`,
  "tools.ts": `export default function greet(name: string) { return "hi " + name; }\nexport function shout(text: string) { return text.toUpperCase(); }\n`,
  "sub.ts": sub(1),
};

describe("runtime.evaluate(file, code): a REPL in the file's own scope", () => {
  it("sees the file's top-level bindings and imports, in TypeScript, with the completion value", async () => {
    const folder = await scriptsFolder(files);
    const runtime = await runtimeFor(folder);
    const evaluate = (code: string) => {
      const value = runtime.evaluate("sub.ts", code);
      try {
        return value.toHost();
      } finally {
        value.dispose();
      }
    };
    expect(evaluate("typeof Sub")).toBe("function");
    expect(evaluate("typeof Hidden")).toBe("function");
    expect(evaluate("[counter, helper(), helper(), counter]")).toEqual([1, 1, 2, 3]);
    expect(evaluate("token.version")).toBe(1);
    // imports, as the module reads them: named, renamed, default, namespace
    expect(evaluate("new Sub() instanceof Base")).toBe(true);
    expect(evaluate(`[greet("Ann"), loud("hey"), tools.shout("x")]`)).toEqual(["hi Ann", "HEY", "X"]);
    // TypeScript is stripped; the file's own class is the canonical one the host sees
    expect(evaluate("const s: Sub = new Sub(); s.v()")).toBe(1);
    const Sub = runtime.getClass("sub.ts", "Sub");
    const fromRepl = runtime.evaluate("sub.ts", "Sub");
    expect(fromRepl.isSame(Sub)).toBe(true);
    fromRepl.dispose();
    // a name the snippet declares shadows the import of the same name
    expect(evaluate("{ const greet = () => 'mine'; greet() }")).toBe("mine");
    // declarations stay local to one evaluation; globalThis keeps things
    evaluate("let scratch = 1; globalThis.kept = 2");
    expect(evaluate("[typeof scratch, kept]")).toEqual(["undefined", 2]);
    expect(evaluate("import.meta.url")).toBe("graft:sub.ts");
  });

  it("follows the running version: after a reload it sees the new bindings, after a failed one still the old", async () => {
    const folder = await scriptsFolder(files);
    const runtime = await runtimeFor(folder);
    await folder.write("sub.ts", sub(2) + "export const added = 'new';\n");
    await runtime.reload(["sub.ts"]);
    expect(runtime.evaluate("sub.ts", "[counter, token.version, added, new Sub().v()]").toHost()).toEqual([2, 2, "new", 2]);
    await folder.write("sub.ts", sub(3) + "throw new Error('broken at top level');\n");
    expect((await runtime.reload(["sub.ts"])).ok).toBe(false);
    expect(runtime.evaluate("sub.ts", "[counter, token.version]").toHost()).toEqual([2, 2]);
  });

  it("holds nothing of a superseded version: its scope is collected (WeakRef proof)", async () => {
    const folder = await scriptsFolder(files);
    const runtime = await runtimeFor(folder);
    // v1's token is only reachable through v1's module scope
    runtime.evaluate("sub.ts", "globalThis.old = new WeakRef(token); globalThis.oldHelper = new WeakRef(helper)").dispose();
    for (let n = 2; n <= 4; n++) {
      await folder.write("sub.ts", sub(n));
      expect((await runtime.reload(["sub.ts"])).ok).toBe(true);
    }
    runtime.gc();
    expect(runtime.evaluate("sub.ts", "[old.deref() === undefined, oldHelper.deref() === undefined, token.version]").toHost()).toEqual([true, true, 4]);
    expect(runtime.leaks()).toEqual([]);
  });

  it("keeps only what code may still use: import.meta and import() work later, the loader's API is let go", async () => {
    const folder = await scriptsFolder({
      "late.ts": `export function url() { return import.meta.url; }\nexport function count() { return (import.meta.hot.data.n = (import.meta.hot.data.n ?? 0) + 1); }\nexport function load() { return import("./elsewhere"); }\n`,
    });
    const runtime = await runtimeFor(folder);
    const { url, count, load } = runtime.exports("late.ts");
    expect(url!.invoke().toHost()).toBe("graft:late.ts");
    expect([count!.invoke().toHost(), count!.invoke().toHost()]).toEqual([1, 2]);
    await expect(load!.invoke().promise()).rejects.toThrow(/TypeError: cannot find '\.\/elsewhere' imported by late\.ts/);
    // the per-version loader API (class installation, exports) is needed only while the top level runs
    expect(runtime.evaluate("late.ts", "typeof __graft").toHost()).toBe("undefined");
  });

  it("reports errors as the REPL user needs them, and refuses removed files", async () => {
    const folder = await scriptsFolder(files);
    const runtime = await runtimeFor(folder, { timeout: 200 });
    expect(() => runtime.evaluate("sub.ts", "counter +")).toThrow(ScriptError);
    expect(() => runtime.evaluate("sub.ts", "counter +")).toThrow(/SyntaxError: .* of the evaluated code/);
    // an error in the typed code names no position in the file; one inside the file's code does
    expect(() => runtime.evaluate("sub.ts", "missing.x")).toThrow(/^ReferenceError: 'missing' is not defined$/);
    expect(() => runtime.evaluate("sub.ts", "new Sub().v.call(null, missing)")).toThrow(/^ReferenceError: 'missing' is not defined$/);
    expect(() => runtime.evaluate("sub.ts", "uses()[0](null.x)")).toThrow(/^TypeError: .*null/);
    expect(() => runtime.evaluate("sub.ts", "for (;;) {}")).toThrow(/timed out/);
    expect(runtime.evaluate("sub.ts", "counter").toHost()).toBe(1);
    await folder.remove("sub.ts");
    await runtime.reload(["sub.ts"]);
    expect(() => runtime.evaluate("sub.ts", "1")).toThrow(/no script 'sub.ts' is loaded/);
  });
});
