import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GraftRuntime, ScriptClass } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * R13 as a property: after any sequence of edits applied by reload, every class behaves
 * as in a fresh runtime that loaded the final files (instance state aside).
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
}

interface ProgramState {
  /** f0.js: classes A*; f1.js: classes B* that may extend A*. */
  files: [ClassSpec[], ClassSpec[]];
  /** Names that are exported as a plain value instead of a class (class -> non-class edits). */
  nonClasses: string[];
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
});

/** A state: which names exist in each file, each class's base among earlier/imported classes. */
const programState: fc.Arbitrary<ProgramState> = fc
  .record({
    aNames: fc.subarray(["A0", "A1", "A2", "A3"], { minLength: 1 }),
    bNames: fc.subarray(["B0", "B1", "B2"]),
    bodies: fc.array(classBody, { minLength: 7, maxLength: 7 }),
    baseChoices: fc.array(fc.nat(), { minLength: 7, maxLength: 7 }),
    nonClass: fc.option(fc.constantFrom("A0", "A1", "A2", "A3", "B0", "B1", "B2"), { nil: null }),
  })
  .map(({ aNames, bNames, bodies, baseChoices, nonClass }) => {
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
    return { files: [aClasses, bClasses] as [ClassSpec[], ClassSpec[]], nonClasses: nonClass ? [nonClass] : [] };
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
  for (const [name, value] of Object.entries(spec.staticMethods)) members.push(`static ${name}() { return "${spec.name}.${name}.${value}:" + (this === ${spec.name}); }`);
  members.push(`static make() { return new ${spec.name}(); }`);
  const body = `{\n  ${members.join("\n  ")}\n}`;
  if (spec.form === "declaration") lines.push(`export ${head.replace("class", `class ${spec.name}`)} ${body}`);
  else lines.push(`export const ${spec.name} = ${head} ${body};`);
  return lines.join("\n");
}

function fileSources(state: ProgramState): Record<string, string> {
  const [aClasses, bClasses] = state.files;
  const nonClassSource = (file: "A" | "B") =>
    state.nonClasses.filter((name) => name.startsWith(file)).map((name) => `export const ${name} = 42;`).join("\n");
  const imports = [...new Set(bClasses.map((c) => c.base).filter((base): base is string => base !== null && base.startsWith("A")))];
  return {
    "f0.js": [...aClasses.map(classSource), nonClassSource("A")].join("\n\n") + "\n",
    "f1.js": [imports.length ? `import { ${imports.join(", ")} } from "./f0";` : "", ...bClasses.map(classSource), nonClassSource("B")].join("\n\n") + "\n",
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
  out.statics = describe(C, ${JSON.stringify([...STATICS, "sm0", "sm1"])});
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
  return result;
}

describe("R13 equivalence (property-based)", () => {
  it("any edit sequence applied by reload behaves like a fresh load of the final files", async () => {
    await fc.assert(
      fc.asyncProperty(programState, fc.array(programState, { minLength: 1, maxLength: 5 }), async (initial, edits) => {
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
          if (key.endsWith("subclasses")) {
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
