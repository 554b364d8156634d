// gc_100k_ms / snapshot_100k_ms: runtime.gc() and runtime.heap.snapshot() on 100k live objects.
import { writeFileSync } from "node:fs";
import path from "node:path";
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
