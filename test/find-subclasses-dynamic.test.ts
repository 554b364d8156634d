import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptClass, type GraftRuntime, type ScriptValue } from "../host-api/index.js";
import { growVm, HOG_SCRIPT, type Growth } from "./grown-vm.js";
import { runtimeFor, scriptsFolder, type ScriptsFolder } from "./helpers.js";

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

describe("findSubclasses({ dynamic: true }) after the VM memory grew (64 MB buffer, 300k objects)", () => {
  const RUN_TIME_BASE = [
    BASE,
    // Classes made at run time, each named: `count` extending Base, and as many extending `via` (a graft class).
    "export function makeNamed(prefix: string, count: number, via?: new () => Base): void {",
    "  for (let i = 0; i < count; i++) {",
    "    const name = prefix + i;",
    "    keep.push({ [name]: class extends Base {} }[name]);",
    "    if (via) keep.push({ [name + 'Of' + via.name]: class extends via {} }[name + 'Of' + via.name]);",
    "  }",
    "}",
  ].join("\n");
  const OPTIONS = {
    plain: {},
    dynamic: { dynamic: true },
    withRetired: { dynamic: true, includeRetired: true },
    inclusive: { dynamic: true, inclusive: true },
    inclusiveWithRetired: { dynamic: true, inclusive: true, includeRetired: true },
  } as const;
  type Answers = Record<keyof typeof OPTIONS, ScriptValue[]>;

  let runtime: GraftRuntime;
  let folder: ScriptsFolder;
  let Base: ScriptClass;
  let before: Answers;
  let growth: Growth;

  const ask = (base: ScriptClass | string = Base): Answers => {
    const answers: Partial<Answers> = {};
    for (const [key, options] of Object.entries(OPTIONS)) answers[key as keyof Answers] = runtime.findSubclasses(base, options);
    return answers as Answers;
  };
  /** Graft's classes in their stable order, then the run-time ones (heap order) sorted by name. */
  const shown = (values: ScriptValue[]): string[] => {
    const graft = names(graftClasses(values));
    return [...graft, ...names(values.filter((value) => !(value instanceof ScriptClass))).sort()];
  };
  const range = (prefix: string, count: number, suffix = ""): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}${suffix}`);

  beforeAll(async () => {
    folder = await scriptsFolder({ "base.ts": RUN_TIME_BASE, "a.ts": sub("A", 1), "b.ts": sub("B", 1), "c.ts": sub("C", 1), "hog.ts": HOG_SCRIPT }, "file");
    runtime = await runtimeFor(folder, { timeout: 20_000 }, "file");
    const B = runtime.getClass("b.ts", "B");
    runtime.exports("base.ts").makeNamed!.invoke("Dyn", 100, B).dispose();
    B.dispose();
    // A and C get a second version, then are deleted: retired, held by their instances in `keep`.
    await folder.write("a.ts", sub("A", 2));
    await folder.write("c.ts", sub("C", 2));
    await runtime.reload(["a.ts", "c.ts"]);
    await folder.remove("a.ts");
    await folder.remove("c.ts");
    expect((await runtime.reload()).retired.map((retired) => retired.name).sort()).toEqual(["A", "C"]);
    Base = runtime.getClass("base.ts", "Base");
    before = ask();
    growth = growVm(runtime);
  });

  afterAll(() => {
    for (const values of Object.values(before)) for (const value of values) value.dispose();
    Base.dispose();
  });

  it("gives the answers the world defines, before and after growth", () => {
    const dyn = [...range("Dyn", 100), ...range("Dyn", 100, "OfB")].sort();
    const expected = {
      plain: ["B"],
      dynamic: ["B", ...dyn],
      withRetired: ["B", "A", "C", ...dyn],
      inclusive: ["Base", "B", ...dyn].sort(),
      inclusiveWithRetired: ["Base", "B", "A", "C", ...dyn].sort(),
    };
    const after = ask();
    const byReference = ask("base.ts#Base");
    for (const key of Object.keys(OPTIONS) as (keyof Answers)[]) {
      const sorted = key.startsWith("inclusive");
      expect([key, sorted ? shown(before[key]).sort() : shown(before[key])]).toEqual([key, expected[key]]);
      expect([key, sorted ? shown(after[key]).sort() : shown(after[key])]).toEqual([key, expected[key]]);
      expect([key, shown(byReference[key])]).toEqual([key, shown(after[key])]);
      // The same classes, not look-alikes: each answer after growth is a value of the answer before.
      expect(after[key].every((value) => before[key].some((known) => known.isSame(value)))).toBe(true);
      expect(after[key]).toHaveLength(before[key].length);
    }
    for (const value of [...Object.values(after), ...Object.values(byReference)].flat()) value.dispose();
  });

  it("finds classes made after growth (above the old memory) and no class version a reload made", async () => {
    runtime.exports("base.ts").makeNamed!.invoke("Late", 50).dispose();
    await folder.write("b.ts", sub("B", 2));
    await folder.write("d.ts", sub("D", 1));
    expect((await runtime.reload(["b.ts", "d.ts"])).ok).toBe(true);
    const snapshot = runtime.heap.snapshot();
    const late = snapshot.nodes.filter((node) => /^Late\d+$/.test(node.name) && node.className === "Function");
    expect(late.length).toBe(50);
    expect(late.some((node) => node.address >= growth.from)).toBe(true);

    const dyn = [...range("Dyn", 100), ...range("Dyn", 100, "OfB"), ...range("Late", 50)].sort();
    const after = ask();
    expect(shown(after.plain)).toEqual(["B", "D"]);
    expect(shown(after.dynamic)).toEqual(["B", "D", ...dyn]);
    expect(shown(after.withRetired)).toEqual(["B", "D", "A", "C", ...dyn]);
    expect(shown(after.inclusive).sort()).toEqual(["Base", "B", "D", ...dyn].sort());
    // B was patched in place: the B found is the one found before growth and the reload, now running v2.
    const B = after.dynamic.find((value) => value instanceof ScriptClass && value.name === "B") as ScriptClass;
    expect(B.isSame(before.dynamic[0]!)).toBe(true);
    const made = B.new();
    expect(made.call("v").toHost()).toBe(2);
    made.dispose();
    for (const value of Object.values(after).flat()) value.dispose();
  });
});
