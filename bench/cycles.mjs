// cycles_leaf_edit_p50_ms: runtime.reload(["leaf.ts"]) in a generated project shaped like a
// physics engine (issue 18 point 7): 60 files whose modules import each other in cycles, every
// one importing a leaf they all depend on; an edit changes the leaf's function bodies and a
// constant. Most modules only read the leaf from methods (live bindings serve them); a few
// read it at their top level (a static initialiser), and re-run.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createRuntime } from "graft";
import { percentile, tempDir } from "./fixtures.mjs";

const MODULES = 59;
/** Modules whose static initialiser reads the leaf: these re-run at every leaf edit. */
const EAGER_EVERY = 12;
const WARMUP = 20;

const leaf = (n) =>
  [
    `// generated bench fixture, edit ${n}`,
    `export const EPSILON = ${n}e-9;`,
    `export function scaled(value: number): number { return value * ${n + 1}; }`,
    `export function clamp(value: number, low: number, high: number): number { return Math.min(high, Math.max(low, value + EPSILON)); }`,
    `export class Vec {`,
    `  constructor(public x = 0, public y = 0) {}`,
    `  add(other: Vec): Vec { return new Vec(this.x + other.x, this.y + other.y); }`,
    `  scale(k: number): Vec { return new Vec(scaled(this.x * k), scaled(this.y * k)); }`,
    `}`,
    ``,
  ].join("\n");

function module(i, eagerEvery) {
  const next = (i + 1) % MODULES;
  const far = (i + 7) % MODULES;
  const eager = i % eagerEvery === 0;
  return [
    `import { Vec, clamp, scaled } from "./leaf";`,
    `import { Body${next} } from "./body${next}";`,
    `import { Body${far} } from "./body${far}";`,
    `export class Body${i} {`,
    eager ? `  static unit = scaled(1);` : `  static unit = 1;`,
    `  position = new Vec(${i}, ${i + 1});`,
    `  mass = ${i + 1};`,
    `  step(dt: number): Vec { return this.position.add(new Vec(dt, dt).scale(this.mass)); }`,
    `  energy(): number { return clamp(scaled(this.mass), 0, 1e9); }`,
    `  neighbour(): number { return new Body${next}().mass + new Body${far}().mass; }`,
    `}`,
    `export function make${i}(): Body${i} { return new Body${i}(); }`,
    ``,
  ].join("\n");
}

/**
 * The figure, and beside it the same project with every module reading the leaf at its top
 * level (what re-running every transitive importer cost before: all 59 re-run).
 */
export async function benchCycles({ edits = 100 } = {}) {
  const selective = await leafEdits({ edits, eagerEvery: EAGER_EVERY });
  const everyModule = await leafEdits({ edits, eagerEvery: 1 });
  return {
    cycles_leaf_edit_p50_ms: selective.p50,
    detail: { ...selective.detail, every_module_reads_leaf_p50_ms: everyModule.p50, every_module_reads_leaf_reruns: everyModule.detail.reruns_per_edit },
  };
}

async function leafEdits({ edits, eagerEvery }) {
  const dir = tempDir("cycles");
  writeFileSync(path.join(dir, "leaf.ts"), leaf(0));
  for (let i = 0; i < MODULES; i++) writeFileSync(path.join(dir, `body${i}.ts`), module(i, eagerEvery));
  const started = performance.now();
  const runtime = await createRuntime({ scripts: dir });
  const freshLoadMs = performance.now() - started;
  try {
    if (!runtime.initialReport.ok) throw new Error(runtime.initialReport.errors[0].text);
    const body = runtime.getClass("body1.ts", "Body1").new();
    const samples = [];
    let reruns = 0;
    for (let n = 1; n <= WARMUP + edits; n++) {
      writeFileSync(path.join(dir, "leaf.ts"), leaf(n));
      const t = performance.now();
      const report = await runtime.reload(["leaf.ts"]);
      const elapsed = performance.now() - t;
      if (!report.ok) throw new Error(report.errors[0].text);
      if (Math.abs(body.call("energy").toHost() - 2 * (n + 1)) > 1e-6) throw new Error(`cycles bench: edit ${n} is not live`);
      reruns = report.rerun.length;
      if (n > WARMUP) samples.push(elapsed);
    }
    return {
      p50: percentile(samples, 0.5),
      detail: { files: MODULES + 1, samples: samples.length, p90_ms: percentile(samples, 0.9), reruns_per_edit: reruns, fresh_load_ms: freshLoadMs },
    };
  } finally {
    runtime.dispose();
  }
}
