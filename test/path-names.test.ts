import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** Issue 24, row 8: a path is normalised before it names a file: one file, one name. */
describe("script paths", () => {
  it("reload(['sub/../a.ts']) reloads a.ts itself (no second copy under another name), and exports/getClass/evaluate take the same spellings", async () => {
    const folder = await scriptsFolder({ "a.ts": "export class A { v(): number { return 1; } }", "sub/b.ts": "export const b = 2;" });
    const runtime = await runtimeFor(folder);
    const instance = runtime.getClass("a.ts", "A").new();
    await folder.write("a.ts", "export class A { v(): number { return 2; } }");
    for (const spelling of ["sub/../a.ts", "./a.ts", "sub\\..\\a.ts"]) {
      const report = await runtime.reload([spelling]);
      expect(report.ok).toBe(true);
    }
    expect(runtime.files().sort()).toEqual(["a.ts", "sub/b.ts"]);
    // The real a.ts took the edit: the instance made before runs the new method.
    expect(instance.call("v").toHost()).toBe(2);
    expect(Object.keys(runtime.exports("./sub/../a.ts"))).toEqual(["A"]);
    expect(runtime.getClass("sub/../a.ts", "A").new().call("v").toHost()).toBe(2);
    expect(runtime.evaluate("./sub/b.ts", "b + 1").toHost()).toBe(3);
  });
});
