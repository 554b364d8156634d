// gc_100k_ms / snapshot_100k_ms: runtime.gc() and runtime.heap.snapshot() on 100k live objects.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRuntime } from "graft";
import { median, script200, tempDir, vmBytes } from "./fixtures.mjs";

export const TARGET_OBJECTS = 100_000;

const WORLD = `import { Unit0, Unit1 } from "./units";
export class Item {
  tags: string[];
  constructor(public id: number, public owner: Unit0 | null) {
    this.tags = ["item", "n" + (id % 13)];
  }
}
export const world: Item[] = [];
export function populate(count: number): number {
  const owner = new Unit1("owner");
  for (let i = 0; i < count; i++) world.push(new Item(i, i % 2 ? owner : null));
  return world.length;
}
`;

/**
 * The scripts hold ~100k live GC objects (Item instances, each with a tags array, on top of
 * the fixture's classes, the contexts and graft's kernel). `gc()` is timed as the host calls
 * it (it counts live objects before and after the collection); `heap.snapshot()` is timed on
 * the same heap. Each is the median of several runs. `null` while the feature does not exist.
 */
export async function benchHeap() {
  const dir = tempDir("heap");
  writeFileSync(path.join(dir, "units.ts"), script200(1));
  writeFileSync(path.join(dir, "world.ts"), WORLD);
  const runtime = await createRuntime({ scripts: dir, memoryLimit: 512 << 20 });
  try {
    const baseline = runtime.gc().after;
    const populate = runtime.exports("world.ts").populate;
    populate.invoke(Math.ceil((TARGET_OBJECTS - baseline) / 2));
    populate.dispose();
    const live = runtime.gc().after;
    // The collection is real: 10k garbage cycles made by a script are gone after one gc().
    runtime.evaluate("world.ts", "for (let i = 0; i < 10000; i++) { const a = {}; const b = { a }; a.b = b; }").dispose();
    const withGarbage = performance.now();
    const swept = runtime.gc();
    const gcWithGarbageMs = performance.now() - withGarbage;
    if (swept.before - swept.after < 20_000) throw new Error(`heap bench: gc() freed ${swept.before - swept.after} objects, expected 20,000 cycles' worth`);
    const gcTimes = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      const counts = runtime.gc();
      gcTimes.push(performance.now() - started);
      if (counts.after < TARGET_OBJECTS) throw new Error(`heap bench: only ${counts.after} live objects`);
    }
    let snapshotMs = null;
    let snapshotNodes = null;
    if (typeof runtime.heap?.snapshot === "function") {
      runtime.heap.snapshot(); // warm-up
      const times = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const graph = runtime.heap.snapshot();
        times.push(performance.now() - started);
        snapshotNodes = graph.nodes.length;
      }
      snapshotMs = median(times);
    }
    // The alternative walk: QuickJS's own computeMemoryUsage over the same heap (counts only).
    const usageTimes = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      runtime.vm.runtime.computeMemoryUsage().dispose();
      usageTimes.push(performance.now() - started);
    }
    const memoryUsageMs = median(usageTimes);
    return {
      gc_100k_ms: median(gcTimes),
      snapshot_100k_ms: snapshotMs,
      detail: { live_objects: live, memory_usage_ms: memoryUsageMs, snapshot_vs_memory_usage: snapshotMs === null ? null : snapshotMs / memoryUsageMs, gc_with_20k_garbage_ms: gcWithGarbageMs, gc_swept: swept, baseline_objects: baseline, snapshot_nodes: snapshotNodes, vm_bytes: vmBytes(runtime) },
    };
  } finally {
    runtime.dispose();
  }
}

const SMALL_SCRIPT = "export class A { x = 1; hello(n: number) { return n + this.x; } }\nexport const a = new A();\n";

/**
 * gc_small_ms: `runtime.gc()` with one small script (a fixed cost: the kernel's realm and
 * the script's context). With GRAFT_BASE_BUILD=<a graft checkout with dist/ built> (e.g.
 * the 02d7ae9 build), detail `vs_base`: that build's gc() on the same folder, alternating
 * with this one's in this process, batch by batch (`ratio`: median of per-round ratios).
 */
export async function benchGcSmall({ rounds = 30, calls = 200 } = {}) {
  const dir = tempDir("gc-small");
  writeFileSync(path.join(dir, "a.ts"), SMALL_SCRIPT);
  const sides = { this: await createRuntime({ scripts: dir }) };
  const root = process.env.GRAFT_BASE_BUILD;
  if (root) {
    const base = (await import(pathToFileURL(path.join(root, "dist", "host-api", "index.js")).href)).createRuntime;
    sides.base = await base({ scripts: dir });
  }
  try {
    const counts = Object.fromEntries(Object.entries(sides).map(([side, runtime]) => [side, runtime.gc().after]));
    const times = Object.fromEntries(Object.keys(sides).map((side) => [side, []]));
    const ratios = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? Object.keys(sides) : Object.keys(sides).reverse();
      const taken = {};
      for (const side of order) {
        const started = performance.now();
        for (let i = 0; i < calls; i++) sides[side].gc();
        taken[side] = (performance.now() - started) / calls;
        times[side].push(taken[side]);
      }
      if (taken.base !== undefined) ratios.push(taken.this / taken.base);
    }
    return {
      gc_small_ms: median(times.this),
      detail: {
        rounds, calls, live_objects: counts.this,
        vs_base: root ? { build: root, base_gc_ms: median(times.base), base_live_objects: counts.base, ratio: median(ratios) } : null,
      },
    };
  } finally {
    for (const runtime of Object.values(sides)) runtime.dispose();
  }
}
