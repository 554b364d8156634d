import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GraftRuntime } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * A project's history replayed as a designer's checkouts: each commit's changed files go to
 * reload(changed), and each step is compared with a fresh runtime that loaded that commit
 * (the files that run, the files that fail, and what every running file's exports read).
 */

type Commit = { message: string; files: Record<string, string | null> };

const MATH = (scale: number) => `export const SCALE: number = ${scale};\nexport function scaled(n: number): number { return n * SCALE; }\n`;
const SHAPE = (extra = "") => `import { scaled } from "../util/math";
export class Shape {
  area(): number { return 0; }
  describe(): string { return \`\${this.constructor.name}:\${scaled(this.area())}\`; }${extra}
}
`;
const SHAPE_INLINE = `export class Shape {
  static unit = 10;
  area(): number { return 0; }
  describe(): string { return \`\${this.constructor.name}:\${this.area() * Shape.unit}\`; }
}
export class Shape2 extends Shape { area(): number { return 2; } }
`;
const RECT = (name: string, w: number) => `import { Shape } from "./shape";
export class ${name} extends Shape {
  w = ${w};
  h = 3;
  static kinds = ["${name.toLowerCase()}"];
  area(): number { return this.w * this.h; }
}
`;
const CIRCLE = (r: number) => `import { Shape } from "./shape";
export class Circle extends Shape {
  r = ${r};
  area(): number { return Math.round(3.14 * this.r * this.r); }
}
`;
const REGISTRY = (rectFile: string, rectName: string, withCircle: boolean) => `import { ${rectName} } from "./shapes/${rectFile}";
${withCircle ? `import { Circle } from "./shapes/circle";\n` : ""}import { SCALE } from "./util/math";
export const all = [new ${rectName}()${withCircle ? ", new Circle()" : ""}];
export const names = all.map((shape) => shape.describe());
export const label = \`scale \${SCALE}: \${names.join(", ")}\`;
`;
const SQUARE = (base: string, from: string) => `import { ${base} } from "${from}";
export class Square extends ${base} {
  static kinds = [...(${base}.kinds ?? []), "square"];
  area(): number { return 16; }
}
`;
const INDEX = (files: string[]) => files.map((file) => `export * from "./shapes/${file}";`).join("\n") + "\n";
const CONSUMER = `import * as everything from "./index";
export const exported = Object.keys(everything).sort().join(",");
`;

const HISTORY: Commit[] = [
  { message: "initial", files: { "util/math.ts": MATH(2), "shapes/shape.ts": SHAPE(), "shapes/rect.ts": RECT("Rect", 2), "registry.ts": REGISTRY("rect", "Rect", false) } },
  { message: "scale 3 (registry's values derive from it)", files: { "util/math.ts": MATH(3) } },
  { message: "add circle", files: { "shapes/circle.ts": CIRCLE(1), "registry.ts": REGISTRY("rect", "Rect", true) } },
  { message: "break circle", files: { "shapes/circle.ts": `import { Shape } from "./shape";\nexport class Circle extends Shape {\n  r = ;\n}\n` } },
  { message: "wider rect while circle is broken", files: { "shapes/rect.ts": RECT("Rect", 4) } },
  { message: "fix circle", files: { "shapes/circle.ts": CIRCLE(2) } },
  { message: "rename rect.ts to rectangle.ts", files: { "shapes/rect.ts": null, "shapes/rectangle.ts": RECT("Rectangle", 4), "registry.ts": REGISTRY("rectangle", "Rectangle", true) } },
  { message: "index with export * and a consumer", files: { "index.ts": INDEX(["rectangle", "circle"]), "consumer.ts": CONSUMER } },
  { message: "add square, exported by the index", files: { "shapes/square.ts": SQUARE("Rectangle", "./rectangle"), "index.ts": INDEX(["rectangle", "circle", "square"]) } },
  { message: "break the base class with a scale change", files: { "shapes/shape.ts": SHAPE("\n  oops(: void {}"), "util/math.ts": MATH(5) } },
  { message: "fix the base class", files: { "shapes/shape.ts": SHAPE("\n  size(): number { return this.area(); }") } },
  { message: "inline math into the base; delete math.ts", files: { "util/math.ts": null, "shapes/shape.ts": SHAPE_INLINE, "registry.ts": REGISTRY("rectangle", "Rectangle", true).replace(`import { SCALE } from "./util/math";\n`, "const SCALE = 10;\n") } },
  { message: "a new file that throws with a new valid one", files: { "shapes/triangle.ts": `import { Shape } from "./shape";\nexport class Triangle extends Shape {}\nthrow new Error("triangle is not ready");\n`, "shapes/hexagon.ts": `import { Shape } from "./shape";\nexport class Hexagon extends Shape { area(): number { return 6; } }\n` } },
  { message: "fix triangle", files: { "shapes/triangle.ts": `import { Shape } from "./shape";\nexport class Triangle extends Shape { area(): number { return 3; } }\n` } },
  { message: "delete the base class", files: { "shapes/shape.ts": null } },
  { message: "restore the base class", files: { "shapes/shape.ts": SHAPE_INLINE } },
  { message: "square extends a base that is not a class yet", files: { "shapes/square.ts": SQUARE("Base", "./base"), "shapes/base.ts": `export const Base = undefined;\n` } },
  { message: "the base becomes a class", files: { "shapes/base.ts": `import { Shape2 } from "./shape";\nexport class Base extends Shape2 { static kinds = ["base"]; }\n` } },
  { message: "index drops circle", files: { "index.ts": INDEX(["rectangle", "square", "hexagon"]) } },
  { message: "circle grows", files: { "shapes/circle.ts": CIRCLE(3) } },
];

/** What every running file's exports read: values as they copy, functions and classes by kind. */
const SUMMARY = `(ns) => JSON.stringify(Object.keys(ns).sort().map((key) => {
  const value = ns[key];
  if (typeof value === "function") {
    const statics = Object.keys(value).sort().map((name) => name + "=" + JSON.stringify(value[name]));
    let made = "";
    try { made = new value().describe?.() ?? ""; } catch (error) { made = "throws " + error.message; }
    return [key, "class " + value.name + " " + statics.join(" ") + " " + made];
  }
  return [key, value];
}))`;

function readExports(runtime: GraftRuntime, file: string): string {
  const values = runtime.exports(file);
  const summary = runtime.evaluate(file, SUMMARY);
  const holder = runtime.evaluate(file, "({})");
  try {
    for (const [key, value] of Object.entries(values)) holder.set(key, value);
    return String(summary.invoke(holder).toHost());
  } finally {
    holder.dispose();
    summary.dispose();
  }
}

interface Observed {
  running: string[];
  failing: Map<string, boolean>;
}

function observe(runtime: GraftRuntime): Observed {
  return { running: runtime.files(), failing: new Map(runtime.failures().map((failure) => [failure.file, failure.running === true])) };
}

describe("a project's history replayed with reload(changedFiles)", () => {
  it("each step converges to what a fresh load of that commit gives", async () => {
    const live = await scriptsFolder({});
    const onDisk = new Map<string, string>();
    for (const [file, source] of Object.entries(HISTORY[0]!.files)) {
      await live.write(file, source!);
      onDisk.set(file, source!);
    }
    const runtime = await runtimeFor(live);
    const steps: string[] = [];
    for (const [index, commit] of HISTORY.entries()) {
      let ok = true;
      const changed = Object.keys(commit.files);
      if (index > 0) {
        for (const [file, source] of Object.entries(commit.files)) {
          if (source === null) {
            await live.remove(file);
            onDisk.delete(file);
          } else {
            await live.write(file, source);
            onDisk.set(file, source);
          }
        }
        ok = (await runtime.reload(changed)).ok;
      }
      const want = await compareWithFresh(runtime, onDisk, ok, `commit ${index} (${commit.message})`);
      steps.push(`${index}:${ok ? "ok" : "failed"}:${[...want.failing.keys()].join("+")}`);
    }
    // The history has steps of every kind: applied, rolled back, and broken files carried along.
    expect(steps.filter((step) => step.includes(":failed:")).length).toBeGreaterThanOrEqual(3);
    expect(steps.at(-1)).toBe(`${HISTORY.length - 1}:ok:`);
  });
});

/**
 * Compares the reloaded runtime with a fresh load of the files on disk: every script is
 * running or listed in failures(); after a reload that applied, a file a fresh load runs
 * runs too, with the same exports; a file that fails in a fresh load is listed, or runs an
 * earlier version because what it imports does (its newest text failed). Returns what the
 * fresh load observed.
 */
async function compareWithFresh(runtime: GraftRuntime, onDisk: Map<string, string>, ok: boolean, where: string): Promise<Observed> {
  const fresh = await runtimeFor(await scriptsFolder(Object.fromEntries(onDisk)));
  const want = observe(fresh);
  const got = observe(runtime);
  const disk = [...onDisk.keys()].sort();
  // Every script on disk is running or listed; a file not on disk runs only while listed,
  // when its deletion rolled back with a batch that failed.
  const accounted = [...new Set([...got.running, ...got.failing.keys()])];
  expect(disk.every((file) => accounted.includes(file)), where).toBe(true);
  const gone = accounted.filter((file) => !onDisk.has(file));
  expect(gone.filter((file) => ok || !got.failing.get(file)), `${where}: deleted files still running`).toEqual([]);
  // A file failing while an older version runs, and what imports it, run what they ran before.
  const stale = new Set([...got.failing].filter(([, running]) => running).map(([file]) => file));
  const importsStale = (file: string): boolean => got.running.includes(file) && [...stale].some((other) => other !== file && imports(onDisk, file, other));
  for (const file of disk) {
    if (want.running.includes(file) && ok) {
      expect(got.failing.has(file), `${where}: ${file} fails, but runs in a fresh load`).toBe(false);
      expect(readExports(runtime, file), `${where}: exports of ${file}`).toBe(readExports(fresh, file));
    } else if (want.running.includes(file)) {
      // The batch rolled back: the file runs, or is listed (rolled back with it).
      expect(got.running.includes(file) || got.failing.has(file), `${where}: ${file}`).toBe(true);
    } else {
      expect(got.failing.has(file) || importsStale(file), `${where}: ${file} fails in a fresh load`).toBe(true);
    }
  }
  if (ok && want.failing.size === 0) {
    expect(got.running, where).toEqual(want.running);
    expect([...got.failing.keys()], where).toEqual([]);
  }
  fresh.dispose();
  return want;
}

/** A generated project: five files, each absent, valid, broken or throwing, importing earlier ones. */
type FileState = { kind: "absent" | "ok" | "syntax" | "throws"; value: number; imports: number[]; base: number | null };
const FILES = 5;
const fileState = (index: number): fc.Arbitrary<FileState> =>
  fc.record({
    kind: fc.constantFrom<FileState["kind"]>("absent", "ok", "ok", "ok", "ok", "syntax", "throws"),
    value: fc.integer({ min: 0, max: 9 }),
    imports: fc.subarray(Array.from({ length: index }, (_, j) => j)),
    base: fc.nat(),
  }).map((state) => ({ ...state, base: state.imports.length > 0 && state.base % 2 === 0 ? state.imports[state.base % state.imports.length]! : null }));
const projectState = fc.tuple(...Array.from({ length: FILES }, (_, index) => fileState(index)));

function sourceOf(index: number, state: FileState): string | null {
  if (state.kind === "absent") return null;
  const lines = state.imports.map((j) => `import { v as v${j}, C as C${j} } from "./m${j}";`);
  const sum = ["" + state.value, ...state.imports.map((j) => `v${j}`)].join(" + ");
  lines.push(`export const v = ${sum};`);
  lines.push(`export class C${state.base !== null ? ` extends C${state.base}` : ""} { static total = v; static seen = [${state.base !== null ? `...(C${state.base}.seen ?? []), ` : ""}"m${index}"]; tag() { return "m${index}:" + v; } }`);
  if (state.kind === "syntax") lines.push(`export const broken = ;`);
  if (state.kind === "throws") lines.push(`throw new Error("m${index} throws");`);
  return lines.join("\n") + "\n";
}

describe("generated histories replayed with reload(changedFiles)", () => {
  it("every step compares with a fresh load of it; after the last, a reload with nothing to apply converges", async () => {
    await fc.assert(
      fc.asyncProperty(projectState, fc.array(projectState, { minLength: 1, maxLength: 6 }), async (initial, history) => {
        const sources = (states: FileState[]): Map<string, string> =>
          new Map(states.flatMap((state, index) => {
            const source = sourceOf(index, state);
            return source === null ? [] : [[`m${index}.ts`, source] as [string, string]];
          }));
        let onDisk = sources(initial);
        const live = await scriptsFolder(Object.fromEntries(onDisk));
        const runtime = await runtimeFor(live);
        // The last step repairs every file that exists: the history must end converged.
        const repaired = history.at(-1)!.map((state) => ({ ...state, kind: state.kind === "absent" ? "absent" as const : "ok" as const }));
        for (const [step, states] of [...history, repaired].entries()) {
          const next = sources(states);
          const changed = [...new Set([...onDisk.keys(), ...next.keys()])].filter((file) => onDisk.get(file) !== next.get(file)).sort();
          for (const file of changed) {
            const source = next.get(file);
            if (source === undefined) await live.remove(file);
            else await live.write(file, source);
          }
          onDisk = next;
          const report = await runtime.reload(changed);
          await compareWithFresh(runtime, onDisk, report.ok, `step ${step}`);
        }
        // A batch that failed leaves its other files for a later reload: one with nothing to apply settles them.
        await runtime.reload([]);
        await compareWithFresh(runtime, onDisk, true, "settled");
        const fresh = observe(await runtimeFor(live));
        const final = observe(runtime);
        expect([...final.failing.keys()]).toEqual([...fresh.failing.keys()]);
        // Only a file importing a deleted one may still run (its earlier version), listed as failing.
        expect(final.running.filter((file) => !final.failing.has(file))).toEqual(fresh.running);
      }),
      { numRuns: Number(process.env.GRAFT_PROPERTY_RUNS ?? 25), ...(process.env.SEED ? { seed: Number(process.env.SEED) } : {}) },
    );
  }, 180_000);
});

/** Whether `from` imports `to` on disk, directly or through others (by the relative specifiers written). */
function imports(onDisk: Map<string, string>, from: string, to: string, seen = new Set<string>()): boolean {
  if (seen.has(from)) return false;
  seen.add(from);
  const source = onDisk.get(from) ?? "";
  const directory = from.includes("/") ? from.slice(0, from.lastIndexOf("/") + 1) : "";
  for (const match of source.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
    const target = normalize(directory + match[1]!) + ".ts";
    if (target === to || imports(onDisk, target, to, seen)) return true;
  }
  return false;
}

function normalize(file: string): string {
  const parts: string[] = [];
  for (const part of file.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}
