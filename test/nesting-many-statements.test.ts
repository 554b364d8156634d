import { describe, expect, it } from "vitest";
import { checkNesting } from "../runtime/compile/nesting.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * The nesting scan bounds how deep a script nests, not how long it is: a file of many
 * top-level declarations (each a block closed by `}` with no `;` after it) was refused as
 * "nested too deeply" at its 500th TypeScript function (found while testing issue 8's
 * reload of a large file).
 */

const many = (count: number, make: (i: number) => string): string => Array.from({ length: count }, (_, i) => make(i)).join("\n");

describe("many statements are not deep nesting", () => {
  it("3,000 functions, classes and if-blocks in a row pass the scan; a file of them loads", async () => {
    const source = many(3000, (i) => [
      `export function f${i}(a: number): number { return a + ${i}; }`,
      `export class C${i} { m(): number { return ${i}; } }`,
      `if (f${i - 2}(0) < 0) { throw new Error("never"); }`,
    ][i % 3]!);
    expect(() => checkNesting("many.ts", source)).not.toThrow();
    const folder = await scriptsFolder({ "many.ts": source });
    const runtime = await runtimeFor(folder, { timeout: 20_000 });
    expect(runtime.failures()).toEqual([]);
    const f2997 = runtime.exports("many.ts").f2997!; // 2997 % 3 === 0: a function
    expect(f2997.invoke(1).toHost()).toBe(2998);
    f2997.dispose();
  });

  it("deep nesting is still refused, also after blocks and inside a function body", () => {
    const deep = `${"if (x) ".repeat(1100)}y();`;
    expect(() => checkNesting("a.ts", `function a() {}\nfunction b() {}\n${deep}`)).toThrow(/nested too deeply/);
    expect(() => checkNesting("a.ts", `function a() { ${"(".repeat(300)}1${")".repeat(300)} }`)).toThrow(/nested too deeply/);
    expect(() => checkNesting("a.ts", `const v = ${"- ".repeat(1100)}1;`)).toThrow(/nested too deeply/);
  });
});
