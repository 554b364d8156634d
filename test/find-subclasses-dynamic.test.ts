import { describe, expect, it } from "vitest";
import { ScriptClass, type ScriptValue } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * Issue 8: findSubclasses(X, { dynamic: true }) finds classes made at run time by walking the
 * heap. It must answer what a host expects: live, current classes (retired ones only with
 * includeRetired), never the per-version implementation objects graft keeps behind each class,
 * and the same graft classes, in the same order, as the answer without `dynamic`.
 */

const BASE = [
  "export class Base {}",
  "export const keep: unknown[] = [];",
  "export function makeDynamic(): unknown { class Dyn extends Base {} keep.push(Dyn); return Dyn; }",
].join("\n");
const sub = (name: string, version: number): string =>
  `import { Base, keep } from "./base.ts";\nexport class ${name} extends Base { v(): number { return ${version}; } }\nkeep.push(new ${name}());`;

function names(values: ScriptValue[]): string[] {
  return values.map((value) => String(value.get("name").toHost()));
}

function graftClasses(values: ScriptValue[]): ScriptValue[] {
  return values.filter((value) => value instanceof ScriptClass);
}

describe("findSubclasses({ dynamic: true }) after reloads that retire classes", () => {
  it("returns live current classes and run-time classes, never retired ones (unless asked) or class versions", async () => {
    const folder = await scriptsFolder({ "base.ts": BASE, "a.ts": sub("A", 1), "b.ts": sub("B", 1), "c.ts": sub("C", 1) });
    const runtime = await runtimeFor(folder);
    runtime.exports("base.ts").makeDynamic!.invoke().dispose();
    // A and C get new versions (their instances keep the old ones' prototypes alive), then A and C are deleted:
    // retired, and held by the instances in `keep`.
    for (let version = 2; version <= 3; version++) {
      await folder.write("a.ts", sub("A", version));
      await folder.write("c.ts", sub("C", version));
      await runtime.reload(["a.ts", "c.ts"]);
    }
    await folder.remove("a.ts");
    await folder.remove("c.ts");
    expect((await runtime.reload()).retired.map((retired) => retired.name).sort()).toEqual(["A", "C"]);
    const Base = runtime.getClass("base.ts", "Base");

    const plain = runtime.findSubclasses(Base);
    const dynamic = runtime.findSubclasses(Base, { dynamic: true });
    expect(names(plain)).toEqual(["B"]);
    expect(names(dynamic)).toEqual(["B", "Dyn"]);
    // Where they overlap (graft's classes), the same values in the same order.
    expect(graftClasses(dynamic).length).toBe(plain.length);
    graftClasses(dynamic).forEach((value, index) => expect(value.isSame(plain[index]!)).toBe(true));
    expect(graftClasses(dynamic).every((value) => !(value as ScriptClass).retired)).toBe(true);

    const withRetired = runtime.findSubclasses(Base, { includeRetired: true });
    const dynamicWithRetired = runtime.findSubclasses(Base, { dynamic: true, includeRetired: true });
    expect(names(withRetired)).toEqual(["B", "A", "C"]);
    // Each retired class once: its implementation objects (one per version) are not classes a host knows.
    expect(names(dynamicWithRetired)).toEqual(["B", "A", "C", "Dyn"]);
    graftClasses(dynamicWithRetired).forEach((value, index) => expect(value.isSame(withRetired[index]!)).toBe(true));

    const inclusive = runtime.findSubclasses(Base, { dynamic: true, inclusive: true });
    expect(names(inclusive).sort()).toEqual(["B", "Base", "Dyn"]);

    // Every value is a class a host can use: `new` makes an instance of it.
    for (const value of dynamic) {
      const made = value.new();
      expect(made.instanceOf(Base)).toBe(true);
      made.dispose();
    }
    for (const value of [...plain, ...dynamic, ...withRetired, ...dynamicWithRetired, ...inclusive]) value.dispose();
    Base.dispose();
  });
});
