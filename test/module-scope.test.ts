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
