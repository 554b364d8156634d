import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GraftRuntime, ScriptClass } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * R13 as a property: after any sequence of edits applied by reload, every class behaves
 * as in a fresh runtime that loaded the final files (instance state aside), and every
 * file's exports read the same: top-level values derived from imports, statics derived
 * from a base class in another file, re-exports and `export *` included.
 */

const METHODS = ["m0", "m1", "m2"];
const GETTERS = ["g0", "g1"];
const STATICS = ["s0", "s1"];
const FIELDS = ["f0", "f1"];

interface ClassSpec {
  name: string;
  base: string | null;
  form: "declaration" | "expression";
  methods: Record<string, number>;
  superCalls: string[];
  getters: Record<string, number>;
  statics: Record<string, number>;
  staticMethods: Record<string, number>;
  fields: Record<string, number>;
  constructorField: number | null;
  /** A static computed from the base class's static (`static d = [Base.s0, "B0"]`). */
  derivedStatic: boolean;
}

/** Top-level values: derived from imports, re-exported, gathered by `export *`. */
interface Values {
  /** f0: `export const V = value`. */
  value: number;
  /** f0: `export const DA = V * n`. */
  derivedInA: number | null;
  /** f1: `export const DB = V + n` (V imported from f0). */
  derivedInB: number | null;
  /** f2: `export * from "./f0"`. */
  star: boolean;
  /** f2: `export { DB as RDB } from "./f1"` (when f1 has DB). */
  named: boolean;
  /** f2: `export const F2 = V * 2` from its own import of f0. */
  own: boolean;
}

interface ProgramState {
  /** f0.js: classes A*; f1.js: classes B* that may extend A*. */
  files: [ClassSpec[], ClassSpec[]];
  /** Names that are exported as a plain value instead of a class (class -> non-class edits). */
  nonClasses: string[];
  values: Values;
}

const smallRecord = (keys: string[]) =>
  fc.dictionary(fc.constantFrom(...keys), fc.integer({ min: 0, max: 9 }), { maxKeys: keys.length });

const classBody = fc.record({
  form: fc.constantFrom<"declaration" | "expression">("declaration", "declaration", "expression"),
  methods: smallRecord(METHODS),
  superCalls: fc.subarray(METHODS),
  getters: smallRecord(GETTERS),
  statics: smallRecord(STATICS),
  staticMethods: smallRecord(["sm0", "sm1"]),
  fields: smallRecord(FIELDS),
  constructorField: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }),
  derivedStatic: fc.boolean(),
});

const values: fc.Arbitrary<Values> = fc.record({
  value: fc.integer({ min: 0, max: 9 }),
  derivedInA: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
  derivedInB: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
  star: fc.boolean(),
  named: fc.boolean(),
  own: fc.boolean(),
});

/** A state: which names exist in each file, each class's base among earlier/imported classes. */
const programState: fc.Arbitrary<ProgramState> = fc
  .record({
    aNames: fc.subarray(["A0", "A1", "A2", "A3"], { minLength: 1 }),
    bNames: fc.subarray(["B0", "B1", "B2"]),
    bodies: fc.array(classBody, { minLength: 7, maxLength: 7 }),
    baseChoices: fc.array(fc.nat(), { minLength: 7, maxLength: 7 }),
    nonClass: fc.option(fc.constantFrom("A0", "A1", "A2", "A3", "B0", "B1", "B2"), { nil: null }),
    values,
  })
  .map(({ aNames, bNames, bodies, baseChoices, nonClass, values }) => {
    let index = 0;
    const make = (name: string, candidates: string[]): ClassSpec => {
      const body = bodies[index]!;
      const choice = baseChoices[index]!;
      index++;
      const base = candidates.length === 0 || choice % 3 === 0 ? null : candidates[choice % candidates.length]!;
      return { name, base, ...body };
    };
    const aNamesUsed = aNames.filter((name) => name !== nonClass);
    const aClasses: ClassSpec[] = [];
    for (const name of aNamesUsed) aClasses.push(make(name, aClasses.map((c) => c.name)));
    const bClasses: ClassSpec[] = [];
    for (const name of bNames.filter((n) => n !== nonClass)) {
      bClasses.push(make(name, [...aClasses.map((c) => c.name), ...bClasses.map((c) => c.name)]));
    }
    return { files: [aClasses, bClasses] as [ClassSpec[], ClassSpec[]], nonClasses: nonClass ? [nonClass] : [], values };
  });

function classSource(spec: ClassSpec): string {
  const lines: string[] = [];
  const head = spec.base ? `class extends ${spec.base}` : "class";
  const members: string[] = [];
  if (spec.constructorField !== null) {
    members.push(`constructor() { ${spec.base ? "super(); " : ""}this.ctor = ${spec.constructorField}; }`);
  }
  for (const [field, value] of Object.entries(spec.fields)) members.push(`${field} = ${value};`);
  for (const [method, value] of Object.entries(spec.methods)) {
    const superPart = spec.superCalls.includes(method) ? ` + (super.${method} ? "<" + super.${method}() : "")` : "";
    members.push(`${method}() { return "${spec.name}.${method}.${value}" + (this instanceof ${spec.name} ? "" : "!")${superPart}; }`);
  }
  for (const [getter, value] of Object.entries(spec.getters)) members.push(`get ${getter}() { return ${value}; }`);
  for (const [name, value] of Object.entries(spec.statics)) members.push(`static ${name} = ${value};`);
  if (spec.derivedStatic && spec.base) members.push(`static d = [${spec.base}.s0 ?? "none", ${spec.base}.d ?? "none", "${spec.name}"];`);
  for (const [name, value] of Object.entries(spec.staticMethods)) members.push(`static ${name}() { return "${spec.name}.${name}.${value}:" + (this === ${spec.name}); }`);
  members.push(`static make() { return new ${spec.name}(); }`);
  const body = `{\n  ${members.join("\n  ")}\n}`;
  if (spec.form === "declaration") lines.push(`export ${head.replace("class", `class ${spec.name}`)} ${body}`);
  else lines.push(`export const ${spec.name} = ${head} ${body};`);
  return lines.join("\n");
}

function fileSources(state: ProgramState): Record<string, string> {
  const [aClasses, bClasses] = state.files;
  const { values } = state;
  const nonClassSource = (file: "A" | "B") =>
    state.nonClasses.filter((name) => name.startsWith(file)).map((name) => `export const ${name} = 42;`).join("\n");
  const imports = [...new Set(bClasses.map((c) => c.base).filter((base): base is string => base !== null && base.startsWith("A")))];
  const f0Values = [`export const V = ${values.value};`, values.derivedInA !== null ? `export const DA = V * ${values.derivedInA};` : ""];
  const f1Values = values.derivedInB !== null ? `export const DB = V + ${values.derivedInB};` : "";
  const f2 = [
    values.own ? `import { V } from "./f0";\nexport const F2 = V * 2;` : "",
    values.star ? `export * from "./f0";` : "",
    values.named && values.derivedInB !== null ? `export { DB as RDB } from "./f1";` : "",
  ];
  return {
    "f0.js": [...f0Values, ...aClasses.map(classSource), nonClassSource("A")].join("\n\n") + "\n",
    "f1.js": [`import { ${["V", ...imports].join(", ")} } from "./f0";`, f1Values, ...bClasses.map(classSource), nonClassSource("B")].join("\n\n") + "\n",
    "f2.js": f2.join("\n") + "\nexport {};\n",
    // Reads every namespace; its top-level value is derived from f2's (export *) names.
    "f3.js": `import * as n0 from "./f0";\nimport * as n1 from "./f1";\nimport * as n2 from "./f2";
export const keys2 = Object.keys(n2).sort().join(",");
export const summary = () => JSON.stringify([n0, n1, n2].map((ns) => Object.keys(ns).sort().map((key) => [key, typeof ns[key] === "function" ? "fn" : ns[key]])));
`,
  };
}

const PROBE = `(C, old) => {
  const out = {};
  const describe = (target, keys) => {
    const result = {};
    for (const key of keys) {
      try {
        const value = target[key];
        result[key] = typeof value === "function" ? "fn:" + value.call(target) : value;
      } catch (error) { result[key] = "throws:" + error.message; }
    }
    return result;
  };
  const instance = new C();
  out.instance = describe(instance, ${JSON.stringify([...METHODS, ...GETTERS, ...FIELDS, "ctor"])});
  out.statics = describe(C, ${JSON.stringify([...STATICS, "sm0", "sm1", "d"])});
  out.made = C.make().constructor === C;
  out.chain = [];
  for (let p = Object.getPrototypeOf(C); p && p !== Function.prototype && out.chain.length < 10; p = Object.getPrototypeOf(p)) out.chain.push(p.name);
  out.protoKeys = Object.getOwnPropertyNames(C.prototype).sort();
  out.staticKeys = Object.getOwnPropertyNames(C).filter((k) => !["prototype", "length", "name"].includes(k)).sort();
  if (old) out.old = describe(old, ${JSON.stringify([...METHODS, ...GETTERS])});
  return JSON.stringify(out);
}`;

function behaviour(runtime: GraftRuntime, state: ProgramState, oldInstances: Map<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  const probe = runtime.evaluate("f0.js", PROBE);
  try {
    for (const [fileIndex, classes] of state.files.entries()) {
      const file = `f${fileIndex}.js`;
      for (const spec of classes) {
        const cls = runtime.getClass(file, spec.name);
        const old = oldInstances.get(`${file}#${spec.name}`);
        result[`${file}#${spec.name}`] = String(probe.invoke(cls, old ?? null).toHost());
        result[`${file}#${spec.name} subclasses`] = runtime
          .findSubclasses(cls)
          .map((sub: ScriptClass) => `${sub.file}#${sub.name}`)
          .join(",");
      }
    }
  } finally {
    probe.dispose();
  }
  result["f3.js keys2"] = JSON.stringify(runtime.exports("f3.js").keys2!.toHost());
  result["f3.js summary"] = String(runtime.exports("f3.js").summary!.invoke().toHost());
  return result;
}

/**
 * An edit: a whole new state (every file usually changes), or a new V only: a leaf edit of
 * f0.js alone, whose importers (f1's DB, f2's F2) read V at top level and must re-run.
 */
type EditStep = { state: ProgramState } | { value: number };
const editStep: fc.Arbitrary<EditStep> = fc.oneof(
  programState.map((state) => ({ state })),
  fc.integer({ min: 0, max: 9 }).map((value) => ({ value })),
);

function statesAfter(initial: ProgramState, steps: EditStep[]): ProgramState[] {
  let last = initial;
  return steps.map((step) => (last = "state" in step ? step.state : { ...last, values: { ...last.values, value: step.value } }));
}

describe("R13 equivalence (property-based)", () => {
  it("any edit sequence applied by reload behaves like a fresh load of the final files", async () => {
    await fc.assert(
      fc.asyncProperty(programState, fc.array(editStep, { minLength: 1, maxLength: 5 }), async (initial, steps) => {
        const edits = statesAfter(initial, steps);
        const live = await scriptsFolder(fileSources(initial));
        const runtime = await runtimeFor(live);
        expect(runtime.initialReport.errors).toEqual([]);
        // Old instances of every initial class, to check that they run the final code.
        const oldInstances = new Map<string, unknown>();
        for (const [fileIndex, classes] of initial.files.entries()) {
          for (const spec of classes) oldInstances.set(`f${fileIndex}.js#${spec.name}`, runtime.getClass(`f${fileIndex}.js`, spec.name).new());
        }
        let previous = fileSources(initial);
        for (const state of edits) {
          const next = fileSources(state);
          const changed = Object.keys(next).filter((file) => next[file] !== previous[file]);
          for (const file of changed) await live.write(file, next[file]!);
          const report = await runtime.reload(changed);
          expect(report.errors.map((e) => e.text)).toEqual([]);
          previous = next;
        }
        const final = edits[edits.length - 1]!;
        // Only classes defined in every state keep their identity; the others were retired on the way.
        for (const key of [...oldInstances.keys()]) {
          const [file, name] = key.split("#") as [string, string];
          const fileIndex = file === "f0.js" ? 0 : 1;
          if (!edits.every((state) => state.files[fileIndex].some((spec) => spec.name === name))) oldInstances.delete(key);
        }
        const fresh = await runtimeFor(await scriptsFolder(previous));
        const expected = behaviour(fresh, final, new Map());
        const actual = behaviour(runtime, final, oldInstances);
        for (const key of Object.keys(expected)) {
          if (key.endsWith("subclasses") || key.startsWith("f3.js")) {
            expect(actual[key], key).toBe(expected[key]);
            continue;
          }
          const want = JSON.parse(expected[key]!) as Record<string, unknown>;
          const got = JSON.parse(actual[key]!) as Record<string, unknown> & { old?: Record<string, unknown> };
          const oldView = got.old;
          delete got.old;
          expect(got, key).toEqual(want);
          // An old instance runs the final methods and getters (its own fields aside).
          if (oldView) {
            const wantInstance = want.instance as Record<string, unknown>;
            for (const member of [...METHODS, ...GETTERS]) expect(oldView[member], `${key} old.${member}`).toEqual(wantInstance[member]);
          }
        }
        fresh.dispose();
        runtime.dispose();
      }),
      { numRuns: Number(process.env.GRAFT_PROPERTY_RUNS ?? 60) },
    );
  });
});
